// The image graph: images with their parents, children, context hashes,
// index namespaces and registry references, in build order; and its JSON,
// DOT and text renderings.
#ifndef IMAGEGRAPH_TOOLS_GRAPH_GRAPH_H_
#define IMAGEGRAPH_TOOLS_GRAPH_GRAPH_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/graph/graph.pb.h"
#include "tools/tree/image_tree.h"

namespace imagegraph {

struct GraphNode {
  std::string name;
  std::string label;
  std::string folder;
  std::vector<std::string> parents;  // Dockerfile order
  std::string context_hash;          // "" when not computed
  // Why the context hash is "" although it was asked for.
  std::string context_hash_note;
  std::string registry;
  std::string version;           // "" means latest
  std::string pinned_digest;     // HASH, "" when absent
  std::string image_id;          // "" unless built
  std::string context_manifest;  // "" unless the image_graph rule gave it
};

// Builds the graph document. Every parent must be a node; a cycle is an
// error naming it.
absl::StatusOr<ImageGraph> BuildGraph(const std::vector<GraphNode>& nodes,
                                      int level);

// The nodes of a scanned tree (context hashes empty).
std::vector<GraphNode> NodesFromTree(const ImageTree& tree);

// Fills each node's context hash (context hash v1, parents first) by reading
// the tree from disk. `nodes` must come from NodesFromTree(tree). An image
// whose context holds Bazel-built files (extra-files), or whose parent's
// does, gets no hash but a note: only a build can give it the hash the build
// uses, and the graph never shows another one.
absl::Status ComputeContextHashes(const ImageTree& tree,
                                  std::vector<GraphNode>* nodes);

// A changed path as DirectlyAffected takes it: relative to the workspace
// root `root`, cleaned. An absolute path must lie inside the workspace; a
// path outside it (absolute, or leaving it with `..`) is an error.
absl::StatusOr<std::string> NormalizeChangedPath(absl::string_view root,
                                                 absl::string_view path);

// Images whose context a changed path (relative to the repository root, as
// `git diff --name-only` prints it; a directory covers everything below it)
// touches directly: a file of the folder that is part of the context
// (present or deleted), its .dockerignore, build-args or extra-files, a file
// an include pulls in, the run-task files (and IMAGES/RUN_TASK) for images
// that `# %include-run-task`, or the kind.yml. Every image built from a
// folder (taskgraph's definition:) is affected by it.
absl::flat_hash_set<std::string> DirectlyAffected(
    const ImageTree& tree, const std::vector<std::string>& changed_paths);

// `names` and every image below them.
absl::flat_hash_set<std::string> WithDescendants(
    const ImageGraph& graph, const absl::flat_hash_set<std::string>& names);

// The graph restricted to `names` (order kept).
ImageGraph Subgraph(const ImageGraph& graph,
                    const absl::flat_hash_set<std::string>& names);

absl::StatusOr<std::string> GraphToJson(const ImageGraph& graph);
// Graphviz: one box per image showing its name and short hash, edges from
// parent to child.
std::string GraphToDot(const ImageGraph& graph);
// One line per image in build order: name, short hash, parents.
std::string GraphToText(const ImageGraph& graph);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_GRAPH_GRAPH_H_
