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
