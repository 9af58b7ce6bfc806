// Checks an image's declared in-tree parents against its Dockerfile and puts
// them in the order the Dockerfile first names them (`FROM` or
// `COPY --from`), which is the order of the manifest's parent lines.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/ctxhash/entries.h"
#include "tools/ctxhash/hashing.h"

namespace imagegraph {

struct DockerfileParents {
  std::string dockerfile_path;  // for messages ("images/x/Dockerfile")
  std::string dockerfile_text;
  // The image's registry, so that `REGISTRY/NAME[:TAG]` names an in-tree
  // image; "" when it has none.
  std::string registry;
  std::vector<ParentHash> declared;  // any order
  std::vector<std::pair<std::string, std::string>> build_args;
};

// Returns `declared` in the order the Dockerfile first names each parent.
// Errors, each naming the Dockerfile (and line): a parse error; a declared
// parent that the Dockerfile never names; a reference that is none of
// scratch, a build stage, an image pinned by digest or a declared parent; a
// parent declared twice.
absl::StatusOr<std::vector<ParentHash>> OrderParentsByDockerfile(
    const DockerfileParents& input);

// The registry written in the one-line file `path` (see ReadOneLineFile).
absl::StatusOr<std::string> ReadRegistryFile(const std::string& path);

// CLI mode: the registry of the image folder of `spec`, read from
// F/REGISTRY, else from REGISTRY in the folder above F (the tree's default);
// "" when neither exists.
absl::StatusOr<std::string> FindFolderRegistry(const ContextSpec& spec);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_PARENT_ORDER_H_
