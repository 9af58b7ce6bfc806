#include "tools/common/relative_path.h"

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

TEST(CleanPathTest, BehavesLikeGoPathClean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("./"), ".");
  EXPECT_EQ(CleanPath("../a/.."), "..");
}

TEST(LeavesItsRootTest, OnlyPathsThatClimbAboveIt) {
  for (absl::string_view leaves :
       {"..", "../x", "a/../../x", "./../a/..", "a/b/../../.."}) {
    EXPECT_TRUE(LeavesItsRoot(leaves)) << leaves;
  }
  for (absl::string_view stays :
       {".", "", "a", "a/..", "a/../b", "..a", "a/..b", "./a//b/"}) {
    EXPECT_FALSE(LeavesItsRoot(stays)) << stays;
  }
}

TEST(IsPlainRelativePathTest, OnlyPlainRelativePaths) {
  EXPECT_TRUE(IsPlainRelativePath("busybox.tar.zst"));
  EXPECT_TRUE(IsPlainRelativePath("rootfs/debian.tar.zst"));
  EXPECT_TRUE(IsPlainRelativePath("..a/b.."));
  for (absl::string_view bad : {"", ".", "..", "/etc/passwd", "../x", "a/../b",
                                "./a", "a//b", "a/", "a/."}) {
    EXPECT_FALSE(IsPlainRelativePath(bad)) << bad;
  }
}

}  // namespace
}  // namespace imagegraph
