// decision: plans which images of the graph are reused from the index and
// which must build.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/decision/decision.h"
#include "tools/index/index.h"
#include "tools/index/namespaces.h"

ABSL_FLAG(std::string, graph, "",
          "The graph JSON (the output of //images:graph). Default, under "
          "bazel run: bazel-bin/images/graph.json of the workspace.");
ABSL_FLAG(int, level, 0,
          "The requester's trust level, 1..3: lookups try level 3 down to it. "
          "Default: the level the builds use, as the graph records it "
          "(//rules:index_level).");
ABSL_FLAG(std::string, index, "",
          "The index: default, a directory, or registry://HOST:PORT/REPO. "
          "Default: the index the builds use, as the graph records it "
          "(//rules:index).");
ABSL_FLAG(int, jobs, 8,
          "Lookups to run at once (they wait on disk or network, not CPU).");
ABSL_FLAG(std::string, json_out, "",
          "Where to write the plan as JSON (written atomically).");

namespace imagegraph {
namespace {

constexpr char kUsage[] = R"(which images to reuse and which to build.

Usage:
  bazel run //tools/decision -- [--level=N] [--index=...] [--graph=PATH]
      [--json_out=PATH] [--jobs=N]

Looks every image of the graph up by its context hash in the index (level 3
first, then each lower level down to --level) and prints a table, in
topological order: "reuse" with the indexed entry, or "build". With
--json_out, also writes the plan as JSON. Without --index and --level it
plans against the index and level the graph records: what the builds use.)";

// `bazel run` starts tools in their runfiles; relative paths are meant
// relative to where the user typed the command.
std::string FromUserDirectory(const std::string& path) {
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || cwd == nullptr ||
      absl::StrContains(path, "://")) {
    return path;
  }
  return absl::StrCat(cwd, "/", path);
}

int Run() {
  std::string graph_path = FromUserDirectory(absl::GetFlag(FLAGS_graph));
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (graph_path.empty() && workspace != nullptr) {
    graph_path = absl::StrCat(workspace, "/bazel-bin/images/graph.json");
    if (!PathExists(graph_path)) {
      std::cerr << "decision: " << graph_path
                << " does not exist: run `bazel build //images:graph` first, "
                   "or pass --graph=PATH\n";
      return kExitError;
    }
  }
  if (graph_path.empty()) {
    std::cerr << "decision: --graph is required: pass the graph JSON, e.g. "
                 "--graph=bazel-bin/images/graph.json\n";
    return kExitUsage;
  }
  absl::StatusOr<std::string> json = ReadFileToString(graph_path);
  if (absl::IsNotFound(json.status())) {
    std::cerr << "decision: cannot read the graph: " << graph_path
              << ": no such file\n";
    return kExitError;
  }
  if (!json.ok()) {
    std::cerr << "decision: cannot read the graph: " << json.status().message()
              << "\n";
    return kExitError;
  }
  absl::StatusOr<DecisionGraph> graph = ParseGraph(*json, graph_path);
  if (!graph.ok()) {
    std::cerr << "decision: " << graph.status().message() << "\n";
    return kExitError;
  }
  // Unless told otherwise, plan against what the builds do.
  int level = absl::GetFlag(FLAGS_level);
  if (level == 0) level = graph->level() > 0 ? graph->level() : kDefaultLevel;
  std::string index_spec = FromUserDirectory(absl::GetFlag(FLAGS_index));
  if (index_spec.empty()) index_spec = graph->index();
  if (index_spec == kNoIndex) {
    std::cerr << "decision: the builds of " << graph_path
              << " use no index (--//rules:index=off); pass --index=DIR or "
                 "--index=registry://HOST:PORT/REPO to plan against one\n";
    return kExitError;
  }
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(index_spec, level);
  if (!index.ok()) {
    std::cerr << "decision: " << index.status().message() << "\n";
    return absl::IsInvalidArgument(index.status()) ? kExitUsage : kExitError;
  }
  std::vector<std::string> warnings;
  absl::StatusOr<DecisionPlan> plan =
      Decide(*graph, **index, &warnings, absl::GetFlag(FLAGS_jobs));
  for (const std::string& warning : warnings) {
    std::cerr << "decision: warning: " << warning << "\n";
  }
  if (!plan.ok()) {
    std::cerr << "decision: " << plan.status().message() << "\n";
    return kExitError;
  }
  const std::string json_out = FromUserDirectory(absl::GetFlag(FLAGS_json_out));
  if (!json_out.empty()) {
    absl::StatusOr<std::string> plan_json = PlanToJson(*plan);
    absl::Status written = plan_json.ok()
                               ? WriteFileAtomically(json_out, *plan_json, 0644,
                                                     /*durable=*/true)
                               : plan_json.status();
    if (!written.ok()) {
      std::cerr << "decision: " << written.message() << "\n";
      return kExitError;
    }
  }
  std::cout << FormatPlanTable(*plan);
  return kExitSuccess;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  imagegraph::ParseToolArgumentsOrExit({"decision", imagegraph::kUsage}, argc,
                                       argv);
  return imagegraph::Run();
}
