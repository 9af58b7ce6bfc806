#include "tools/ctxhash/include_parser.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/ctxhash/ignore_matcher.h"

namespace imagegraph {

absl::StatusOr<std::vector<IncludeDirective>> ParseIncludes(
    absl::string_view dockerfile_text, absl::string_view display_path) {
  std::vector<IncludeDirective> includes;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(dockerfile_text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (!absl::ConsumePrefix(&line, "#")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "%include")) continue;
    // "%includes" or "%include_x" is some other comment, not a directive.
    if (!line.empty() && !absl::ascii_isspace(line[0])) continue;
    const std::string where = absl::StrCat(display_path, ":", line_number);
    const absl::string_view path = absl::StripAsciiWhitespace(line);
    if (path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": %include needs a path relative to the repository root, e.g. "
          "`# %include recipes/setup.sh`"));
    }
    if (path[0] == '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": %include ", path,
          " is an absolute path; write it relative to the repository root"));
    }
    std::string normalized = CleanPath(path);
    if (normalized == ".." || absl::StartsWith(normalized, "../")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": %include ", path,
                       " leaves the repository; only files inside the "
                       "repository can be included"));
    }
    if (normalized == ".") {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": %include ", path,
          " names the whole repository; include a file or folder in it"));
    }
    includes.push_back(IncludeDirective{line_number, std::string(path),
                                        std::move(normalized)});
  }
  return includes;
}

}  // namespace imagegraph
