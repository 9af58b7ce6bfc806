// The order of an image graph given as name -> parents: the one cycle check
// and the one topological order (parents first, ties broken by name) that
// every tool uses.
#ifndef IMAGEGRAPH_TOOLS_TREE_GRAPH_ORDER_H_
#define IMAGEGRAPH_TOOLS_TREE_GRAPH_ORDER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace imagegraph {

using ParentMap = absl::flat_hash_map<std::string, std::vector<std::string>>;

// Finds a cycle in name -> parents; returns an error naming it
// ("a -> b -> a") or OK. Parents that are not keys are leaves.
absl::Status CheckAcyclic(const ParentMap& parents);

// The keys of `parents`, every key after its parents (parents that are not
// keys are ignored), ties broken by name. Keys on a cycle are left out:
// call CheckAcyclic first.
std::vector<std::string> TopologicalOrder(const ParentMap& parents);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_GRAPH_ORDER_H_
