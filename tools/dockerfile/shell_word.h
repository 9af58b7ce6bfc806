// Shell words as BuildKit's Dockerfile frontend reads them: splitting an
// instruction's arguments into words, and expanding variables in one word.
// Knows nothing of instructions or image trees.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// A shell word of an instruction's arguments: raw text and position.
struct RawWord {
  std::string text;  // as written: quotes and escapes kept
  size_t begin;      // offset of the word in the split text, plus `base`
};

// Splits `s` on blanks that are not quoted or escaped; words keep their
// quotes. `base` is added to each word's offset.
std::vector<RawWord> SplitShellWords(absl::string_view s, size_t base,
                                     char escape);

// A blank between shell words (space or tab).
inline bool IsShellBlank(char c) { return c == ' ' || c == '\t'; }

// A character of a variable name: [A-Za-z0-9_].
bool IsShellNameChar(char c);

// Expands `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}` (and the `-`/`+`
// forms without colon) in one shell word, removing quotes and escapes as
// Docker does. Unset variables expand to "".
absl::StatusOr<std::string> ExpandWord(
    absl::string_view word,
    const absl::flat_hash_map<std::string, std::string>& variables,
    char escape = '\\');

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_
