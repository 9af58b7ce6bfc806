// Renders the files the BUILD generator owns: in the tree's BUILD file, a
// delimited region with one docker_image per image, the image_graph and the
// filegroup of the tree's inputs outside its package (for the staleness
// test); in the BUILD file of each package holding such inputs (kind.yml,
// includes, run-task files), a region that exports them. Text outside the
// regions is kept byte for byte, except that the tree's BUILD file gets the
// load statement its region needs.
#ifndef IMAGEGRAPH_TOOLS_IMAGEGEN_BUILD_FILE_H_
#define IMAGEGRAPH_TOOLS_IMAGEGEN_BUILD_FILE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/tree/image_tree.h"

namespace imagegraph {

inline constexpr char kBeginMarker[] = "# BEGIN imagegraph generated";
inline constexpr char kEndMarker[] = "# END imagegraph generated";
// The filegroup of the tree's inputs outside its package.
inline constexpr char kTreeInputsTarget[] = "tree.inputs";
// The generated file that declares the tree's external bases.
inline constexpr char kBasesFileName[] = "bases.bzl";

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
  // Write the files beside the tree's BUILD file: IMAGES/bases.bzl and the
  // regions that export the tree's inputs outside its package (off for a
  // fixture tree that is no Bazel package).
  bool exports = true;
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

// A file the generator writes: its path relative to the root, its text now
// (nullopt when absent) and after.
struct GeneratedFile {
  std::string path;
  std::optional<std::string> existing;
  std::string text;
};

// Reads a file relative to the root; nullopt when absent.
using FileReader =
    std::function<std::optional<std::string>(const std::string& path)>;

// Every file the generator writes for `tree`: the tree's BUILD file at
// `build_file` (relative to the root), IMAGES/bases.bzl when the tree names
// external bases (or the file exists), then the BUILD files of the packages
// holding its inputs outside its package, by path.
absl::StatusOr<std::vector<GeneratedFile>> GenerateFiles(
    const ImageTree& tree, const BuildFileOptions& options,
    absl::string_view build_file, const FileReader& read);

// IMAGES/bases.bzl: `image_bases(**kwargs)`, one image_pull per external
// base (pinned reference) of the tree.
std::string RenderBases(const ImageTree& tree, const BuildFileOptions& options);

// The repository image_pull makes for the pinned reference `pinned`:
// base_<tree>_<name>_<12 hex digits of the digest>.
std::string BaseRepositoryName(const ImageTree& tree, absl::string_view pinned);

// `text` (a BUILD file) with a load of `module` that provides `symbols`:
// an existing load of it gets the missing ones, else a load is added after
// the file's leading comments and loads.
std::string EnsureLoad(absl::string_view text, absl::string_view module,
                       const std::vector<std::string>& symbols);

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
