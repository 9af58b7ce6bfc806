#include "tools/imagebuild/build_output.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "tools/common/subprocess.h"

namespace imagegraph {

void Progress(absl::string_view name, absl::string_view message) {
  std::string line = absl::StrCat("imagebuild: ", name, ": ", message, "\n");
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

void BuildOutputTracker::OnLine(absl::string_view line) {
  if (absl::StartsWith(line, "STEP ")) {
    step_ = std::string(line);
    step_output_.clear();
    Progress(name_, line);
    return;
  }
  // buildah's own summary lines repeat the failure; the step's output is
  // what explains it.
  if (absl::StartsWith(line, "subprocess exited with status") ||
      absl::StartsWith(line, "Error: building at STEP")) {
    if (absl::StartsWith(line, "Error: ")) error_ = std::string(line);
    return;
  }
  if (absl::StartsWith(line, "Error: ")) error_ = std::string(line);
  step_output_.emplace_back(line);
  if (step_output_.size() > kFailureOutputLines) step_output_.pop_front();
}

std::string BuildOutputTracker::StepOutput() const {
  return absl::StrJoin(step_output_, "\n");
}

int StepLine(const Dockerfile& dockerfile, absl::string_view step) {
  int number = 0;
  if (!absl::ConsumePrefix(&step, "STEP ")) return 0;
  size_t slash = step.find('/');
  if (slash == absl::string_view::npos ||
      !absl::SimpleAtoi(step.substr(0, slash), &number) || number < 1) {
    return 0;
  }
  size_t colon = step.find(": ");
  absl::string_view keyword =
      colon == absl::string_view::npos ? "" : step.substr(colon + 2);
  keyword = keyword.substr(0, keyword.find(' '));
  if (dockerfile.stages.empty()) return 0;
  size_t index = dockerfile.stages.front().instruction + number - 1;
  if (index >= dockerfile.instructions.size()) return 0;
  const Instruction& instruction = dockerfile.instructions[index];
  return absl::EqualsIgnoreCase(instruction.keyword, keyword) ? instruction.line
                                                              : 0;
}

absl::Status BuildFailure(const BuildOutputTracker& tracker,
                          const Dockerfile& dockerfile,
                          absl::string_view dockerfile_label, int exit_code,
                          absl::string_view all_output,
                          const std::vector<int>* source_lines) {
  std::string where(dockerfile_label);
  int line = StepLine(dockerfile, tracker.step());
  if (line > 0 && source_lines != nullptr) {
    line = line <= static_cast<int>(source_lines->size())
               ? (*source_lines)[line - 1]
               : 0;
  }
  if (line > 0) absl::StrAppend(&where, ":", line);
  // A source outside the context: buildah's own words ("possible escaping
  // context directory error") do not say what is allowed.
  if (absl::StrContains(tracker.error(),
                        "possible escaping context directory")) {
    absl::string_view instruction = tracker.step();
    size_t colon = instruction.find(": ");
    if (colon != absl::string_view::npos) instruction.remove_prefix(colon + 2);
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", instruction,
        " names a source outside the build context; COPY and ADD can take "
        "only files of the image's context (its folder, and the "
        "`topsrcdir/...` paths that `# %include` lines pull in): move the "
        "file into the folder or include it"));
  }
  // buildah ends with `Error: building at STEP "...": exit status N`; the
  // step is already named, so keep only the reason.
  std::string reason = tracker.error();
  size_t reason_start = reason.rfind("\": ");
  if (absl::StartsWith(reason, "Error: building at STEP") &&
      reason_start != std::string::npos) {
    reason = reason.substr(reason_start + 3);
  } else if (reason.empty()) {
    reason = absl::StrCat("buildah exited with ", exit_code);
  }
  std::string output = tracker.StepOutput();
  if (output.empty()) output = LastLines(all_output, kFailureOutputLines);
  return absl::AbortedError(absl::StrCat(
      where, ": ", tracker.step().empty() ? "the build" : tracker.step(),
      " failed (", reason, "); last lines of its output:\n  ",
      absl::StrReplaceAll(output, {{"\n", "\n  "}})));
}

}  // namespace imagegraph
