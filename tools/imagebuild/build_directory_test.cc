#include "tools/imagebuild/build_directory.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/imagebuild/containment.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Under /tmp: TEST_TMPDIR is below root's home, which only root may enter.
std::string FreshTmpdir(const std::string& name) {
  std::string pattern =
      absl::StrCat("/tmp/build_directory_test.", name, ".XXXXXX");
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  EXPECT_EQ(chmod(pattern.c_str(), 0755), 0);
  setenv("TMPDIR", pattern.c_str(), 1);
  return pattern;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

TEST(BuildDirectoryTest, NamedAfterImageAndOwnerAndRemoved) {
  const std::string tmpdir = FreshTmpdir("named");
  auto containment = PrepareContainment();
  ASSERT_TRUE(containment.ok()) << containment.status();
  auto dir = BuildDirectory::Create("decision", *containment);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_THAT(
      dir->path(),
      StartsWith(absl::StrCat(tmpdir, "/imagebuild-decision.", getpid(), ".")));
  struct stat st;
  ASSERT_EQ(stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  const std::string path = dir->path();
  ASSERT_TRUE(dir->Remove().ok());
  EXPECT_FALSE(Exists(path));
  ASSERT_TRUE(RemoveTree(tmpdir).ok());
}

TEST(BuildDirectoryTest, TmpdirOthersCannotEnterIsRefused) {
  const std::string tmpdir = FreshTmpdir("private");
  const std::string inner = tmpdir + "/inner";
  ASSERT_EQ(mkdir(inner.c_str(), 0755), 0);
  ASSERT_EQ(chmod(tmpdir.c_str(), 0700), 0);
  setenv("TMPDIR", inner.c_str(), 1);
  auto containment = PrepareContainment();
  ASSERT_TRUE(containment.ok()) << containment.status();
  auto dir = BuildDirectory::Create("x", *containment);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(dir.status().message(),
              HasSubstr(tmpdir + " (mode 0700) may be entered or run only "
                                 "by its owner"));
  EXPECT_THAT(dir.status().message(), HasSubstr("point TMPDIR at"));
  EXPECT_THAT(dir.status().message(),
              HasSubstr("`TMPDIR=/path bazel build ...`; --action_env cannot"));
  ASSERT_TRUE(RemoveTree(tmpdir).ok());
}

TEST(BuildDirectoryTest, KilledOwnersDirectoryIsRemovedLiveOnesKept) {
  const std::string tmpdir = FreshTmpdir("abandoned");
  auto containment = PrepareContainment();
  ASSERT_TRUE(containment.ok()) << containment.status();
  auto live = BuildDirectory::Create("live", *containment);
  ASSERT_TRUE(live.ok()) << live.status();
  pid_t child = fork();
  if (child == 0) {
    auto dir = BuildDirectory::Create("killed", *containment);
    if (!dir.ok()) _exit(1);
    ASSERT_TRUE(WriteFileAtomically(dir->path() + "/layer", "x").ok());
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::string killed_prefix =
      absl::StrCat(tmpdir, "/imagebuild-killed.", child, ".");

  std::vector<std::string> reports;
  RemoveAbandonedBuildDirectories(
      tmpdir, *containment,
      [&reports](absl::string_view line) { reports.emplace_back(line); });
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_THAT(reports[0], HasSubstr("removed " + killed_prefix));
  EXPECT_THAT(reports[0], HasSubstr("left behind by a build that was killed"));
  EXPECT_TRUE(Exists(live->path()));

  reports.clear();
  RemoveAbandonedBuildDirectories(
      tmpdir, *containment,
      [&reports](absl::string_view line) { reports.emplace_back(line); });
  EXPECT_THAT(reports, IsEmpty());
  ASSERT_TRUE(live->Remove().ok());
  ASSERT_TRUE(RemoveTree(tmpdir).ok());
}

TEST(ExplainDiskFullTest, NamesTheFullDirectory) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string mount_point = FreshTmpdir("full");
  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "nr_inodes=1"), 0);
  setenv("TMPDIR", mount_point.c_str(), 1);
  auto containment = PrepareContainment();
  ASSERT_TRUE(containment.ok()) << containment.status();
  auto dir = BuildDirectory::Create("big", *containment);
  EXPECT_THAT(dir.status().message(), HasSubstr("No space left on device"));
  EXPECT_THAT(dir.status().message(),
              HasSubstr("The file system of " + mount_point));
  EXPECT_THAT(dir.status().message(),
              HasSubstr("`TMPDIR=/path bazel build ...`"));
  ASSERT_EQ(umount(mount_point.c_str()), 0);
  ASSERT_TRUE(RemoveTree(mount_point).ok());
  EXPECT_TRUE(
      ExplainDiskFull(absl::NotFoundError("x: gone"), "/tmp").message() ==
      "x: gone");
}

}  // namespace
}  // namespace imagegraph
