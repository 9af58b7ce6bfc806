// Parsers of imagebuild's repeatable flags.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_FLAGS_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_FLAGS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/imagebuild/imagebuild.h"

namespace imagegraph {

// `NAME=PATH` of --parent.
absl::StatusOr<ParentImage> ParseParentFlag(absl::string_view value);
// Records `NAME=PATH` of --parent_metadata (the parent's NAME.image.json)
// in the parent of that name among `parents`.
absl::Status AddParentMetadata(absl::string_view value,
                               std::vector<ParentImage>* parents);
// An error naming the first of `parents` given without --parent_metadata.
absl::Status CheckParentsHaveMetadata(const std::vector<ParentImage>& parents);
// `REPOSITORY@sha256:<64 hex>=PATH` of --base.
absl::StatusOr<ExternalBase> ParseBaseFlag(absl::string_view value);
// `KEY=VALUE` of --build_arg.
absl::StatusOr<std::pair<std::string, std::string>> ParseBuildArgFlag(
    absl::string_view value);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_FLAGS_H_
