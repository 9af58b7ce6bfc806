// What an image reference of a Dockerfile (`FROM`, `COPY --from=`) names in an
// image tree: scratch, a build stage, an in-tree image folder (directly or as
// $DOCKER_IMAGE_PARENT) or an external base pinned by digest.
#ifndef IMAGEGRAPH_TOOLS_TREE_RESOLVER_H_
#define IMAGEGRAPH_TOOLS_TREE_RESOLVER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "tools/dockerfile/dockerfile.h"

namespace imagegraph {

struct ImageReference {
  enum class Kind { kScratch, kStage, kParentArg, kInTree, kPinned };
  Kind kind;
  int line;             // 1-based line of the FROM / COPY --from instruction
  bool from_copy;       // true for COPY --from=
  std::string written;  // the reference as written after ARG expansion
  std::string in_tree_name;  // for kInTree / kParentArg: the in-tree image name
                             // (for kParentArg: the declared parent)
  std::string pinned;        // for kPinned: the full reference with @sha256:
};

struct ResolveOptions {
  // Default registry (images/REGISTRY or the folder's).
  std::string registry;
  // Image folder names of the tree.
  absl::flat_hash_set<std::string> in_tree_names;
  // Declared parent for $DOCKER_IMAGE_PARENT ("" if none).
  std::string docker_image_parent;
  // Values the target sets (override ARG defaults).
  absl::flat_hash_map<std::string, std::string> build_args;
  // Registries of other in-tree images whose folder overrides REGISTRY:
  // `R/NAME[:TAG]` is in-tree when R is `registry` or
  // `in_tree_registries[NAME]`.
  absl::flat_hash_map<std::string, std::string> in_tree_registries;
  // Images of the tree that are not built here but pinned by their HASH file:
  // name -> "sha256:<hex>". `[REGISTRY/]NAME[:TAG]` resolves to
  // kPinned `REGISTRY/NAME@sha256:<hex>` (names in in_tree_names win).
  absl::flat_hash_map<std::string, std::string> pinned_digests;
};

// All image references (FROM and COPY --from), resolved, in file order.
// Errors name path:line.
absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options);

// In-tree parent names in the order the Dockerfile first names them
// (deduplicated).
absl::StatusOr<std::vector<std::string>> InTreeParents(
    const Dockerfile& dockerfile, const ResolveOptions& options);

// Returns the Dockerfile text with every kInTree/kParentArg reference replaced
// by local_refs.at(in_tree_name) (error if missing), everything else
// byte-identical.
absl::StatusOr<std::string> RewriteInTreeReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options,
    const absl::flat_hash_map<std::string, std::string>& local_refs);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_RESOLVER_H_
