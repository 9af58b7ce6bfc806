#include "tools/imagebuild/parent_watch.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"

namespace imagegraph {

pid_t ParentOf(pid_t pid) {
  auto stat = ReadFileToString(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return -1;
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return -1;
  absl::string_view rest = absl::string_view(*stat).substr(close + 1);
  rest = absl::StripLeadingAsciiWhitespace(rest);
  size_t space = rest.find(' ');
  if (space == absl::string_view::npos) return -1;
  rest = absl::StripLeadingAsciiWhitespace(rest.substr(space + 1));
  int ppid = -1;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &ppid)) return -1;
  return ppid;
}

std::string CommandName(pid_t pid) {
  auto comm = ReadFileToString(absl::StrCat("/proc/", pid, "/comm"));
  if (!comm.ok()) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(*comm));
}

void StopWhenParentDies() {
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before prctl.
  if (getppid() != parent) {
    kill(getpid(), SIGTERM);
    return;
  }
  const std::string parent_name = CommandName(parent);
  if (parent_name != "process-wrapper" && parent_name != "linux-sandbox") {
    return;
  }
  const pid_t server = ParentOf(parent);
  if (server <= 1) return;
  std::thread([parent, server] {
    while (ParentOf(parent) == server) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    kill(getpid(), SIGTERM);
  }).detach();
}

}  // namespace imagegraph
