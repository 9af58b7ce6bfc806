// A taskgraph kind.yml of docker-image tasks: what each task says about its
// image (parent:, args:).
#ifndef IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_
#define IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct KindTask {
  std::string parent;
  std::vector<std::pair<std::string, std::string>> args;
};

// Parses the text of a kind.yml; `display` names it in errors. Tasks by name.
absl::StatusOr<std::map<std::string, KindTask>> ParseKindYml(
    absl::string_view text, absl::string_view display);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_KIND_YML_H_
