#include "tools/imagebuild/parent_watch.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

TEST(ParentOfTest, ReadsProc) {
  EXPECT_EQ(ParentOf(getpid()), getppid());
  EXPECT_EQ(ParentOf(999999999), -1);
  EXPECT_FALSE(CommandName(getpid()).empty());
}

// A grandchild that watches its parent gets SIGTERM when the parent is
// killed with SIGKILL (as Bazel's process wrapper can be).
TEST(StopWhenParentDiesTest, KilledParentStopsTheChild) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t middle = fork();
  if (middle == 0) {
    pid_t watcher = fork();
    if (watcher == 0) {
      signal(SIGTERM, [](int) {
        const char got = 'T';
        (void)!write(3, &got, 1);
        _exit(0);
      });
      dup2(report[1], 3);
      StopWhenParentDies();
      const char ready = 'R';
      (void)!write(3, &ready, 1);
      pause();
      _exit(1);
    }
    pause();
    _exit(1);
  }
  close(report[1]);
  char got = 0;
  ASSERT_EQ(read(report[0], &got, 1), 1);
  ASSERT_EQ(got, 'R');
  kill(middle, SIGKILL);
  waitpid(middle, nullptr, 0);
  ASSERT_EQ(read(report[0], &got, 1), 1);
  EXPECT_EQ(got, 'T');
}

}  // namespace
}  // namespace imagegraph
