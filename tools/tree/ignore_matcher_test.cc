#include "tools/tree/ignore_matcher.h"

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

IgnoreMatcher MustParse(absl::string_view text) {
  absl::StatusOr<IgnoreMatcher> matcher = IgnoreMatcher::Parse(text, "t");
  EXPECT_TRUE(matcher.ok()) << matcher.status();
  return matcher.ok() ? *matcher : IgnoreMatcher();
}

TEST(IgnoreMatcherTest, EmptyExcludesNothing) {
  IgnoreMatcher matcher = MustParse("\n# only a comment\n   \n");
  EXPECT_TRUE(matcher.empty());
  EXPECT_FALSE(matcher.Excludes("a"));
}

TEST(IgnoreMatcherTest, StarStaysInOneDirectory) {
  IgnoreMatcher matcher = MustParse("*.log\n");
  EXPECT_TRUE(matcher.Excludes("x.log"));
  EXPECT_TRUE(matcher.Excludes(".log"));
  EXPECT_FALSE(matcher.Excludes("dir/x.log"));
  EXPECT_FALSE(matcher.Excludes("x.log.txt"));
}

TEST(IgnoreMatcherTest, QuestionMarkIsOneCharacterButNotSlash) {
  IgnoreMatcher matcher = MustParse("a?c\n");
  EXPECT_TRUE(matcher.Excludes("abc"));
  EXPECT_TRUE(
      matcher.Excludes("a\xC3\xA9"
                       "c"));  // one two-byte character
  EXPECT_FALSE(matcher.Excludes("a/c"));
  EXPECT_FALSE(matcher.Excludes("ac"));
  EXPECT_FALSE(matcher.Excludes("abbc"));
}

TEST(IgnoreMatcherTest, DoubleStarSpansDirectories) {
  IgnoreMatcher matcher = MustParse("**/*.tmp\n");
  EXPECT_TRUE(matcher.Excludes("x.tmp"));
  EXPECT_TRUE(matcher.Excludes("a/b/c/x.tmp"));
  EXPECT_FALSE(matcher.Excludes("a/b/x.tmpl"));
  IgnoreMatcher middle = MustParse("a/**/z\n");
  EXPECT_TRUE(middle.Excludes("a/z"));
  EXPECT_TRUE(middle.Excludes("a/b/c/z"));
  EXPECT_FALSE(middle.Excludes("b/z"));
  IgnoreMatcher trailing = MustParse("cache/**\n");
  EXPECT_TRUE(trailing.Excludes("cache/x/y"));
  EXPECT_FALSE(trailing.Excludes("cachex"));
}

TEST(IgnoreMatcherTest, MatchedDirectoryDropsEverythingBelow) {
  IgnoreMatcher matcher = MustParse("build\n");
  EXPECT_TRUE(matcher.Excludes("build"));
  EXPECT_TRUE(matcher.Excludes("build/a/b.o"));
  EXPECT_FALSE(matcher.Excludes("src/build"));
  IgnoreMatcher wildcard = MustParse("*/tmp\n");
  EXPECT_TRUE(wildcard.Excludes("a/tmp/deep/file"));
  EXPECT_FALSE(wildcard.Excludes("tmp/file"));
}

TEST(IgnoreMatcherTest, ExceptionsAndLastMatchWins) {
  IgnoreMatcher matcher = MustParse("*.md\n!README.md\n");
  EXPECT_TRUE(matcher.has_exceptions());
  EXPECT_TRUE(matcher.Excludes("CHANGES.md"));
  EXPECT_FALSE(matcher.Excludes("README.md"));
  IgnoreMatcher reexcluded = MustParse("*.md\n!README*.md\nREADME-secret.md\n");
  EXPECT_FALSE(reexcluded.Excludes("README-public.md"));
  EXPECT_TRUE(reexcluded.Excludes("README-secret.md"));
  IgnoreMatcher inside = MustParse("docs\n!docs/keep.txt\n");
  EXPECT_TRUE(inside.Excludes("docs/drop.txt"));
  EXPECT_FALSE(inside.Excludes("docs/keep.txt"));
}

TEST(IgnoreMatcherTest, PatternsAreCleanedLikeDocker) {
  IgnoreMatcher matcher = MustParse("  /a/./b//c  \n./d/../e\n");
  EXPECT_TRUE(matcher.Excludes("a/b/c"));
  EXPECT_TRUE(matcher.Excludes("e"));
  EXPECT_FALSE(matcher.Excludes("d"));
}

TEST(IgnoreMatcherTest, CommentsOnlyAtLineStart) {
  IgnoreMatcher matcher = MustParse("#x\n \\#y\n");
  EXPECT_FALSE(matcher.Excludes("#x"));
  EXPECT_TRUE(matcher.Excludes("#y"));
}

TEST(IgnoreMatcherTest, CharacterClasses) {
  IgnoreMatcher matcher = MustParse("file[0-9].txt\nx[^ab]\n");
  EXPECT_TRUE(matcher.Excludes("file7.txt"));
  EXPECT_FALSE(matcher.Excludes("filex.txt"));
  EXPECT_TRUE(matcher.Excludes("xc"));
  EXPECT_FALSE(matcher.Excludes("xa"));
}

TEST(IgnoreMatcherTest, EscapedWildcardIsLiteral) {
  IgnoreMatcher matcher = MustParse("a\\*b\n");
  EXPECT_TRUE(matcher.Excludes("a*b"));
  EXPECT_FALSE(matcher.Excludes("axb"));
}

TEST(IgnoreMatcherTest, MalformedPatternNamesFileAndLine) {
  absl::StatusOr<IgnoreMatcher> bad =
      IgnoreMatcher::Parse("ok\n[abc\n", "img/.dockerignore");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "img/.dockerignore:2: pattern \"[abc\" is malformed: '[' has no "
            "matching ']'");
  absl::StatusOr<IgnoreMatcher> lone = IgnoreMatcher::Parse("!\n", "f");
  ASSERT_FALSE(lone.ok());
  EXPECT_NE(lone.status().message().find("f:1: a lone \"!\""),
            absl::string_view::npos);
}

TEST(CleanPathTest, BehavesLikeGoPathClean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("./"), ".");
}

}  // namespace
}  // namespace imagegraph
