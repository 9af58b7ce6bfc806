// Following `buildah build` output: STEP lines become progress, the output of
// the step that runs is kept for the error message, and a failure is turned
// into a message that names the Dockerfile line.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_OUTPUT_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_OUTPUT_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tools/dockerfile/dockerfile.h"

namespace imagegraph {

// Lines of a failing step's output shown in its error.
inline constexpr int kFailureOutputLines = 20;

// Prints "imagebuild: NAME: MESSAGE" on stderr.
void Progress(absl::string_view name, absl::string_view message);

class BuildOutputTracker {
 public:
  explicit BuildOutputTracker(std::string name) : name_(std::move(name)) {}

  // Takes one line of buildah's output (stdout and stderr merged, in the
  // order they were written).
  void OnLine(absl::string_view line);

  const std::string& step() const { return step_; }
  const std::string& error() const { return error_; }
  std::string StepOutput() const;

 private:
  std::string name_;
  std::string step_;
  std::string error_;
  std::deque<std::string> step_output_;
};

// The Dockerfile line of buildah's "STEP k/n: ..." (steps count instructions
// from the first FROM on), when the keyword agrees; 0 otherwise.
int StepLine(const Dockerfile& dockerfile, absl::string_view step);

// The error for a `buildah build` that exited with `exit_code`: the
// Dockerfile (`dockerfile_label`) and line of the failing step, the reason,
// and the step's last lines of output (`all_output` when the tracker kept
// none). With `source_lines`, line L of `dockerfile` (what buildah built)
// is reported as source_lines[L-1], the line of the file as written.
absl::Status BuildFailure(const BuildOutputTracker& tracker,
                          const Dockerfile& dockerfile,
                          absl::string_view dockerfile_label, int exit_code,
                          absl::string_view all_output,
                          const std::vector<int>* source_lines = nullptr);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_OUTPUT_H_
