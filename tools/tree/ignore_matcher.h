// .dockerignore matching with Docker's rules: `*` (any run of non-`/`), `?`
// (one non-`/` character), `**` (any number of directories, also none),
// `[...]` classes, `\` escapes, `!` exceptions, `#` comment lines. The last
// pattern that matches a path decides; a pattern that matches a parent
// directory of a path matches the path too.
#ifndef IMAGEGRAPH_TOOLS_TREE_IGNORE_MATCHER_H_
#define IMAGEGRAPH_TOOLS_TREE_IGNORE_MATCHER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

class IgnoreMatcher {
 public:
  // A matcher that excludes nothing.
  IgnoreMatcher() = default;

  // Parses the text of a .dockerignore file; `display_path` names it in
  // errors (a malformed pattern is reported with its line number).
  static absl::StatusOr<IgnoreMatcher> Parse(absl::string_view text,
                                             absl::string_view display_path);

  // True if `path` (relative to the context, `/`-separated, no leading `./`)
  // is left out of the context.
  bool Excludes(absl::string_view path) const;

  // True if some pattern is a `!` exception; a matched directory can then
  // still hold included files, so it must be walked.
  bool has_exceptions() const { return has_exceptions_; }

  bool empty() const { return patterns_.empty(); }

 private:
  enum class TokenKind {
    kLiteral,          // one byte
    kStar,             // [^/]*
    kQuestion,         // one character other than '/'
    kDoubleStarSlash,  // (.*/)?
    kDoubleStarEnd,    // .*
    kClass,            // [...] or [^...]
  };
  struct Token {
    TokenKind kind;
    char literal = 0;
    bool negated = false;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive
  };
  struct Pattern {
    bool exception = false;
    std::vector<Token> tokens;
  };

  static absl::StatusOr<Pattern> Compile(absl::string_view cleaned);
  static bool MatchPattern(const Pattern& pattern, absl::string_view path);

  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// Lexically cleans a `/`-separated path like Go's path.Clean: collapses
// repeated slashes, drops `.` parts, resolves `..` against preceding parts.
// Returns "." for an empty result.
std::string CleanPath(absl::string_view path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_IGNORE_MATCHER_H_
