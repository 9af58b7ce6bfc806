// Running child processes: argv in, exit status and output out.
#ifndef IMAGEGRAPH_TOOLS_COMMON_SUBPROCESS_H_
#define IMAGEGRAPH_TOOLS_COMMON_SUBPROCESS_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct SubprocessOptions {
  // Environment entries ("K=V") set on top of (or replacing) the parent's.
  std::vector<std::string> extra_env;
  // Names of environment variables the child does not inherit.
  std::vector<std::string> unset_env;
  // Working directory of the child; empty keeps the parent's.
  std::string working_directory;
  // When true the child's stderr goes into the same pipe as its stdout, so
  // `stdout_text` holds both, interleaved as the child wrote them.
  bool merge_stderr_into_stdout = false;
  // Called with every complete line (no trailing newline) of stdout (and of
  // stderr when merged) as it arrives.
  std::function<void(absl::string_view)> on_stdout_line;
  // The child gets SIGKILL when the calling thread dies (PR_SET_PDEATHSIG),
  // so that no child outlives a killed parent.
  bool kill_with_parent = false;
  // Runs even after an interrupt (see InstallInterruptHandler), without
  // passing signals on: for the cleanup that the interrupt asks for.
  bool run_when_interrupted = false;
  // The signal an interrupt sends the child; 0 passes the interrupting
  // signal on. (A child that ignores SIGTERM, like `unshare --fork`, needs
  // SIGKILL.)
  int signal_on_interrupt = 0;
};

struct SubprocessResult {
  // The exit code, or 128 + the signal number when a signal ended the child.
  int exit_code = 0;
  bool signaled = false;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs argv[0] (looked up in PATH when it has no '/') with the given
// arguments and waits for it. A program that cannot be started is a
// NotFoundError (missing) or an internal error naming the program; a child
// that runs and fails is a successful call with a non-zero `exit_code`.
// Threads may run children at once.
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv,
    const SubprocessOptions& options = SubprocessOptions());

// Makes SIGINT, SIGTERM and SIGHUP interrupt instead of kill: the signal is
// passed on to the running children, those RunSubprocess calls and every later
// one fail with CancelledError, and the caller unwinds normally, so temporary
// files and directories are removed on the way out.
void InstallInterruptHandler();

// The signal number that interrupted the process, or 0.
int InterruptSignal();

// The full path of `program` found through PATH (or `program` itself when it
// contains a '/' and is executable); NotFoundError otherwise.
absl::StatusOr<std::string> FindExecutable(absl::string_view program);

// The last `max_lines` lines of `text` (all of it when shorter).
std::string LastLines(absl::string_view text, int max_lines);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_SUBPROCESS_H_
