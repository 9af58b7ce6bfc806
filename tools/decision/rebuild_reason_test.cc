#include "tools/decision/rebuild_reason.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;

std::string Hex(char c) { return std::string(64, c); }

ContextManifest Parse(const std::string& text) {
  auto manifest = ParseContextManifest(text, "m");
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  return *manifest;
}

const std::string kBefore = absl::StrCat(
    Hex('a'), " 644 Dockerfile\n", Hex('b'), " 755 lint.sh\n", Hex('c'),
    " 644 old.txt\n", Hex('d'), " 644 topsrcdir/images/recipes/common.sh\n",
    "parent ", Hex('1'), " base-test\n", "parent ", Hex('2'), " tools\n",
    "arg FLAVOUR=plain\n");

bool Builds(absl::string_view name) { return name == "base-test"; }

TEST(RebuildReasonTest, NamesFilesAsRepositoryPathsAndParentsThatRebuild) {
  const std::string after = absl::StrCat(
      Hex('a'), " 644 Dockerfile\n", Hex('e'), " 755 lint.sh\n", Hex('c'),
      " 644 old.txt\n", Hex('f'), " 644 topsrcdir/images/recipes/common.sh\n",
      "parent ", Hex('3'), " base-test\n", "parent ", Hex('2'), " tools\n",
      "arg FLAVOUR=plain\n");
  const RebuildChanges changes = SummarizeChanges(
      DiffContextManifests(Parse(kBefore), Parse(after)), "images/lint");
  EXPECT_THAT(changes.files,
              ElementsAre("images/lint/lint.sh", "images/recipes/common.sh"));
  EXPECT_EQ(DescribeRebuild(changes, "latest at level 3", Builds),
            "2 files changed since latest at level 3: images/lint/lint.sh, "
            "images/recipes/common.sh; parent base-test rebuilt");
}

TEST(RebuildReasonTest, NewRemovedFilesParentsAndArguments) {
  const std::string after = absl::StrCat(
      Hex('a'), " 644 Dockerfile\n", Hex('b'), " 755 lint.sh\n", Hex('9'),
      " 644 new.txt\n", Hex('d'), " 644 topsrcdir/images/recipes/common.sh\n",
      "parent ", Hex('2'), " tools\n", "parent ", Hex('4'), " extra\n",
      "arg FLAVOUR=spicy\n", "arg MORE=1\n");
  const RebuildChanges changes = SummarizeChanges(
      DiffContextManifests(Parse(kBefore), Parse(after)), "images/lint");
  EXPECT_EQ(DescribeRebuild(changes, "latest at level 1", Builds),
            "2 files changed since latest at level 1: images/lint/new.txt "
            "(new), images/lint/old.txt (removed); new parent extra; parent "
            "base-test no longer used; build arguments FLAVOUR, MORE (new) "
            "changed");
}

TEST(RebuildReasonTest, AParentThatIsAlreadyIndexedChanged) {
  const std::string after = absl::StrCat(
      Hex('a'), " 644 Dockerfile\n", Hex('b'), " 755 lint.sh\n", Hex('c'),
      " 644 old.txt\n", Hex('d'), " 644 topsrcdir/images/recipes/common.sh\n",
      "parent ", Hex('1'), " base-test\n", "parent ", Hex('5'), " tools\n",
      "arg FLAVOUR=plain\n");
  const RebuildChanges changes = SummarizeChanges(
      DiffContextManifests(Parse(kBefore), Parse(after)), "images/lint");
  EXPECT_EQ(DescribeRebuild(changes, "latest at level 3", Builds),
            "parent tools changed (already indexed)");
}

TEST(RebuildReasonTest, ListsAtMostFiveFiles) {
  std::string before, after;
  for (char c = 'a'; c <= 'g'; ++c) {
    absl::StrAppend(&before, Hex('0'), " 644 ", std::string(1, c), "\n");
    absl::StrAppend(&after, Hex('1'), " 644 ", std::string(1, c), "\n");
  }
  const RebuildChanges changes = SummarizeChanges(
      DiffContextManifests(Parse(before), Parse(after)), "images/x");
  EXPECT_EQ(DescribeRebuild(changes, "latest at level 3", Builds),
            "7 files changed since latest at level 3: images/x/a, images/x/b, "
            "images/x/c, images/x/d, images/x/e and 2 more");
}

TEST(RebuildReasonTest, NothingChangedMeansTheHashEntryIsGone) {
  const RebuildChanges changes = SummarizeChanges(
      DiffContextManifests(Parse(kBefore), Parse(kBefore)), "images/lint");
  EXPECT_EQ(DescribeRebuild(changes, "latest at level 3", Builds),
            "nothing changed since latest at level 3, but its hash entry is "
            "gone");
}

TEST(FormatManifestDiffTest, ShowsBothLinesOfEveryChange) {
  const std::string after = absl::StrCat(
      Hex('a'), " 644 Dockerfile\n", Hex('e'), " 755 lint.sh\n", Hex('d'),
      " 644 topsrcdir/images/recipes/common.sh\n", "parent ", Hex('1'),
      " base-test\n", "parent ", Hex('2'), " tools\n", "arg FLAVOUR=plain\n");
  EXPECT_EQ(
      FormatManifestDiff(DiffContextManifests(Parse(kBefore), Parse(after))),
      absl::StrCat("- ", Hex('b'), " 755 lint.sh\n", "+ ", Hex('e'),
                   " 755 lint.sh\n", "- ", Hex('c'), " 644 old.txt\n"));
}

}  // namespace
}  // namespace imagegraph
