// Scans a tree of image folders (IMAGES/FOLDER/Dockerfile, REGISTRY, VERSION,
// HASH, .dockerignore, build-args, extra-files; IMAGES/REGISTRY and
// IMAGES/RUN_TASK; optionally a taskgraph kind.yml) into the facts the BUILD
// generator and the graph tool need: each image's context files, includes,
// resolved references, parents and build arguments.
//
// Without a kind.yml every folder with a Dockerfile is an image named after
// it. With one, the images are its tasks: a task builds the folder its
// `definition:` names (default: the task's name) with its `args:`, so one
// folder may give several images.
#ifndef IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_
#define IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/tree/context_filter.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/tree/resolver.h"

namespace imagegraph {

// The tree-level file naming the directory (relative to the repository root)
// that holds taskgraph's run-task files, which `# %include-run-task` adds.
inline constexpr absl::string_view kRunTaskFileName = "RUN_TASK";

struct ImageTreeOptions {
  // The repository root.
  std::string root;
  // The image tree, relative to `root`; also the Bazel package of its BUILD.
  std::string images_dir = "images";
  // A taskgraph kind.yml relative to `root`; "" finds one where taskgraph
  // keeps it: IMAGES/kind.yml, or, for a tree at X/docker,
  // X/kinds/docker-image/kind.yml (or the older X/ci/docker-image/kind.yml).
  std::string kind_yml;
  // List each folder's files and expand includes into files and labels.
  // Without it, `files`, `include_files` and `include_labels` stay empty:
  // enough to know the graph and which paths reach which image.
  bool list_files = true;
};

struct TreeImage {
  std::string name;  // the image: the folder's name, or the task's
  // The image folder relative to the images dir ("decision"); the task's
  // `definition:` with a kind.yml.
  std::string folder_name;
  std::string folder;  // relative to the root: "images/decision"
  // Files of the folder in its context (ContextFilter: .dockerignore, the
  // Dockerfile always, HASH never), relative to the folder, sorted by bytes.
  std::vector<std::string> files;
  // `# %include` paths (cleaned, relative to the root), in Dockerfile order,
  // deduplicated.
  std::vector<std::string> include_paths;
  // Every file those includes pull in, relative to the root, sorted.
  std::vector<std::string> include_files;
  // The Dockerfile has `# %include-run-task`: the tree's run-task files are
  // part of the context.
  bool run_task = false;
  // Every FROM / COPY --from / RUN --mount=from reference, resolved (the
  // generator records them as docker_image's `references`).
  std::vector<ImageReference> references;
  // In-tree parents, in the order the Dockerfile first names them, then the
  // declared parent when the Dockerfile never names it.
  std::vector<std::string> parents;
  // Bazel-built files placed into the context, from the folder's
  // `extra-files` file (lines `LABEL PATH`): label -> path in the folder,
  // sorted by label.
  std::vector<std::pair<std::string, std::string>> extra_files;
  // Build arguments the target sets (the folder's build-args and the task's
  // args:), sorted by name.
  std::vector<std::pair<std::string, std::string>> build_args;
  // Files relative to the images dir ("REGISTRY", "lint/REGISTRY"); "" when
  // absent (no REGISTRY at all: the image is tagged localhost/NAME and
  // cannot be pushed).
  std::string registry_file;
  std::string registry;
  std::string version_file;
  std::string version;
  std::string hash_file;
  std::string hash;
  // The declared parent for $DOCKER_IMAGE_PARENT (kind.yml `parent:`).
  std::string declared_parent;
  // The Dockerfile with `# %ARG` substituted (taskgraph_syntax.h), parsed.
  Dockerfile dockerfile;
  ContextFilter context_filter;
};

struct ImageTree {
  std::string root;
  std::string images_dir;
  std::string registry;  // IMAGES/REGISTRY, "" when absent
  std::string kind_yml;  // relative to the root, "" when none
  // IMAGES/RUN_TASK's directory, relative to the root; "" when absent.
  std::string run_task_dir;
  // Its files, relative to the root (when an image uses them).
  std::vector<std::string> run_task_files;
  std::vector<TreeImage> images;  // sorted by name
  // Folders with a HASH file and no Dockerfile: name -> "sha256:...".
  absl::flat_hash_map<std::string, std::string> pinned_digests;
  // What the scan reports without failing (kind.yml keys not modelled,
  // folders no task uses); each names the file, what and the consequence.
  std::vector<std::string> warnings;

  const TreeImage* Find(absl::string_view name) const;
  // "//images:decision".
  std::string ImageLabel(absl::string_view name) const;
};

// The Bazel label of `path` (relative to `root`) as written in the package
// `images_dir`: "recipes/x.sh" inside it, "//pkg:file" in the package that
// holds it elsewhere (the nearest directory with a BUILD file, the root
// package when there is none).
std::string FileLabel(absl::string_view root, absl::string_view images_dir,
                      absl::string_view path);

// The package `FileLabel` puts `path` in ("" for the root package).
std::string FilePackage(absl::string_view root, absl::string_view images_dir,
                        absl::string_view path);

// Scans the tree. Errors name the file (and line) at fault and the fix.
absl::StatusOr<ImageTree> ScanImageTree(const ImageTreeOptions& options);

// Topological order of the images (parents first); ties broken by name.
std::vector<std::string> TopologicalOrder(const ImageTree& tree);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_
