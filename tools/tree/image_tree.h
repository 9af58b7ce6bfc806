// Scans a tree of image folders (images/NAME/Dockerfile, REGISTRY, VERSION,
// HASH, .dockerignore, build-args, and optionally a taskgraph kind.yml) into
// the facts the BUILD generator and the graph tool need: each image's context
// files, includes, in-tree parents and build arguments.
#ifndef IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_
#define IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/ctxhash/context_filter.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/tree/resolver.h"

namespace imagegraph {

struct ImageTreeOptions {
  // The repository root.
  std::string root;
  // The image tree, relative to `root`; also the Bazel package of its BUILD.
  std::string images_dir = "images";
  // A taskgraph kind.yml relative to `root`; "" uses IMAGES_DIR/kind.yml when
  // it exists.
  std::string kind_yml;
  // List each folder's files and expand includes into files and labels.
  // Without it, `files`, `include_files` and `include_labels` stay empty:
  // enough to know the graph and which paths reach which image.
  bool list_files = true;
};

struct ImageFolder {
  std::string name;    // the folder name
  std::string folder;  // relative to the root: "images/decision"
  // Files of the folder in its context (ContextFilter: .dockerignore, the
  // Dockerfile always, HASH never), relative to the folder, sorted by bytes.
  std::vector<std::string> files;
  // `# %include` paths (cleaned, relative to the root), in Dockerfile order,
  // deduplicated.
  std::vector<std::string> include_paths;
  // Every file those includes pull in, relative to the root, sorted.
  std::vector<std::string> include_files;
  // Their Bazel labels as written in the images package (FileLabel).
  std::vector<std::string> include_labels;
  // Every FROM / COPY --from reference, resolved (the generator records
  // them as docker_image's `references`).
  std::vector<ImageReference> references;
  // In-tree parents, in the order the Dockerfile first names them, then the
  // declared parent when the Dockerfile never names it.
  std::vector<std::string> parents;
  // Bazel-built files placed into the context, from the folder's
  // `extra-files` file (lines `LABEL PATH`): label -> path in the folder,
  // sorted by label.
  std::vector<std::pair<std::string, std::string>> extra_files;
  // Build arguments the target sets, sorted by name.
  std::vector<std::pair<std::string, std::string>> build_args;
  // Files relative to the images dir ("REGISTRY", "lint/REGISTRY"); version
  // and hash files are "" when absent.
  std::string registry_file;
  std::string registry;
  std::string version_file;
  std::string version;
  std::string hash_file;
  std::string hash;
  // The declared parent for $DOCKER_IMAGE_PARENT (kind.yml `parent:`).
  std::string declared_parent;
  Dockerfile dockerfile;
  ContextFilter context_filter;
};

struct ImageTree {
  std::string root;
  std::string images_dir;
  std::string registry;             // images/REGISTRY
  std::string kind_yml;             // relative to the root, "" when none
  std::vector<ImageFolder> images;  // sorted by name
  // Folders with a HASH file and no Dockerfile: name -> "sha256:...".
  absl::flat_hash_map<std::string, std::string> pinned_digests;

  const ImageFolder* Find(absl::string_view name) const;
  // "//images:decision".
  std::string ImageLabel(absl::string_view name) const;
};

// The Bazel label of `path` (relative to `root`) as written in the package
// `images_dir`: "recipes/x.sh" inside it, "//pkg:file" in the package that
// holds it elsewhere (the nearest directory with a BUILD file).
std::string FileLabel(absl::string_view root, absl::string_view images_dir,
                      absl::string_view path);

// Scans the tree. Errors name the file (and line) at fault and the fix.
absl::StatusOr<ImageTree> ScanImageTree(const ImageTreeOptions& options);

// Topological order of the images (parents first); ties broken by name.
std::vector<std::string> TopologicalOrder(const ImageTree& tree);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_IMAGE_TREE_H_
