#include "tools/common/subprocess.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RunSubprocessTest, CapturesStdoutStderrAndExitCode) {
  auto result =
      RunSubprocess({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_FALSE(result->signaled);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");
}

TEST(RunSubprocessTest, MergesStderrInOrderAndReportsLines) {
  SubprocessOptions options;
  options.merge_stderr_into_stdout = true;
  std::vector<std::string> lines;
  options.on_stdout_line = [&lines](absl::string_view line) {
    lines.emplace_back(line);
  };
  auto result = RunSubprocess(
      {"sh", "-c", "echo one; echo two >&2; printf three"}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text, "one\ntwo\nthree");
  EXPECT_THAT(lines, ElementsAre("one", "two", "three"));
}

TEST(RunSubprocessTest, SetsEnvironmentAndWorkingDirectory) {
  SubprocessOptions options;
  options.extra_env = {"IG_TEST_VALUE=forty two", "HOME=/nowhere"};
  options.working_directory = "/";
  auto result = RunSubprocess(
      {"sh", "-c", "echo \"$IG_TEST_VALUE|$HOME|$(pwd)\""}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "forty two|/nowhere|/\n");
}

TEST(RunSubprocessTest, ReportsSignal) {
  auto result = RunSubprocess({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->signaled);
  EXPECT_EQ(result->exit_code, 128 + 15);
}

TEST(RunSubprocessTest, MissingProgramIsNotFound) {
  auto result = RunSubprocess({"/nonexistent/ig-no-such-tool", "x"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("ig-no-such-tool"));
  auto in_path = RunSubprocess({"ig-no-such-tool-in-path"});
  EXPECT_EQ(in_path.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(in_path.status().message(), HasSubstr("not found in PATH"));
}

TEST(RunSubprocessTest, LargeOutputOnBothStreamsDoesNotDeadlock) {
  auto result = RunSubprocess({"sh", "-c",
                               "head -c 1000000 /dev/zero | tr '\\0' a; "
                               "head -c 1000000 /dev/zero | tr '\\0' b >&2"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text.size(), 1000000u);
  EXPECT_EQ(result->stderr_text.size(), 1000000u);
}

TEST(InterruptTest, SignalStopsChildAndCancelsLaterCalls) {
  // In a forked child (a death test), so the handler stays out of the rest.
  EXPECT_EXIT(
      {
        InstallInterruptHandler();
        // The child signals this process, which passes it on to the child.
        // exec: the shell must not leave a sleep behind holding the output
        // pipe when the signal reaches it after it forked one.
        auto first =
            RunSubprocess({"sh", "-c", "kill -TERM $PPID; exec sleep 30"});
        auto later = RunSubprocess({"true"});
        bool ok = first.status().code() == absl::StatusCode::kCancelled &&
                  later.status().code() == absl::StatusCode::kCancelled &&
                  InterruptSignal() == SIGTERM;
        fprintf(stderr, "%s\n", std::string(first.status().message()).c_str());
        exit(ok ? 42 : 1);
      },
      ::testing::ExitedWithCode(42), "interrupted by signal 15");
}

TEST(InterruptTest, ReachesTheChildrenOfEveryThread) {
  const std::string got =
      std::string(getenv("TEST_TMPDIR")) + "/interrupt-reached";
  EXPECT_EXIT(
      {
        InstallInterruptHandler();
        // A child of another thread, which notes the signal it gets. It
        // polls, because a signal that reaches the shell just before a
        // `wait` may not end the wait.
        std::thread other([&got] {
          (void)RunSubprocess(
              {"sh", "-c",
               "trap 'echo TERM >\"$0\"; exit 0' TERM; "
               ": >\"$0.ready\"; i=0; "
               "while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done",
               got});
        });
        // Once the other child has set its trap.
        auto first =
            RunSubprocess({"sh", "-c",
                           "until [ -e \"$0.ready\" ]; do sleep 0.05; done; "
                           "kill -TERM $PPID; exec sleep 30",
                           got});
        other.join();
        std::ifstream noted(got);
        std::string signal;
        noted >> signal;
        fprintf(stderr, "%s; the other child got %s\n",
                std::string(first.status().message()).c_str(), signal.c_str());
        exit(signal == "TERM" ? 42 : 1);
      },
      ::testing::ExitedWithCode(42),
      "interrupted by signal 15.*the other child got TERM");
}

TEST(FindExecutableTest, FindsShellInPath) {
  auto sh = FindExecutable("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_THAT(*sh, HasSubstr("/sh"));
  const std::string plain_file = std::string(getenv("TEST_TMPDIR")) + "/plain";
  FILE* f = fopen(plain_file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  EXPECT_EQ(FindExecutable(plain_file).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(LastLinesTest, KeepsTail) {
  EXPECT_EQ(LastLines("a\nb\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(LastLines("a\nb", 5), "a\nb");
  EXPECT_EQ(LastLines("", 3), "");
}

}  // namespace
}  // namespace imagegraph
