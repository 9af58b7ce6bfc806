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
  Kind kind = Kind::kScratch;
  int line = 0;  // 1-based line of the instruction
  // FROM, COPY --from= or RUN --mount=from=.
  ReferenceUse::Source source = ReferenceUse::Source::kFrom;
  // The reference as written after ARG expansion; `$DOCKER_IMAGE_PARENT`
  // (or `${...}`) stays as written. The key of the image's reference map.
  std::string written;
  std::string in_tree_name;  // for kInTree / kParentArg: the in-tree image name
                             // (for kParentArg: the declared parent)
  std::string pinned;        // for kPinned: the full reference with @sha256:
  // Byte range of the reference in the Dockerfile text (offset npos when a
  // line continuation splits it), for rewriting it.
  size_t offset = std::string::npos;
  size_t length = 0;

  // "FROM x", "COPY --from=x" or "RUN --mount=from=x" (x as written after
  // ARG expansion).
  std::string Describe() const;

  // A reference of `use` (kind still to decide): its line, instruction,
  // key (ReferenceKey) and byte range.
  static ImageReference Of(const ReferenceUse& use);
};

// The key under which a reference is recorded: `$DOCKER_IMAGE_PARENT` (and
// `${DOCKER_IMAGE_PARENT}`) as written, anything else after ARG expansion.
std::string ReferenceKey(const ReferenceUse& use);

// Whether `raw` is `$DOCKER_IMAGE_PARENT` or `${DOCKER_IMAGE_PARENT}`.
bool IsParentArg(absl::string_view raw);

// The error for a reference that expands to nothing, naming path:line.
absl::Status EmptyReferenceError(absl::string_view path,
                                 const ReferenceUse& use);

struct ResolveOptions {
  // Default registry (images/REGISTRY or the folder's).
  std::string registry;
  // Image folder names of the tree.
  absl::flat_hash_set<std::string> in_tree_names;
  // Declared parent for $DOCKER_IMAGE_PARENT ("" if none).
  std::string docker_image_parent;
  // Values the target sets (override ARG defaults).
  absl::flat_hash_map<std::string, std::string> build_args;
  // Registries of other images of the tree whose folder overrides REGISTRY
  // (built ones and HASH-only ones): `R/NAME[:TAG]` names NAME when R is
  // `registry` or `in_tree_registries[NAME]`.
  absl::flat_hash_map<std::string, std::string> in_tree_registries;
  // Images of the tree that are not built here but pinned by their HASH file:
  // name -> "sha256:<hex>". `[REGISTRY/]NAME[:TAG]` resolves to
  // kPinned `REGISTRY/NAME@sha256:<hex>` (names in in_tree_names win).
  absl::flat_hash_map<std::string, std::string> pinned_digests;
};

// All image references (FROM and COPY --from), resolved, in file order.
// Errors name path:line. This is the one resolver: only the BUILD generator,
// which sees the whole tree, calls it; the build actions check against the
// map it records (reference_map.h).
absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options);

// The in-tree parents of resolved references: in the order the Dockerfile
// first names them, then `declared_parent` (taskgraph's parent:) when the
// Dockerfile never names it; "" for none.
std::vector<std::string> InTreeParents(
    const std::vector<ImageReference>& references,
    absl::string_view declared_parent);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_RESOLVER_H_
