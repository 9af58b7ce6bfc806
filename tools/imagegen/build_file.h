// Renders images/BUILD.bazel: one docker_image per image folder and the
// image_graph, inside a delimited region that the generator owns; text
// outside the region is kept byte for byte.
#ifndef IMAGEGRAPH_TOOLS_IMAGEGEN_BUILD_FILE_H_
#define IMAGEGRAPH_TOOLS_IMAGEGEN_BUILD_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/tree/image_tree.h"

namespace imagegraph {

inline constexpr char kBeginMarker[] = "# BEGIN imagegraph generated";
inline constexpr char kEndMarker[] = "# END imagegraph generated";

struct BuildFileOptions {
  // Where docker_image and image_graph are loaded from (fresh files only).
  std::string defs_bzl = "//rules:defs.bzl";
  // Name of the image_graph target.
  std::string graph_name = "graph";
  // Tags set on every docker_image (e.g. "manual" for a fixture tree that
  // `bazel test //...` must not build).
  std::vector<std::string> image_tags;
  // Visibility of every docker_image (empty: the package default).
  std::vector<std::string> image_visibility;
};

// The generated region, BEGIN and END lines included.
std::string RenderGeneratedRegion(const ImageTree& tree,
                                  const BuildFileOptions& options);

// The BUILD file text: `existing` with its region replaced by a fresh one;
// without a region, one is appended; without a file, a new one with a header
// comment and the load statement. `display_path` names the file in errors.
absl::StatusOr<std::string> UpdateBuildFile(
    const std::optional<std::string>& existing, const ImageTree& tree,
    const BuildFileOptions& options, absl::string_view display_path);

// Orders strings as buildifier sorts string lists (":x" labels after plain
// names, then "//", then "@"; compared piecewise at '.' and ':').
bool BuildifierLess(absl::string_view a, absl::string_view b);

// A Starlark string literal (double quotes, escaped).
std::string StarlarkString(absl::string_view value);

// A short line diff of two texts for messages: the first differing lines
// with a little context, marked "-" (old) and "+" (new).
std::string ShortDiff(absl::string_view old_text, absl::string_view new_text,
                      absl::string_view old_name, absl::string_view new_name);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEGEN_BUILD_FILE_H_
