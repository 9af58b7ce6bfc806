// The small syntaxes inside a Dockerfile line, each read as BuildKit reads
// it: parser directives, builder flags, quoted words, JSON arrays,
// here-document words, mount options, Go durations. The parser
// (dockerfile.cc) puts them together.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_BUILDKIT_SYNTAX_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_BUILDKIT_SYNTAX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// White space as Go's unicode.IsSpace sees a single byte (BuildKit tests
// bytes, not characters, in places): \t \n \v \f \r space, 0x85, 0xA0.
bool IsGoSpaceByte(char c);

// The white space that separates an instruction's keyword and its
// whitespace-delimited words: [\t\v\f\r ].
bool IsTokenWhitespace(char c);

// `# name=value` (the regular expression BuildKit matches directives with).
bool MatchDirective(absl::string_view line, std::string* name,
                    std::string* value);

// A leading `--flag` word of an instruction, quotes and `\` escapes
// removed; `begin` is its offset in the text it was read from, `exact`
// whether the word is written there as it reads (nothing was removed).
struct BuilderFlag {
  std::string word;  // "--name=value", "--name" or "--"
  size_t begin = 0;
  bool exact = false;
};

// Reads the leading flags of `arguments` (the text after the keyword) into
// `flags`, and returns the offset where the other arguments start (npos if
// none). A `--` word ends the flags and is kept in `flags`.
size_t ExtractBuilderFlags(absl::string_view arguments,
                           std::vector<BuilderFlag>* flags);

// Quote-aware words of ARG, ENV and LABEL: quotes and escapes are kept.
std::vector<std::string> ParseWords(absl::string_view text, char escape);

// Words separated by runs of [\t\v\f\r ] (FROM, EXPOSE, COPY...), as
// offsets into `text`; at most `limit` words, the last one taking the rest
// (0: no limit).
struct WordSpan {
  size_t begin;
  size_t length;
};
std::vector<WordSpan> SplitOnWhitespace(absl::string_view text,
                                        size_t limit = 0);

// The exec (JSON) form: `text` is a JSON array of strings (kStrings, the
// strings in `values`), a JSON array holding something else (kNotStrings,
// which BuildKit refuses), or not a JSON array (the shell form).
enum class JsonArray { kNotJson, kStrings, kNotStrings };
JsonArray ParseJsonStringArray(absl::string_view text,
                               std::vector<std::string>* values);

// The words of an instruction line that could open here-documents.
std::vector<std::string> HeredocCandidateWords(absl::string_view line);

// A here-document word: `<<NAME`, `<<-NAME`, `2<<"NAME"`, `<< NAME`.
struct HeredocWord {
  std::string name;
  bool strip_tabs = false;
};
// nullopt when `word` is no here-document; an error when its name cannot be
// read (an unterminated quote).
absl::StatusOr<std::optional<HeredocWord>> ParseHeredocWord(
    absl::string_view word);

// A stage name: [a-z][a-z0-9-_.]* (after lower-casing).
bool IsValidStageName(absl::string_view name);

// One `key=value` field of a RUN --mount value (key lower case); `offset`
// is the value's offset in the mount value when written there as it reads.
struct MountField {
  std::string key;
  std::string value;
  size_t offset = std::string::npos;
};
std::vector<MountField> MountFields(absl::string_view mount);

// Whether `value` (of --from or a mount's from) holds a variable: a `$`
// other than a final one. BuildKit refuses those rather than expand them.
bool HasVariable(absl::string_view value);

// The checks BuildKit makes of RUN's flags when it parses the instruction:
// mounts are comma-separated fields without a variable in `from`, and
// --network and --security take the modes it knows.
absl::Status CheckRunFlags(const std::vector<BuilderFlag>& flags);

// Go's time.ParseDuration, in nanoseconds; nullopt when `text` is not one.
std::optional<int64_t> ParseGoDuration(absl::string_view text);

// Go's strconv.ParseInt(text, 10, 32).
bool ParseGoInt32(absl::string_view text, int32_t* value);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_BUILDKIT_SYNTAX_H_
