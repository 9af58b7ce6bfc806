// What a Dockerfile holds, as BuildKit reads it: the `inspect` tool's
// output. Only parses and expands: pinning and in-tree resolution are
// tools/tree's business.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_INSPECT_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_INSPECT_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/dockerfile/inspect.pb.h"

namespace imagegraph {

// Parses `text`, expands its references with `build_args` and the built-in
// platform arguments, and refuses (path:line: message) what BuildKit
// refuses.
absl::StatusOr<Inspection> InspectDockerfile(
    absl::string_view path, absl::string_view text,
    const absl::flat_hash_map<std::string, std::string>& build_args);

// The inspection as one JSON object (every field present) and a newline.
std::string InspectionToJson(const Inspection& inspection);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_INSPECT_H_
