// The one rule for image names: a registry repository name component
// (lowercase letters and digits, separated by `_`, `__` or runs of `-`),
// without `.`, which the index namespaces use as their separator. Image
// names become Bazel target names, registry repositories, index namespaces
// and words of generated scripts, so nothing else may reach them.
#ifndef IMAGEGRAPH_TOOLS_COMMON_IMAGE_NAME_H_
#define IMAGEGRAPH_TOOLS_COMMON_IMAGE_NAME_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

inline constexpr size_t kMaxImageNameLength = 128;

// OK, or an error that echoes the name and states the rule.
absl::Status ValidateImageName(absl::string_view name);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_IMAGE_NAME_H_
