// taskgraph's extensions of the Dockerfile, as its docker-image kind
// defines them:
//   # %ARG NAME           every later `$NAME` (not followed by a letter, digit
//                         or `_`) is replaced, as text, by the task's value;
//   # %include-run-task   the context gets taskgraph's run-task files at
//                         run-task/NAME and the Dockerfile the lines that
//                         copy them into the image.
// (`# %include P` is read by the Dockerfile parser, tools/dockerfile.)
#ifndef IMAGEGRAPH_TOOLS_TREE_TASKGRAPH_SYNTAX_H_
#define IMAGEGRAPH_TOOLS_TREE_TASKGRAPH_SYNTAX_H_

#include <array>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// The files `# %include-run-task` adds, from the tree's run-task directory,
// at run-task/NAME in the context.
inline constexpr std::array<absl::string_view, 4> kRunTaskFiles = {
    "fetch-content", "hgrc", "robustcheckout.py", "run-task"};
inline constexpr absl::string_view kRunTaskContextDir = "run-task";

// The Dockerfile with every `# %ARG NAME` applied to the lines after it.
// `args` are the task's arguments; when `has_parent` (the task has
// parent:), DOCKER_IMAGE_PARENT is one of them and stays `$DOCKER_IMAGE_PARENT`
// (the builder's argument). Lines and line numbers are kept (the `# %ARG`
// lines are comments), so messages about the result name the source lines.
// An `# %ARG NAME` without a value is an error naming path:line and
// `fix(NAME)`.
absl::StatusOr<std::string> SubstitutePercentArgs(
    absl::string_view path, absl::string_view text,
    const absl::flat_hash_map<std::string, std::string>& args, bool has_parent,
    const std::function<std::string(absl::string_view name)>& fix);

// The 1-based lines of the `# %include-run-task` comments of `text`.
std::vector<int> RunTaskIncludeLines(absl::string_view text);

// `text` with the lines that copy the run-task files into the image inserted
// after each `# %include-run-task` line (as taskgraph does), and, for each
// line of the result, the line of `text` it comes from (the include's line
// for inserted ones), 1-based.
struct WithRunTask {
  std::string text;
  std::vector<int> source_lines;
};
WithRunTask InsertRunTaskLines(absl::string_view text);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_TASKGRAPH_SYNTAX_H_
