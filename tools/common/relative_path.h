// Lexical facts about `/`-separated relative paths (a repository's, an image
// folder's), decided here once for every tool.
#ifndef IMAGEGRAPH_TOOLS_COMMON_RELATIVE_PATH_H_
#define IMAGEGRAPH_TOOLS_COMMON_RELATIVE_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace imagegraph {

// Lexically cleans a `/`-separated path like Go's path.Clean: collapses
// repeated slashes, drops `.` parts, resolves `..` against preceding parts.
// Returns "." for an empty result.
std::string CleanPath(absl::string_view path);

// Whether a relative path, once cleaned, climbs above the directory it is
// relative to ("..", "../x", "a/../../x").
bool LeavesItsRoot(absl::string_view relative_path);

// Whether `path` is already a plain path below its root: relative, without
// empty, "." or ".." components ("a/b", never "", ".", "a/", "./a", "a//b").
bool IsPlainRelativePath(absl::string_view path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_RELATIVE_PATH_H_
