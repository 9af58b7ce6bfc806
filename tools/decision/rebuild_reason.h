// Why an image must build: what changed between the context of its latest
// indexed build and the context it has now, in one line for the decision's
// plan ("2 files changed since latest at level 3: images/recipes/common.sh,
// images/lint/lint.sh; parent base-test rebuilt") and in full for NAME.why.
#ifndef IMAGEGRAPH_TOOLS_DECISION_REBUILD_REASON_H_
#define IMAGEGRAPH_TOOLS_DECISION_REBUILD_REASON_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/ctxhash/manifest.h"

namespace imagegraph {

// The changes of DiffContextManifests, sorted into what a reader asks about.
struct RebuildChanges {
  // Repository paths ("images/recipes/common.sh"), each with " (new)" or
  // " (removed)" when it exists on one side only.
  std::vector<std::string> files;
  std::vector<std::string> changed_parents;  // names, context hash differs
  std::vector<std::string> added_parents;
  std::vector<std::string> removed_parents;
  std::vector<std::string> args;  // "NAME" (changed), "NAME (new)", ...
};

// Sorts `changes` of image folder `folder` (repository-relative) into
// RebuildChanges; file paths are given relative to the repository.
RebuildChanges SummarizeChanges(const std::vector<ManifestChange>& changes,
                                absl::string_view folder);

// The one-line reason. `since` names the baseline ("latest at level 3");
// `parent_builds` says whether an in-tree parent builds in the same plan
// ("parent X rebuilt") or not ("parent X changed"). At most
// kMaxListedFiles paths are named, then "and N more".
inline constexpr int kMaxListedFiles = 5;
std::string DescribeRebuild(
    const RebuildChanges& changes, absl::string_view since,
    const std::function<bool(absl::string_view)>& parent_builds);

// The full difference, one "- LINE" / "+ LINE" pair (or single line) per
// change, in manifest order: files, then parents, then arguments.
std::string FormatManifestDiff(const std::vector<ManifestChange>& changes);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DECISION_REBUILD_REASON_H_
