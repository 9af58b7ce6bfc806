// `# %include P` lines of a Dockerfile: each pulls the file or directory P
// (relative to the repository root) into the context at `topsrcdir/P`.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_INCLUDE_PARSER_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_INCLUDE_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct IncludeDirective {
  int line = 0;            // 1-based line of the Dockerfile
  std::string written;     // P as written
  std::string normalized;  // P cleaned: no `.`, `..` or repeated slashes
};

// Returns the `# %include` directives of `dockerfile_text`, in order.
// `display_path` names the Dockerfile in errors. An empty, absolute or
// repository-leaving P is an error naming the line.
absl::StatusOr<std::vector<IncludeDirective>> ParseIncludes(
    absl::string_view dockerfile_text, absl::string_view display_path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_INCLUDE_PARSER_H_
