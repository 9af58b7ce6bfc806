#include "tools/ctxhash/hashing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/common/sha256.h"
#include "tools/ctxhash/test_tree.h"

namespace imagegraph {
namespace {

TEST(Sha256HexTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashEntriesTest, HashesEveryFileOnSeveralThreads) {
  const std::string dir = MakeTestDir();
  std::vector<ContextEntry> entries;
  std::vector<std::string> contents;
  for (int i = 0; i < 40; ++i) {
    // Sizes around the read chunk exercise partial and multiple reads.
    std::string data(static_cast<size_t>(i) * 65536 + i,
                     static_cast<char>('a' + i % 26));
    const std::string path = absl::StrCat(dir, "/f", i);
    WriteTestFile(path, data, i % 3 == 0 ? 0700 : 0640);
    ContextEntry entry;
    entry.path = absl::StrCat("f", i);
    entry.source = path;
    entries.push_back(entry);
    contents.push_back(data);
  }
  ASSERT_TRUE(HashEntries(&entries, 4).ok());
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(entries[i].sha256_hex, Sha256Hex(contents[i])) << i;
    EXPECT_EQ(entries[i].size, contents[i].size());
    EXPECT_EQ(entries[i].mode, i % 3 == 0 ? 0755u : 0644u) << i;
  }
}

TEST(HashEntriesTest, SetuidFileIsAnError) {
  const std::string dir = MakeTestDir();
  WriteTestFile(dir + "/s", "x", 04755);
  std::vector<ContextEntry> entries(1);
  entries[0].path = "s";
  entries[0].source = dir + "/s";
  const absl::Status status = HashEntries(&entries, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            absl::StrCat(dir,
                         "/s: has the setuid or setgid bit, which the context "
                         "cannot carry; clear it (chmod ug-s) and set it in "
                         "the Dockerfile if needed"));
}

TEST(HashEntriesTest, FifoIsAnErrorAndDoesNotBlock) {
  const std::string dir = MakeTestDir();
  ASSERT_EQ(mkfifo((dir + "/p").c_str(), 0644), 0);
  std::vector<ContextEntry> entries(1);
  entries[0].path = "p";
  entries[0].source = dir + "/p";
  const absl::Status status = HashEntries(&entries, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/p: is not a regular file"),
            absl::string_view::npos);
}

TEST(HashEntriesTest, MissingFileIsAnError) {
  std::vector<ContextEntry> entries(1);
  entries[0].path = "gone";
  entries[0].source = "/nonexistent/gone";
  const absl::Status status = HashEntries(&entries, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "/nonexistent/gone: does not exist (a dangling symlink, or removed "
            "while being read)");
}

TEST(HashEntriesTest, OpensRelativeToTheEntrysDirectory) {
  const std::string dir = MakeTestDir();
  WriteTestFile(dir + "/data.txt", "relative");
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<ContextEntry> entries(1);
  entries[0].path = "data.txt";
  // Only the name is looked up, in the directory: the rest of `source` is
  // for messages.
  entries[0].source = "/nonexistent/data.txt";
  entries[0].directory = std::make_shared<const DirectoryHandle>(fd);
  entries[0].name_size = 8;
  ASSERT_TRUE(HashEntries(&entries, 1).ok());
  EXPECT_EQ(entries[0].sha256_hex, Sha256Hex("relative"));

  entries[0].source = "/nonexistent/missing";
  entries[0].name_size = 7;
  const absl::Status status = HashEntries(&entries, 1);
  EXPECT_EQ(status.message(),
            "/nonexistent/missing: does not exist (a dangling symlink, or "
            "removed while being read)");
}

TEST(BuildManifestTest, LineFormatAndOrder) {
  std::vector<ContextEntry> entries(2);
  entries[0].path = "Dockerfile";
  entries[0].mode = 0644;
  entries[0].sha256_hex = std::string(64, 'a');
  entries[1].path = "run.sh";
  entries[1].mode = 0755;
  entries[1].sha256_hex = std::string(64, 'b');
  const std::vector<ParentHash> parents = {{"zeta", std::string(64, '1')},
                                           {"alpha", std::string(64, '2')}};
  const std::string manifest = BuildManifest(
      entries, parents, {{"VERSION", "2"}, {"A_B", "x=y"}, {"B", ""}});
  EXPECT_EQ(manifest, absl::StrCat(std::string(64, 'a'), " 644 Dockerfile\n",
                                   std::string(64, 'b'), " 755 run.sh\n",
                                   "parent ", std::string(64, '1'), " zeta\n",
                                   "parent ", std::string(64, '2'), " alpha\n",
                                   "arg A_B=x=y\narg B=\narg VERSION=2\n"));
}

TEST(ValidateTest, RejectsMalformedParentsAndArguments) {
  EXPECT_EQ(ValidateParent({"base", "abc"}).message(),
            "parent base: hash \"abc\" is not a context hash (64 lowercase hex "
            "digits)");
  EXPECT_FALSE(ValidateParent({"base", std::string(64, 'A')}).ok());
  EXPECT_FALSE(ValidateParent({"two words", std::string(64, 'a')}).ok());
  EXPECT_TRUE(ValidateParent({"base", std::string(64, 'f')}).ok());
  EXPECT_EQ(ValidateBuildArg("K", "a\nb").message(),
            "build argument K: the value contains a newline, which the "
            "manifest cannot hold");
  EXPECT_FALSE(ValidateBuildArg("", "x").ok());
}

}  // namespace
}  // namespace imagegraph
