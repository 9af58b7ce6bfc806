// What the per-folder files of an image tree hold, besides the one-line
// REGISTRY, VERSION and HASH files (tools/common/file_util.h): `build-args`
// (the build arguments an image sets) and `extra-files` (Bazel-built files
// placed into its context).
#ifndef IMAGEGRAPH_TOOLS_TREE_FOLDER_FILES_H_
#define IMAGEGRAPH_TOOLS_TREE_FOLDER_FILES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// Parses a `build-args` file: `NAME=value` lines, `#` comments and blank
// lines ignored; sorted by name. `display_path` names it in errors.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseBuildArgsFile(absl::string_view text, absl::string_view display_path);

// Parses an `extra-files` file: `LABEL PATH` lines (PATH inside the image
// folder), `#` comments and blank lines ignored; sorted by label.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseExtraFilesFile(absl::string_view text, absl::string_view display_path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_FOLDER_FILES_H_
