// Shell words as BuildKit's Dockerfile frontend reads them: its shell lexer
// (variable expansion with the `${...}` forms it knows, quote and escape
// removal, word splitting), and the white space rules of its parser.
// Knows nothing of instructions or image trees.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// The variables of an expansion. A variable set to "" is set (`${A-x}`
// keeps it empty) while a missing one is unset.
using ShellVariables = absl::flat_hash_map<std::string, std::string>;

// How the lexer treats quotes, escapes and unset variables. The defaults are
// those of expanding an instruction's word.
struct ShellLexOptions {
  char escape = '\\';
  bool raw_quotes = false;   // keep the quote characters in the result
  bool raw_escapes = false;  // keep the escape characters in the result
  bool skip_unset = false;   // leave references to unset variables as written
};

// Limits that keep a hostile Dockerfile from exhausting the stack, memory or
// time. BuildKit has none; a Dockerfile over them is refused with a message
// that names the limit.
inline constexpr int kMaxShellNesting = 100;          // ${ and quotes inside ${
inline constexpr size_t kMaxExpandedBytes = 1 << 20;  // one expansion's result
inline constexpr long kMaxPatternSteps = 50000000;    // ${v#p} etc. matching

// Expands one word (BuildKit's ProcessWord): `$V`, `${V}`, `${V:-w}`,
// `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?m}`, `${V?m}`, `${V#p}`, `${V##p}`,
// `${V%p}`, `${V%%p}`, `${V/p/r}`, `${V//p/r}`, special parameters
// (`$@ $* $# $? $$ $! $- $0`) and positional ones (`$1`), all of which are
// unset unless `variables` holds them; removes quotes and escapes. The error
// message says what is wrong in the word.
absl::StatusOr<std::string> ExpandWord(absl::string_view word,
                                       const ShellVariables& variables,
                                       char escape = '\\');
absl::StatusOr<std::string> ExpandWord(absl::string_view word,
                                       const ShellVariables& variables,
                                       const ShellLexOptions& options);

// Expands `text` and splits the result into words (BuildKit's ProcessWords):
// blanks inside quotes do not split, blanks from variables do; `<<` keeps
// the blanks after it in its word, as for here-document detection.
absl::StatusOr<std::vector<std::string>> ExpandWords(
    absl::string_view text, const ShellVariables& variables,
    const ShellLexOptions& options);

// A blank between shell words (space or tab).
inline bool IsShellBlank(char c) { return c == ' ' || c == '\t'; }

// A character of a variable name: [A-Za-z0-9_].
bool IsShellNameChar(char c);

// The length of the UTF-8 sequence at `s[pos]`, 1 for an invalid one.
size_t Utf8Length(absl::string_view s, size_t pos);

// Appends the UTF-8 encoding of code point `code`.
void AppendUtf8(std::string* out, uint32_t code);

// The length in bytes of the white space character (Unicode's, as Go's
// unicode.IsSpace: ASCII blanks, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000) at `s[pos]`, or 0.
size_t SpaceLengthAt(absl::string_view s, size_t pos);

// `s` without leading (and trailing) white space as above.
absl::string_view TrimLeadingSpace(absl::string_view s);
absl::string_view TrimSpace(absl::string_view s);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_SHELL_WORD_H_
