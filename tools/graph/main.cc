// graph: prints the image graph, or the images that changed files affect,
// in build order.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/graph/graph.h"
#include "tools/graph/graph_input.h"
#include "tools/index/namespaces.h"
#include "tools/tree/image_tree.h"

ABSL_FLAG(std::string, format, "text",
          "Output: json, dot, text, or labels (one Bazel label per line, in "
          "build order).");
ABSL_FLAG(std::string, root, "images",
          "The image tree, relative to the "
          "repository root.");
ABSL_FLAG(std::string, workspace, "",
          "Repository root; default $BUILD_WORKSPACE_DIRECTORY (set by bazel "
          "run), else the current directory.");
ABSL_FLAG(std::string, kind_yml, "",
          "A taskgraph kind.yml relative to the root (default ROOT/kind.yml "
          "when present).");
ABSL_FLAG(int, level, imagegraph::kDefaultLevel,
          "Index level of the namespaces (1-3) when reading the tree; "
          "--input carries the builds' level.");
ABSL_FLAG(bool, hashes, true,
          "Compute context hashes (json, dot and text show them).");
ABSL_FLAG(std::string, input, "",
          "Instead of reading the tree, read a GraphInput JSON (what the "
          "image_graph rule writes) and the files it names.");
ABSL_FLAG(std::string, graph_json, "",
          "Render a graph document the image_graph rule built (graph.json) "
          "instead of reading the tree.");
ABSL_FLAG(std::string, output, "",
          "Write the result to this file (atomically) instead of stdout.");
ABSL_FLAG(std::vector<std::string>, affected_by, {},
          "A changed path, relative to the repository root ('-': read paths "
          "from stdin, one per line): print the images it affects, with "
          "their descendants, in build order.");

namespace imagegraph {
namespace {

constexpr char kUsage[] =
    R"(prints the image graph of a tree, or the images that changed files affect (with their descendants), in build order.

Usage:
  bazel run //tools/graph -- [--format=json|dot|text|labels] [--root=images]
  git diff --name-only origin/main | bazel run //tools/graph -- --affected-by=-
  bazel run //tools/graph -- --affected-by=images/recipes/x.sh \
      [--affected-by=PATH ...]
  bazel run //tools/graph -- --graph_json=bazel-bin/images/graph.json \
      --format=dot

--affected-by takes paths relative to the repository root (or absolute ones
inside it); a directory stands for every file below it; '-' reads them from
stdin; a path outside the workspace is a usage error (exit 2). With
--format=text it prints one image name per line; json and dot show the
affected part of the graph.

Read from the tree, an image whose context holds Bazel-built files
(extra-files), and every image built on it, has no context hash: only a build
computes the one the build uses (see --graph_json).)";

int Fail(const absl::Status& status) {
  std::cerr << "graph: " << status.message() << "\n";
  return kExitError;
}

// The --affected-by paths, with "-" replaced by the paths on stdin (one per
// line).
std::vector<std::string> ExpandAffectedBy(
    const std::vector<std::string>& paths) {
  std::vector<std::string> expanded;
  for (const std::string& path : paths) {
    if (path != "-") {
      expanded.push_back(path);
      continue;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
      absl::string_view trimmed = absl::StripAsciiWhitespace(line);
      if (!trimmed.empty()) expanded.emplace_back(trimmed);
    }
  }
  return expanded;
}

int Run(const std::vector<std::string>& affected_by, bool affected_mode) {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "json" && format != "dot" && format != "text" &&
      format != "labels") {
    std::cerr << "graph: --format=" << format
              << " is not one of json, dot, text, labels\n";
    return kExitUsage;
  }
  int level = absl::GetFlag(FLAGS_level);
  if (absl::Status valid = ValidateLevel(level); !valid.ok()) {
    std::cerr << "graph: --level=" << level << ": " << valid.message() << "\n";
    return kExitUsage;
  }
  std::string index;

  std::vector<GraphNode> nodes;
  std::optional<ImageTree> tree;
  absl::StatusOr<ImageGraph> graph;
  if (!absl::GetFlag(FLAGS_graph_json).empty()) {
    if (affected_mode || !absl::GetFlag(FLAGS_input).empty()) {
      std::cerr << "graph: --graph_json renders a built graph; it does not "
                   "combine with --affected-by or --input\n";
      return kExitUsage;
    }
    graph = ReadGraphJson(absl::GetFlag(FLAGS_graph_json));
  } else if (!absl::GetFlag(FLAGS_input).empty()) {
    if (affected_mode) {
      std::cerr << "graph: --affected-by reads the tree; it does not combine "
                   "with --input\n";
      return kExitUsage;
    }
    absl::StatusOr<GraphInputContents> read =
        ReadGraphInput(absl::GetFlag(FLAGS_input));
    if (!read.ok()) return Fail(read.status());
    nodes = std::move(read->nodes);
    // The rule's input carries the builds' index settings.
    if (absl::Status valid = ValidateLevel(read->level); !valid.ok()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat(absl::GetFlag(FLAGS_input), ": ", valid.message())));
    }
    level = read->level;
    index = read->index;
  } else {
    std::string root = absl::GetFlag(FLAGS_workspace);
    if (root.empty()) {
      const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      root = workspace != nullptr ? workspace : ".";
    }
    ImageTreeOptions options;
    options.root = root;
    options.images_dir = absl::GetFlag(FLAGS_root);
    options.kind_yml = absl::GetFlag(FLAGS_kind_yml);
    // Which images a path reaches needs no file listing, only the graph.
    options.list_files = !affected_mode;
    absl::StatusOr<ImageTree> scanned = ScanImageTree(options);
    if (!scanned.ok()) return Fail(scanned.status());
    tree = *std::move(scanned);
    for (const std::string& warning : tree->warnings) {
      std::cerr << "graph: warning: " << warning << "\n";
    }
    nodes = NodesFromTree(*tree);
    // Hashes are not needed to answer which images a change affects.
    if (absl::GetFlag(FLAGS_hashes) && format != "labels" &&
        !(affected_mode && format == "text")) {
      if (absl::Status hashed = ComputeContextHashes(*tree, &nodes);
          !hashed.ok()) {
        return Fail(hashed);
      }
    }
  }
  if (absl::GetFlag(FLAGS_graph_json).empty()) {
    graph = BuildGraph(nodes, level);
    if (graph.ok()) graph->set_index(index);
  }
  if (!graph.ok()) return Fail(graph.status());

  std::string text;
  if (affected_mode) {
    std::vector<std::string> paths;
    for (const std::string& path : affected_by) {
      absl::StatusOr<std::string> normalized =
          NormalizeChangedPath(tree->root, path);
      if (!normalized.ok()) {
        std::cerr << "graph: --affected-by=" << path << ": "
                  << normalized.status().message() << "\n";
        return kExitUsage;
      }
      paths.push_back(*normalized);
      graph->add_affected_by(*normalized);
    }
    ImageGraph affected = Subgraph(
        *graph, WithDescendants(*graph, DirectlyAffected(*tree, paths)));
    if (format == "text") {
      for (const std::string& name : affected.topological_order()) {
        absl::StrAppend(&text, name, "\n");
      }
    } else {
      *graph = std::move(affected);
    }
  }
  if (format == "labels") {
    for (const GraphImage& image : graph->images()) {
      absl::StrAppend(&text, image.label(), "\n");
    }
  } else if (text.empty() && !(affected_mode && format == "text")) {
    if (format == "json") {
      absl::StatusOr<std::string> json = GraphToJson(*graph);
      if (!json.ok()) return Fail(json.status());
      text = *std::move(json);
    } else if (format == "dot") {
      text = GraphToDot(*graph);
    } else {
      text = GraphToText(*graph);
    }
  }
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) {
    std::cout << text;
    return 0;
  }
  if (absl::Status written = WriteFileAtomically(output, text); !written.ok()) {
    return Fail(written);
  }
  return 0;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  // --affected-by may repeat.
  const imagegraph::ToolArguments arguments =
      imagegraph::ParseToolArgumentsOrExit({"graph", imagegraph::kUsage}, argc,
                                           argv, {"affected_by"});
  const std::vector<std::string>& affected_by =
      arguments.Repeated("affected_by");
  return imagegraph::Run(imagegraph::ExpandAffectedBy(affected_by),
                         !affected_by.empty());
}
