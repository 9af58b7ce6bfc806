// Reads what the image_graph rule hands the graph tool: a GraphInput JSON
// naming each image's context hash, registry and metadata files.
#ifndef IMAGEGRAPH_TOOLS_GRAPH_GRAPH_INPUT_H_
#define IMAGEGRAPH_TOOLS_GRAPH_GRAPH_INPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/graph/graph.h"

namespace imagegraph {

// What a GraphInput holds, with the files it names read.
struct GraphInputContents {
  std::vector<GraphNode> nodes;
  int level = 0;      // the builds' index level
  std::string index;  // the builds' index setting
};

// Parses the GraphInput at `path` and reads the files it names. Errors name
// the file at fault.
absl::StatusOr<GraphInputContents> ReadGraphInput(absl::string_view path);

// Parses a graph document (what the image_graph rule writes).
absl::StatusOr<ImageGraph> ReadGraphJson(absl::string_view path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_GRAPH_GRAPH_INPUT_H_
