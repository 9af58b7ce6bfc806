#include "tools/ctxhash/manifest.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ctxhash/hashing.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

std::string Hex(char c) { return std::string(64, c); }

ContextEntry Entry(std::string path, char hex, uint32_t mode) {
  ContextEntry entry;
  entry.path = std::move(path);
  entry.sha256_hex = Hex(hex);
  entry.mode = mode;
  return entry;
}

TEST(ParseContextManifestTest, ReadsWhatBuildManifestWrites) {
  const std::string text =
      BuildManifest({Entry("Dockerfile", 'a', 0644), Entry("run.sh", 'b', 0755),
                     Entry("topsrcdir/images/recipes/common.sh", 'c', 0644)},
                    {{"base-build", Hex('d')}}, {{"FLAVOUR", "a=b c"}});
  auto manifest = ParseContextManifest(text, "m");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->files.size(), 3u);
  EXPECT_EQ(manifest->files[1].path, "run.sh");
  EXPECT_EQ(manifest->files[1].mode, 0755u);
  EXPECT_EQ(manifest->files[1].sha256_hex, Hex('b'));
  EXPECT_EQ(manifest->files[2].path, "topsrcdir/images/recipes/common.sh");
  ASSERT_EQ(manifest->parents.size(), 1u);
  EXPECT_EQ(manifest->parents[0].name, "base-build");
  EXPECT_EQ(manifest->parents[0].context_hash, Hex('d'));
  ASSERT_EQ(manifest->args.size(), 1u);
  EXPECT_EQ(manifest->args[0].name, "FLAVOUR");
  EXPECT_EQ(manifest->args[0].value, "a=b c");
  EXPECT_EQ(FindManifestFile(*manifest, "run.sh"), &manifest->files[1]);
  EXPECT_EQ(FindManifestFile(*manifest, "missing"), nullptr);
}

TEST(ParseContextManifestTest, PathsWithSpacesStayWhole) {
  auto manifest =
      ParseContextManifest(absl::StrCat(Hex('a'), " 644 a b  c\n"), "m");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->files[0].path, "a b  c");
}

TEST(ParseContextManifestTest, EmptyIsEmpty) {
  auto manifest = ParseContextManifest("", "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_TRUE(manifest->files.empty());
}

TEST(ParseContextManifestTest, RefusesWhatIsNotAManifest) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {absl::StrCat(Hex('a'), " 644 x"), "m: the manifest does not end"},
      {"hello\n", "m:1: not a manifest line"},
      {absl::StrCat(Hex('a'), " 600 x\n"), "m:1: not a manifest line"},
      {absl::StrCat(std::string(64, 'A'), " 644 x\n"),
       "m:1: not a manifest line"},
      {absl::StrCat(Hex('a'), " 644 b\n", Hex('a'), " 644 a\n"),
       "m:2: files are not sorted"},
      {absl::StrCat(Hex('a'), " 644 a\n", Hex('a'), " 644 a\n"),
       "m:2: files are not sorted by path, or a path is listed twice"},
      {"parent abc base\n", "m:1: not a parent line"},
      {absl::StrCat("parent ", Hex('a'), "\n"), "m:1: not a parent line"},
      {"arg =x\n", "m:1: not an argument line"},
      {absl::StrCat("arg A=1\n", Hex('a'), " 644 a\n"),
       "m:2: a file line after parent or argument lines"},
  };
  for (const Case& c : cases) {
    auto manifest = ParseContextManifest(c.text, "m");
    ASSERT_FALSE(manifest.ok()) << c.text;
    EXPECT_THAT(manifest.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(DiffContextManifestsTest, NamesEveryChangedFileParentAndArgument) {
  const std::string before = BuildManifest(
      {Entry("Dockerfile", 'a', 0644), Entry("gone.sh", 'b', 0644),
       Entry("mode.sh", 'c', 0644), Entry("same", 'd', 0644),
       Entry("topsrcdir/r/common.sh", 'e', 0644)},
      {{"base", Hex('1')}, {"tools", Hex('2')}}, {{"A", "1"}, {"B", "2"}});
  const std::string after = BuildManifest(
      {Entry("Dockerfile", 'a', 0644), Entry("mode.sh", 'c', 0755),
       Entry("new.sh", 'f', 0644), Entry("same", 'd', 0644),
       Entry("topsrcdir/r/common.sh", '9', 0644)},
      {{"base", Hex('3')}, {"tools", Hex('2')}}, {{"A", "1"}, {"C", "3"}});
  auto b = ParseContextManifest(before, "before");
  auto a = ParseContextManifest(after, "after");
  ASSERT_TRUE(b.ok() && a.ok());
  const std::vector<ManifestChange> changes = DiffContextManifests(*b, *a);
  EXPECT_THAT(changes,
              ElementsAre(Field(&ManifestChange::key, "gone.sh"),
                          Field(&ManifestChange::key, "mode.sh"),
                          Field(&ManifestChange::key, "new.sh"),
                          Field(&ManifestChange::key, "topsrcdir/r/common.sh"),
                          Field(&ManifestChange::key, "base"),
                          Field(&ManifestChange::key, "B"),
                          Field(&ManifestChange::key, "C")));
  EXPECT_EQ(changes[0].before, absl::StrCat(Hex('b'), " 644 gone.sh"));
  EXPECT_EQ(changes[0].after, "");
  EXPECT_EQ(changes[1].after, absl::StrCat(Hex('c'), " 755 mode.sh"));
  EXPECT_EQ(changes[2].before, "");
  EXPECT_EQ(changes[4].kind, ManifestChange::Kind::kParent);
  EXPECT_EQ(changes[4].before, absl::StrCat("parent ", Hex('1'), " base"));
  EXPECT_EQ(changes[4].after, absl::StrCat("parent ", Hex('3'), " base"));
  EXPECT_EQ(changes[5].kind, ManifestChange::Kind::kArg);
  EXPECT_EQ(changes[5].before, "arg B=2");
  EXPECT_EQ(changes[6].after, "arg C=3");
  EXPECT_TRUE(DiffContextManifests(*a, *a).empty());
}

TEST(RepositoryPathOfManifestFileTest, IncludesAreRepositoryPaths) {
  EXPECT_EQ(RepositoryPathOfManifestFile("images/lint", "lint.sh"),
            "images/lint/lint.sh");
  EXPECT_EQ(RepositoryPathOfManifestFile("images/lint",
                                         "topsrcdir/images/recipes/common.sh"),
            "images/recipes/common.sh");
}

TEST(IsPathInsideFolderTest, OnlyPlainRelativePaths) {
  EXPECT_TRUE(IsPathInsideFolder("busybox.tar.zst"));
  EXPECT_TRUE(IsPathInsideFolder("rootfs/debian.tar.zst"));
  for (absl::string_view bad : {"", "/etc/passwd", "../x", "a/../b", "./a",
                                "a//b", "a/", "a/."}) {
    EXPECT_FALSE(IsPathInsideFolder(bad)) << bad;
  }
}

}  // namespace
}  // namespace imagegraph
