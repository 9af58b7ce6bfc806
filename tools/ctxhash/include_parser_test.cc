#include "tools/ctxhash/include_parser.h"

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

TEST(IncludeParserTest, FindsDirectivesWithLineNumbers) {
  absl::StatusOr<std::vector<IncludeDirective>> includes = ParseIncludes(
      "FROM scratch\n# %include recipes/a.sh\n#%include  ./tools//x/ \r\n"
      "RUN true # %include not/at/start\n# %includes other\n",
      "img/Dockerfile");
  ASSERT_TRUE(includes.ok()) << includes.status();
  ASSERT_EQ(includes->size(), 2u);
  EXPECT_EQ((*includes)[0].line, 2);
  EXPECT_EQ((*includes)[0].written, "recipes/a.sh");
  EXPECT_EQ((*includes)[0].normalized, "recipes/a.sh");
  EXPECT_EQ((*includes)[1].line, 3);
  EXPECT_EQ((*includes)[1].written, "./tools//x/");
  EXPECT_EQ((*includes)[1].normalized, "tools/x");
}

TEST(IncludeParserTest, InnerDotDotStaysInside) {
  absl::StatusOr<std::vector<IncludeDirective>> includes =
      ParseIncludes("# %include a/../b\n", "D");
  ASSERT_TRUE(includes.ok());
  EXPECT_EQ((*includes)[0].normalized, "b");
}

TEST(IncludeParserTest, AbsolutePathIsAnError) {
  absl::StatusOr<std::vector<IncludeDirective>> includes =
      ParseIncludes("FROM x\n# %include /etc/passwd\n", "img/Dockerfile");
  ASSERT_FALSE(includes.ok());
  EXPECT_EQ(includes.status().message(),
            "img/Dockerfile:2: %include /etc/passwd is an absolute path; "
            "write it relative to the repository root");
}

TEST(IncludeParserTest, LeavingTheRepositoryIsAnError) {
  absl::StatusOr<std::vector<IncludeDirective>> includes =
      ParseIncludes("# %include a/../../secret\n", "img/Dockerfile");
  ASSERT_FALSE(includes.ok());
  EXPECT_EQ(includes.status().message(),
            "img/Dockerfile:1: %include a/../../secret leaves the repository; "
            "only files inside the repository can be included");
}

TEST(IncludeParserTest, EmptyAndRootPathsAreErrors) {
  absl::StatusOr<std::vector<IncludeDirective>> empty =
      ParseIncludes("# %include   \n", "D");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("D:1: %include needs a path"),
            absl::string_view::npos);
  absl::StatusOr<std::vector<IncludeDirective>> root =
      ParseIncludes("\n# %include ./\n", "D");
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.status().message().find("D:2: %include ./ names the whole"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace imagegraph
