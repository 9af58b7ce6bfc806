// A taskgraph kind.yml of docker-image tasks, read as taskgraph's
// docker-image kind defines it: `tasks:` (or the older `jobs:`), each task
// with `definition:` (the image folder, default the task's name), `parent:`
// (the parent task, named by $DOCKER_IMAGE_PARENT), `args:` (build arguments
// and `# %ARG` values); `task-defaults:` (or `job-defaults:`) merged into
// every task as taskgraph merges them. Every other key is reported: keys that
// change nothing about an image (`symbol:`, `loader:`, ...) silently, the
// others (`packages:`, `arch:`, `index:`, `cache:`, unknown ones) as warnings
// naming the key, the tasks and what happens to them.
#ifndef IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_
#define IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct KindTask {
  std::string name;
  int line = 0;  // 1-based line of the task's name
  // The image folder under the tree (`definition:`, default the name).
  std::string definition;
  std::string parent;  // "" for none
  // `args:`, sorted by name.
  std::vector<std::pair<std::string, std::string>> args;
};

struct KindFile {
  std::vector<KindTask> tasks;        // sorted by name
  std::vector<std::string> warnings;  // one per key not modelled
};

struct KindYmlOptions {
  // The architecture images are built for (taskgraph's names: amd64,
  // arm64); `arch:` of another value is reported.
  std::string build_arch = "amd64";
};

// Parses the text of a kind.yml; `display` names it in errors and warnings.
absl::StatusOr<KindFile> ParseKindYml(absl::string_view text,
                                      absl::string_view display,
                                      const KindYmlOptions& options = {});

// taskgraph's name for the architecture of this machine ("amd64" for
// x86_64, "arm64" for aarch64, else the kernel's name).
std::string MachineArch();

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_
