// Checks an image's declared in-tree parents against its Dockerfile, through
// the image's reference map, and puts them in the order the Dockerfile first
// names them (`FROM` or `COPY --from`), which is the order of the manifest's
// parent lines.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/ctxhash/hashing.h"
#include "tools/tree/reference_map.h"

namespace imagegraph {

struct DockerfileParents {
  std::string dockerfile_path;  // for messages ("images/x/Dockerfile")
  std::string dockerfile_text;
  // What each reference of the Dockerfile names (docker_image's
  // `references`), and the declared parent that $DOCKER_IMAGE_PARENT names
  // ("" for none).
  ReferenceMap references;
  std::string declared_parent;
  std::vector<ParentHash> declared;  // any order
  std::vector<std::pair<std::string, std::string>> build_args;
};

// The Dockerfile as the build reads it: taskgraph's `# %ARG` lines applied
// with the image's build arguments ($DOCKER_IMAGE_PARENT kept when it has a
// declared parent). A `# %ARG` without a value is an error naming path:line.
absl::StatusOr<std::string> ApplyPercentArgs(
    absl::string_view path, absl::string_view text,
    const std::vector<std::pair<std::string, std::string>>& build_args,
    absl::string_view declared_parent);

// Returns `declared` in the order the Dockerfile first names each parent,
// the declared parent last when the Dockerfile never names it. Errors, each
// naming the Dockerfile (and line): a parse error; a reference the map
// lacks or a map entry the Dockerfile never uses; a parent the map names
// that is not declared; a declared parent that the map never names; a
// parent declared twice.
absl::StatusOr<std::vector<ParentHash>> OrderParentsByDockerfile(
    const DockerfileParents& input);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_
