// The references of one image as the BUILD generator recorded them (the
// `references` attribute of docker_image): each image reference of the
// Dockerfile, as written after ARG expansion, -> ":NAME" (the in-tree image
// NAME) or a reference pinned by digest. The build actions resolve through
// this map only: they never guess what a name means.
#ifndef IMAGEGRAPH_TOOLS_TREE_REFERENCE_MAP_H_
#define IMAGEGRAPH_TOOLS_TREE_REFERENCE_MAP_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/tree/resolver.h"

namespace imagegraph {

// written -> ":NAME" or "REPOSITORY@sha256:<hex>", ordered by key.
using ReferenceMap = std::map<std::string, std::string>;

// The map of resolved references: every in-tree and pinned reference, once.
ReferenceMap MakeReferenceMap(const std::vector<ImageReference>& references);

// Parses a `WRITTEN=TARGET` command-line value (split at the last '=', as a
// target never holds one) and checks TARGET's form.
absl::StatusOr<std::pair<std::string, std::string>> ParseReferenceFlag(
    absl::string_view value);

// The references of `dockerfile` (its ARGs and `build_args` applied),
// resolved through `map`: scratch and build stages as the Dockerfile says,
// every image reference by its entry. `declared_parent` is the image's
// declared parent (taskgraph's parent:), which $DOCKER_IMAGE_PARENT names;
// "" for none. Errors name path:line: a reference the map lacks, a map
// entry the Dockerfile never uses, $DOCKER_IMAGE_PARENT mapped elsewhere.
absl::StatusOr<std::vector<ImageReference>> ResolveWithReferenceMap(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args,
    const ReferenceMap& map, absl::string_view declared_parent);

// The Dockerfile text with every in-tree reference replaced by
// `in_tree_tags.at(name)` and every pinned one by `pinned_tags.at(digest)`
// (digest "sha256:<hex>"); everything else byte-identical. `references`
// come from resolving this very text.
absl::StatusOr<std::string> RewriteReferences(
    const Dockerfile& dockerfile, const std::vector<ImageReference>& references,
    const absl::flat_hash_map<std::string, std::string>& in_tree_tags,
    const absl::flat_hash_map<std::string, std::string>& pinned_tags);

// The digest ("sha256:<hex>") of a pinned reference.
std::string PinnedDigest(absl::string_view pinned);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_REFERENCE_MAP_H_
