#include "tools/imagebuild/imagebuild.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
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

TEST(ImageTagsTest, VersionAndContextHash) {
  EXPECT_THAT(ImageTags("registry.test/ig", "lint", "1.2", kHex),
              ElementsAre("registry.test/ig/lint:1.2",
                          "registry.test/ig/lint:" + kHex));
  EXPECT_THAT(ImageTags("", "lint", "", kHex),
              ElementsAre("localhost/lint:latest", "localhost/lint:" + kHex));
}

TEST(BuildImageTest, MissingBuildahSaysHowToInstall) {
  BuildRequest request;
  request.name = "x";
  request.context_tar = "/nonexistent/x.context.tar";
  request.context_hash_file = "/nonexistent/x.context_hash";
  request.output = "/nonexistent/x.tar.zst";
  request.metadata = "/nonexistent/x.image.json";
  request.buildah = "/nonexistent/bin/buildah";
  auto result = BuildImage(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("buildah is not installed"));
  EXPECT_THAT(result.status().message(), HasSubstr("apt-get install buildah"));
}

TEST(BuildImageTest, BadContextHashFileNamesIt) {
  BuildRequest request;
  request.name = "x";
  request.context_tar = "/nonexistent/x.context.tar";
  request.context_hash_file = "/nonexistent/x.context_hash";
  request.output = "/nonexistent/x.tar.zst";
  request.metadata = "/nonexistent/x.image.json";
  request.buildah = "/bin/true";
  auto result = BuildImage(request);
  EXPECT_THAT(result.status().message(),
              HasSubstr("/nonexistent/x.context_hash"));
}

}  // namespace
}  // namespace imagegraph
