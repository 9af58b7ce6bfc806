// Stopping when whoever waits for this build is gone: a build that Bazel
// abandoned must not go on, write outputs nobody tracks, or index them.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_PARENT_WATCH_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_PARENT_WATCH_H_

#include <sys/types.h>

#include <string>

namespace imagegraph {

// Sends this process SIGTERM (which InstallInterruptHandler turns into an
// orderly stop) when its parent dies. When the parent is Bazel's
// process-wrapper or linux-sandbox, which outlive a killed Bazel server, the
// server (the parent's parent) is watched too, once a second.
void StopWhenParentDies();

// The parent process ID of `pid` read from /proc, or -1.
pid_t ParentOf(pid_t pid);

// The command name of `pid` (/proc/PID/comm), or "".
std::string CommandName(pid_t pid);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_PARENT_WATCH_H_
