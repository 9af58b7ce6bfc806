#include "tools/tree/context_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(ContextFilterTest, WithoutDockerignoreKeepsAllButHash) {
  const ContextFilter filter;
  EXPECT_TRUE(filter.Keeps("Dockerfile"));
  EXPECT_TRUE(filter.Keeps("VERSION"));
  EXPECT_TRUE(filter.Keeps("REGISTRY"));
  EXPECT_TRUE(filter.Keeps("sub/HASH"));
  EXPECT_FALSE(filter.Keeps("HASH"));
}

TEST(ContextFilterTest, DockerignoreCannotBringHashBackNorDropTheDockerfile) {
  absl::StatusOr<ContextFilter> filter =
      ContextFilter::Parse("*\n!HASH\n!VERSION\n", "img/.dockerignore");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Keeps("Dockerfile"));
  EXPECT_TRUE(filter->Keeps("VERSION"));
  EXPECT_FALSE(filter->Keeps("HASH"));
  EXPECT_FALSE(filter->Keeps("notes.md"));
  EXPECT_TRUE(filter->has_exceptions());
}

TEST(ContextFilterTest, DockerignoreMayDropVersion) {
  absl::StatusOr<ContextFilter> filter =
      ContextFilter::Parse("VERSION\n", "img/.dockerignore");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_FALSE(filter->Keeps("VERSION"));
  EXPECT_TRUE(filter->Keeps("run.sh"));
  EXPECT_FALSE(filter->has_exceptions());
}

TEST(ContextFilterTest, BadPatternNamesTheFile) {
  absl::StatusOr<ContextFilter> filter =
      ContextFilter::Parse("[a-\n", "img/.dockerignore");
  ASSERT_FALSE(filter.ok());
  EXPECT_THAT(filter.status().message(), HasSubstr("img/.dockerignore"));
}

}  // namespace
}  // namespace imagegraph
