#include "tools/ctxhash/entries.h"

#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tools/ctxhash/test_tree.h"

namespace imagegraph {
namespace {

std::string Paths(const std::vector<ContextEntry>& entries) {
  std::vector<std::string> paths;
  for (const ContextEntry& entry : entries) paths.push_back(entry.path);
  return absl::StrJoin(paths, ",");
}

// repo/img (the image folder) and repo/recipes (shared files).
std::string MakeRepo() {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM scratch\n# %include recipes\n# %include tools/one.sh\n");
  WriteTestFile(repo + "/img/.dockerignore", "*.log\ncache\n!cache/keep\n");
  WriteTestFile(repo + "/img/app/main.c", "int main;\n");
  WriteTestFile(repo + "/img/debug.log", "x");
  WriteTestFile(repo + "/img/cache/drop", "x");
  WriteTestFile(repo + "/img/cache/keep", "x");
  WriteTestFile(repo + "/recipes/a.sh", "a", 0755);
  WriteTestFile(repo + "/recipes/sub/b.sh", "b");
  WriteTestFile(repo + "/tools/one.sh", "1");
  return repo;
}

constexpr char kExpected[] =
    ".dockerignore,Dockerfile,app/main.c,cache/keep,topsrcdir/recipes/a.sh,"
    "topsrcdir/recipes/sub/b.sh,topsrcdir/tools/one.sh";

TEST(CollectEntriesTest, TreeModeAppliesIgnoreAndIncludes) {
  const std::string repo = MakeRepo();
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), kExpected);
  EXPECT_EQ((*entries)[4].source, repo + "/recipes/a.sh");
}

// The last `name_size` bytes of the source: the name opened in `directory`.
std::string OpenedName(const ContextEntry& entry) {
  return entry.source.substr(entry.source.size() - entry.name_size);
}

TEST(CollectEntriesTest, WalkedFilesKeepTheirDirectoryOpen) {
  const std::string repo = MakeRepo();
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(Paths(*entries), kExpected);
  const ContextEntry& main_c = (*entries)[2];
  ASSERT_NE(main_c.directory, nullptr);
  EXPECT_EQ(OpenedName(main_c), "main.c");
  const ContextEntry& b_sh = (*entries)[5];
  ASSERT_NE(b_sh.directory, nullptr);
  EXPECT_EQ(OpenedName(b_sh), "b.sh");
  EXPECT_NE(main_c.directory, b_sh.directory);
  // An included single file is not listed from a directory: opened by path.
  EXPECT_EQ((*entries)[6].directory, nullptr);
}

TEST(CollectEntriesTest, DirectoriesBeyondTheDescriptorBudgetUsePaths) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  for (int i = 0; i < 40; ++i) {
    WriteTestFile(absl::StrCat(repo, "/img/d", i, "/f"), "x");
  }
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = 300;  // room for (300 - 256) / 2 = 22 kept directories
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 41u);
  int with_directory = 0;
  for (const ContextEntry& entry : *entries) {
    if (entry.directory != nullptr) ++with_directory;
  }
  // The image folder itself is the first kept directory.
  EXPECT_EQ(with_directory, 1 + 21);
}

TEST(CollectEntriesTest, FileListModeReadsOnlyListedFiles) {
  const std::string repo = MakeRepo();
  ASSERT_EQ(chdir(repo.c_str()), 0);
  std::vector<std::string> listed = {
      "img/Dockerfile", "img/.dockerignore",  "img/app/main.c",
      "img/debug.log",  "img/cache/drop",     "img/cache/keep",
      "recipes/a.sh",   "./recipes/sub/b.sh", "tools/one.sh"};
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({".", "img", listed});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), kExpected);
  for (const ContextEntry& entry : *entries) {
    EXPECT_EQ(entry.directory, nullptr) << entry.path;
  }

  listed.pop_back();  // tools/one.sh is no longer declared
  absl::StatusOr<std::vector<ContextEntry>> undeclared =
      CollectEntries({".", "img", listed});
  ASSERT_FALSE(undeclared.ok());
  EXPECT_EQ(undeclared.status().message(),
            "img/Dockerfile:3: %include tools/one.sh is not among the target's "
            "declared inputs; add it to the `includes` attribute of the image "
            "target");
}

TEST(CollectEntriesTest, DockerfileIsNeverIgnored) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  WriteTestFile(repo + "/img/x", "x");
  WriteTestFile(repo + "/img/.dockerignore", "*\n");
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), "Dockerfile");
}

TEST(CollectEntriesTest, SameFileIncludedTwiceCountsOnce) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM scratch\n# %include lib\n# %include lib/x.sh\n"
                "# %include ./lib/x.sh\n");
  WriteTestFile(repo + "/lib/x.sh", "x");
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), "Dockerfile,topsrcdir/lib/x.sh");
}

TEST(CollectEntriesTest, TwoDifferentFilesAtOnePathIsAnError) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n# %include lib\n");
  WriteTestFile(repo + "/img/topsrcdir/lib/x.sh", "mine");
  WriteTestFile(repo + "/lib/x.sh", "theirs");
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().message(),
            absl::StrCat("topsrcdir/lib/x.sh: two different files at one path "
                         "in the context (",
                         repo, "/img/topsrcdir/lib/x.sh and ", repo,
                         "/lib/x.sh); rename the folder in the image folder or "
                         "drop the %include"));
}

TEST(CollectEntriesTest, SymlinkPolicy) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  WriteTestFile(repo + "/shared/s.txt", "s");
  ASSERT_EQ(symlink("../shared", (repo + "/img/linked").c_str()), 0);
  absl::StatusOr<std::vector<ContextEntry>> inside =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_TRUE(inside.ok()) << inside.status();
  EXPECT_EQ(Paths(*inside), "Dockerfile,linked/s.txt");

  ASSERT_EQ(symlink("/etc/hostname", (repo + "/img/out").c_str()), 0);
  absl::StatusOr<std::vector<ContextEntry>> outside =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find(
                "/img/out: symlink leads outside the repository"),
            absl::string_view::npos)
      << outside.status();
}

TEST(CollectEntriesTest, BadNamesAreErrors) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  WriteTestFile(repo + "/img/bad\xFFname", "x");
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().message(),
            absl::StrCat(repo,
                         "/img/bad\xFFname: path is not valid UTF-8; "
                         "rename it"));
}

TEST(CollectEntriesTest, NoDockerfile) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/README", "x");
  absl::StatusOr<std::vector<ContextEntry>> entries =
      CollectEntries({repo, "img", std::nullopt});
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().message(),
            absl::StrCat(repo,
                         "/img: no Dockerfile in the image folder; every "
                         "image folder needs one"));
}

}  // namespace
}  // namespace imagegraph
