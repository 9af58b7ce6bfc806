#include "tools/ctxhash/context_hash.h"

#include <dirent.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/common/sha256.h"
#include "tools/ctxhash/test_tree.h"

namespace imagegraph {
namespace {

int CountFiles(const std::string& dir) {
  int count = 0;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.' || e->d_name[1] != '\0') ++count;
  }
  closedir(d);
  return count - 1;  // ".."
}

TEST(ComputeContextTest, TreeAndFileListModesAgree) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM base\n# %include lib\n");
  WriteTestFile(repo + "/img/run.sh", "echo\n", 0755);
  WriteTestFile(repo + "/lib/util.sh", "u\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  options.parents = {{"base", std::string(64, 'c')}};
  options.references = {{"base", ":base"}};
  options.build_args = {{"V", "1"}};
  absl::StatusOr<ContextResult> tree = ComputeContext(options);
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->hash, Sha256Hex(tree->manifest));

  options.spec = {
      repo, "img",
      std::vector<std::string>{repo + "/img/Dockerfile", repo + "/img/run.sh",
                               repo + "/lib/util.sh"}};
  absl::StatusOr<ContextResult> listed = ComputeContext(options);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->manifest, tree->manifest);
  EXPECT_EQ(listed->hash, tree->hash);
}

TEST(ComputeContextTest, IncludesAreReadAfterPercentArg) {
  // taskgraph applies # %ARG before it reads # %include lines, in both modes.
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM scratch\n# %ARG FLAVOUR\n# %include lib/$FLAVOUR.sh\n");
  WriteTestFile(repo + "/lib/fast.sh", "f\n");
  WriteTestFile(repo + "/lib/slow.sh", "s\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  options.build_args = {{"FLAVOUR", "fast"}};
  absl::StatusOr<ContextResult> tree = ComputeContext(options);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->entries.size(), 2);
  EXPECT_EQ(tree->entries[1].path, "topsrcdir/lib/fast.sh");

  options.spec = {repo, "img",
                  std::vector<std::string>{repo + "/img/Dockerfile",
                                           repo + "/lib/fast.sh"}};
  absl::StatusOr<ContextResult> listed = ComputeContext(options);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->manifest, tree->manifest);

  options.build_args.clear();
  EXPECT_EQ(ComputeContext(options).status().message(),
            "img/Dockerfile:2: # %ARG FLAVOUR has no value: give it as "
            "--build_arg=FLAVOUR=VALUE (the task's args:)");
}

TEST(ComputeContextTest, IncludesAreTheParsersIncludes) {
  // What the generator lists (image_tree_test): a here-document's
  // `# %include` line counts, and a path naming the whole repository is
  // refused with the parser's message.
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM scratch\nRUN <<EOF\n# %include lib/h.sh\nEOF\n");
  WriteTestFile(repo + "/lib/h.sh", "h\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  absl::StatusOr<ContextResult> tree = ComputeContext(options);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->entries.size(), 2);
  EXPECT_EQ(tree->entries[1].path, "topsrcdir/lib/h.sh");

  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n# %include ./\n");
  EXPECT_EQ(ComputeContext(options).status().message(),
            repo +
                "/img/Dockerfile:2: # %include ./ names the whole repository: "
                "include a file or folder in it");
}

TEST(ComputeContextTest, DuplicateBuildArgumentIsAnError) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  options.build_args = {{"V", "1"}, {"V", "2"}};
  absl::StatusOr<ContextResult> result = ComputeContext(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "build argument V: given twice; give each name once");
}

TEST(WriteOutputsTest, WritesAllOrNothing) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  absl::StatusOr<ContextResult> result = ComputeContext(options);
  ASSERT_TRUE(result.ok());
  const std::string out = MakeTestDir();
  ASSERT_TRUE(
      WriteOutputs(*result, {out + "/m", out + "/t.tar", out + "/h"}).ok());
  EXPECT_EQ(ReadTestFile(out + "/m"), result->manifest);
  EXPECT_EQ(ReadTestFile(out + "/h"), result->hash + "\n");
  EXPECT_EQ(CountFiles(out), 3);

  const std::string out2 = MakeTestDir();
  const absl::Status status = WriteOutputs(
      *result, {out2 + "/m", out2 + "/t.tar", out2 + "/missing/dir/h"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(
                "/missing/dir/h: cannot create a temporary file beside it"),
            absl::string_view::npos);
  EXPECT_EQ(CountFiles(out2), 0);

  // A file that changes between hashing and archiving is refused.
  WriteTestFile(repo + "/img/Dockerfile", "FROM scratch\nRUN true\n");
  const absl::Status changed = WriteOutputs(*result, {"", out2 + "/t.tar", ""});
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(
      changed.message().find("/img/Dockerfile: changed after it was hashed"),
      absl::string_view::npos);
  EXPECT_EQ(CountFiles(out2), 0);
}

}  // namespace
}  // namespace imagegraph
