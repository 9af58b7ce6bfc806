// The decision: which images of the graph can be reused from the index and
// which must be built.
//
// An image is reused when its context hash is indexed (level 3 first, then
// each lower level down to the requester's own); otherwise it must build.
// A child of an image that must build is therefore listed to build only if
// its own hash is not indexed: its hash already covers its parents' hashes.
#ifndef IMAGEGRAPH_TOOLS_DECISION_DECISION_H_
#define IMAGEGRAPH_TOOLS_DECISION_DECISION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/decision/decision.pb.h"
#include "tools/index/index.h"

namespace imagegraph {

using DecisionGraph = ::imagegraph::decision::Graph;
using DecisionPlan = ::imagegraph::decision::Plan;

// Parses the graph JSON; `source` names it in error messages. Checks that
// labels are unique, parents exist, every image has a name and a context
// hash, and the graph has no cycle; fills in topological_order when absent.
absl::StatusOr<DecisionGraph> ParseGraph(absl::string_view json,
                                         absl::string_view source);

// Looks every image up in `index` (on `jobs` threads) and returns the plan,
// in topological order. Warnings about index entries that were skipped go to
// `warnings`.
absl::StatusOr<DecisionPlan> Decide(const DecisionGraph& graph, Index& index,
                                    std::vector<std::string>* warnings,
                                    int jobs = 8);

// What `bazel run //images:NAME.why` prints: for image `name` in `folder`
// whose context manifest is `manifest`, whether that context is indexed, and
// otherwise every difference from the latest indexed build of the image
// (levels 3 down to the index's level), with the one-line reason first.
struct Explanation {
  std::string text;
  // False when no build of the image is indexed at all (nothing to compare).
  bool compared = false;
};
absl::StatusOr<Explanation> ExplainImage(Index& index, absl::string_view name,
                                         absl::string_view folder,
                                         absl::string_view manifest,
                                         std::vector<std::string>* warnings);

// The plan as indented JSON.
absl::StatusOr<std::string> PlanToJson(const DecisionPlan& plan);

// The plan as an aligned text table with a summary line.
std::string FormatPlanTable(const DecisionPlan& plan);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DECISION_DECISION_H_
