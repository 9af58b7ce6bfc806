#include "tools/imagebuild/flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

const std::string kHex(64, 'a');

TEST(ParseParentFlagTest, SplitsAtFirstEquals) {
  auto parent = ParseParentFlag("base-build=bazel-out/x=y/base-build.tar.zst");
  ASSERT_TRUE(parent.ok()) << parent.status();
  EXPECT_EQ(parent->name, "base-build");
  EXPECT_EQ(parent->tarball, "bazel-out/x=y/base-build.tar.zst");
  EXPECT_THAT(ParseParentFlag("nopath").status().message(),
              HasSubstr("--parent=nopath: expected NAME=PATH"));
  EXPECT_FALSE(ParseParentFlag("=x").ok());
  EXPECT_FALSE(ParseParentFlag("x=").ok());
}

TEST(ParentMetadataTest, GoesToTheParentOfItsName) {
  std::vector<ParentImage> parents = {{"a", "a.tar.zst"}, {"b", "b.tar.zst"}};
  EXPECT_THAT(CheckParentsHaveMetadata(parents).message(),
              HasSubstr("--parent=a=a.tar.zst needs its NAME.image.json: add "
                        "--parent_metadata=a=PATH.image.json"));
  ASSERT_TRUE(AddParentMetadata("b=out/b=1.image.json", &parents).ok());
  EXPECT_EQ(parents[1].metadata, "out/b=1.image.json");
  EXPECT_THAT(AddParentMetadata("b=other.json", &parents).message(),
              HasSubstr("the parent b already has its metadata"));
  EXPECT_THAT(AddParentMetadata("c=c.json", &parents).message(),
              HasSubstr("--parent_metadata=c=c.json: no --parent=c="));
  EXPECT_THAT(AddParentMetadata("a", &parents).message(),
              HasSubstr("expected NAME=PATH"));
  ASSERT_TRUE(AddParentMetadata("a=a.image.json", &parents).ok());
  EXPECT_TRUE(CheckParentsHaveMetadata(parents).ok());
}

TEST(ParseBaseFlagTest, ReadsPinnedReferenceAndPath) {
  auto base = ParseBaseFlag("mirror.test:5000/library/debian@sha256:" + kHex +
                            "=external/debian.tar");
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->reference, "mirror.test:5000/library/debian@sha256:" + kHex);
  EXPECT_EQ(base->digest, "sha256:" + kHex);
  EXPECT_EQ(base->tarball, "external/debian.tar");
}

TEST(ParseBaseFlagTest, RejectsUnpinnedOrShortDigests) {
  for (const std::string& bad : std::vector<std::string>{
           "debian:12=/x.tar", "debian@sha256:abc=/x.tar",
           "debian@sha256:" + kHex, "debian@sha256:" + kHex + "=",
           "@sha256:" + kHex + "=/x.tar",
           "debian@sha256:" + std::string(64, 'A') + "=/x.tar"}) {
    auto base = ParseBaseFlag(bad);
    EXPECT_THAT(base.status().message(),
                HasSubstr("expected REPOSITORY@sha256:<64 lowercase hex"))
        << bad;
  }
}

TEST(ParseBuildArgFlagTest, KeepsEqualsInValue) {
  auto arg = ParseBuildArgFlag("OPTS=a=b,c");
  ASSERT_TRUE(arg.ok());
  EXPECT_EQ(arg->first, "OPTS");
  EXPECT_EQ(arg->second, "a=b,c");
  auto empty = ParseBuildArgFlag("EMPTY=");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->second, "");
  EXPECT_THAT(ParseBuildArgFlag("=v").status().message(),
              HasSubstr("expected KEY=VALUE"));
}

}  // namespace
}  // namespace imagegraph
