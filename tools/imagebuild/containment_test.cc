#include "tools/imagebuild/containment.h"

#include <errno.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseSubordinateIdsTest, ReadsGetsubidsLines) {
  std::vector<IdRange> ranges =
      ParseSubordinateIds("0: alice 100000 65536\n1: alice 300000 1000\n");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].start, 100000u);
  EXPECT_EQ(ranges[0].count, 65536u);
  EXPECT_EQ(ranges[1].start, 300000u);
  EXPECT_EQ(ranges[1].count, 1000u);
  EXPECT_TRUE(ParseSubordinateIds("Error fetching ranges\n").empty());
}

TEST(ChooseRangeTest, TakesTheFirstLargeEnoughRange) {
  auto range = ChooseRange({{300000, 1000}, {400000, 70000}}, "alice",
                           "/etc/subuid", true);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->start, 400000u);
}

TEST(ChooseRangeTest, NoRangeSaysWhatAndHowToFix) {
  auto range = ChooseRange({}, "alice", "/etc/subuid", true);
  EXPECT_EQ(range.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(range.status().message(),
              HasSubstr("alice has no subordinate user IDs in /etc/subuid"));
  EXPECT_THAT(range.status().message(), HasSubstr("sudo ./bazelw"));
  EXPECT_THAT(range.status().message(), HasSubstr("0..65535"));
}

TEST(ChooseRangeTest, TooSmallRangeIsNamed) {
  auto range = ChooseRange({{300000, 1000}}, "bob", "/etc/subgid", true);
  EXPECT_THAT(range.status().message(),
              HasSubstr("bob has only ranges of fewer than 65536 subordinate "
                        "group IDs in /etc/subgid: 300000-300999 (1000 IDs)"));
}

TEST(ChooseRangeTest, RootIsToldToRunBazelwAsRoot) {
  auto range = ChooseRange({}, "root", "/etc/subuid", false);
  EXPECT_THAT(range.status().message(), HasSubstr("run ./bazelw once as root"));
  EXPECT_THAT(range.status().message(), HasSubstr("as host root"));
}

TEST(UserNamespaceErrorTest, NamesTheSettingToChange) {
  EXPECT_THAT(UserNamespaceError(ENOSPC),
              HasSubstr("sudo sysctl -w user.max_user_namespaces=15000"));
  EXPECT_THAT(UserNamespaceError(EPERM),
              HasSubstr("kernel.unprivileged_userns_clone=1"));
  EXPECT_THAT(UserNamespaceError(EINVAL), HasSubstr("CONFIG_USER_NS"));
}

TEST(ContainmentTest, BuildNamespaceRootIsTheSubordinateRange) {
  Containment root;
  root.unshare = "/usr/bin/unshare";
  root.setpriv = "/usr/bin/setpriv";
  root.uids = {165536, 65536};
  root.gids = {200000, 65536};
  EXPECT_THAT(
      root.WrapperArgv(),
      ElementsAre("/usr/bin/unshare", "--map-users=165536,0,65536",
                  "--map-groups=200000,0,65536", "--setuid=0", "--setgid=0",
                  "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                  "--", "/usr/bin/setpriv", "--pdeathsig=KILL", "--"));
}

// This machine allows user namespaces and root has a range (./bazelw adds
// it), so the real check passes here.
TEST(PrepareContainmentTest, PassesOnAPreparedMachine) {
  auto containment = PrepareContainment();
  ASSERT_TRUE(containment.ok()) << containment.status();
  EXPECT_GE(containment->uids.count, kContainerIdCount);
  EXPECT_GE(containment->gids.count, kContainerIdCount);
}

}  // namespace
}  // namespace imagegraph
