#include "tools/common/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/sha256.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

int CountEntries(const std::string& dir) {
  int count = 0;
  std::string command = "ls -A '" + dir + "' | wc -l";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  if (fscanf(pipe, "%d", &count) != 1) count = -1;
  pclose(pipe);
  return count;
}

TEST(ScopedTempDirectoryTest, RemovesTreeWithHostilePermissions) {
  std::string path;
  {
    auto dir = ScopedTempDirectory::Create("file_util_test.");
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = dir->path();
    const std::string locked = path + "/a/locked";
    ASSERT_EQ(system(("mkdir -p '" + locked + "/deep' && echo x > '" + locked +
                      "/deep/f' && ln -s / '" + path + "/a/root-link' && " +
                      "chmod 0 '" + locked + "/deep' '" + locked + "'")
                         .c_str()),
              0);
    EXPECT_TRUE(Exists(path + "/a/root-link"));
  }
  EXPECT_FALSE(Exists(path));
  // The symlink to / was removed, not followed.
  EXPECT_TRUE(Exists("/etc/hostname") || Exists("/etc/passwd"));
}

TEST(RemoveTreeTest, MissingPathIsFine) {
  EXPECT_TRUE(RemoveTree("/nonexistent/ig-file-util-test").ok());
}

TEST(AtomicFileWriterTest, CommitRenamesAndAbandonLeavesNothing) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string target = dir->path() + "/out.txt";
  {
    auto writer = AtomicFileWriter::Open(target);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE(writer->Write("hello ").ok());
    ASSERT_TRUE(writer->Write("world").ok());
    EXPECT_FALSE(Exists(target));
    EXPECT_TRUE(Exists(writer->temp_path()));
    ASSERT_TRUE(writer->Commit().ok());
  }
  EXPECT_EQ(*ReadFileToString(target), "hello world");
  {
    auto writer = AtomicFileWriter::Open(target);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->Write("partial").ok());
  }  // never committed
  EXPECT_EQ(*ReadFileToString(target), "hello world");
  EXPECT_EQ(CountEntries(dir->path()), 1);
}

TEST(AtomicFileWriterTest, HashWritesHashesTheBytesWrittenFromThenOn) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  auto writer = AtomicFileWriter::Open(dir->path() + "/out");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(writer->Write("before ").ok());
  Sha256 hash;
  writer->HashWrites(&hash);
  ASSERT_TRUE(writer->Write("hashed, ").ok());
  ASSERT_TRUE(writer->Write(std::string(3 << 20, 'x')).ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(hash.FinishHex(),
            Sha256Hex(absl::StrCat("hashed, ", std::string(3 << 20, 'x'))));
}

TEST(AtomicFileWriterTest, MissingDirectoryNamesThePath) {
  auto writer = AtomicFileWriter::Open("/nonexistent/dir/out.bin");
  ASSERT_FALSE(writer.ok());
  EXPECT_THAT(writer.status().message(), HasSubstr("/nonexistent/dir/out.bin"));
  EXPECT_THAT(writer.status().message(),
              HasSubstr("No such file or directory"));
}

// A real full disk: a 64 KiB tmpfs (the test runs as root, as CI does).
TEST(AtomicFileWriterTest, FullDiskReportsNoSpaceAndLeavesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string mount_point = dir->path() + "/small";
  ASSERT_EQ(mkdir(mount_point.c_str(), 0755), 0);
  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k"), 0)
      << strerror(errno);
  const std::string target = mount_point + "/big.bin";
  absl::Status status = WriteFileAtomically(target, std::string(1 << 20, 'x'));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr(target));
  EXPECT_THAT(status.message(), HasSubstr("No space left on device"));
  EXPECT_EQ(CountEntries(mount_point), 0);
  ASSERT_EQ(umount(mount_point.c_str()), 0);
}

TEST(ReadFileToStringTest, MissingFileNamesPath) {
  auto contents = ReadFileToString("/nonexistent/ig.txt");
  EXPECT_EQ(contents.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(contents.status().message(), HasSubstr("/nonexistent/ig.txt"));
}

TEST(ReadFileInChunksTest, HandsOverTheBytesInOrderAndStopsAtAnError) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, "0123456789").ok());
  std::vector<std::string> chunks;
  auto keep = [&chunks](absl::string_view chunk) {
    chunks.emplace_back(chunk);
    return absl::OkStatus();
  };
  ASSERT_TRUE(ReadFileInChunks(path, keep, 4).ok());
  EXPECT_THAT(chunks, ElementsAre("0123", "4567", "89"));

  int calls = 0;
  absl::Status stopped = ReadFileInChunks(
      path,
      [&calls](absl::string_view) {
        ++calls;
        return absl::DataLossError("consumer says no");
      },
      4);
  EXPECT_EQ(stopped.message(), "consumer says no");
  EXPECT_EQ(calls, 1);

  EXPECT_EQ(ReadFileInChunks(dir->path() + "/missing", keep).message(),
            dir->path() + "/missing: cannot open: No such file or directory");
  // ReadFileToString reads through it, past its own chunk size.
  ASSERT_TRUE(WriteFileAtomically(path, std::string(200000, 'z')).ok());
  EXPECT_EQ(*ReadFileToString(path), std::string(200000, 'z'));
}

TEST(ReadExactlyAtTest, ReadsTheRangeAndNamesWhereAShortFileEnds) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, "0123456789").ok());
  auto file = OpenFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::string data = "a longer buffer, reused";
  ASSERT_TRUE(ReadExactlyAt(file->fd(), path, 2, 5, data).ok());
  EXPECT_EQ(data, "23456");
  absl::Status short_read = ReadExactlyAt(file->fd(), path, 8, 4, data);
  EXPECT_EQ(short_read.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(short_read.message(),
            absl::StrCat(path, ": ends at byte 10, before 12"));
}

TEST(OpenFileTest, OwnsTheDescriptorAndNamesThePath) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, "0123456789").ok());

  auto missing = OpenFile::Open(dir->path() + "/missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            dir->path() + "/missing: cannot open: No such file or directory");

  int fd = -1;
  {
    auto file = OpenFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->path(), path);
    EXPECT_EQ(*file->Size(), 10);
    EXPECT_NE(fcntl(file->fd(), F_GETFD) & FD_CLOEXEC, 0);
    // A moved-from file no longer owns the descriptor; the new owner does.
    OpenFile moved = *std::move(file);
    fd = moved.fd();
    EXPECT_EQ(file->fd(), -1);
    EXPECT_NE(fcntl(fd, F_GETFD), -1);
  }
  // Closed when its owner went.
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(OpenFileTest, LockIsHeldUntilTheFileIsClosed) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/lock";
  auto holder = OpenFile::Open(path, O_RDWR | O_CREAT, 0600);
  ASSERT_TRUE(holder.ok()) << holder.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(holder->Lock(LOCK_EX).ok());

  // flock locks belong to the open file, so a second open competes.
  auto other = OpenFile::Open(path, O_RDONLY);
  ASSERT_TRUE(other.ok()) << other.status();
  absl::Status busy = other->Lock(LOCK_SH | LOCK_NB);
  EXPECT_FALSE(busy.ok());
  EXPECT_EQ(busy.message(),
            path + ": cannot lock: Resource temporarily unavailable");
  *holder = *OpenFile::Open(path);  // closes the holder's file
  EXPECT_TRUE(other->Lock(LOCK_SH | LOCK_NB).ok());
}

TEST(ReadOneLineFileTest, ReadsTheLineAndRejectsEmptyAndExtraLines) {
  const std::string dir = getenv("TEST_TMPDIR");
  const std::string path = dir + "/VERSION";
  ASSERT_TRUE(WriteFileAtomically(path, "  1.4.2 \n\n").ok());
  EXPECT_EQ(*ReadOneLineFile(path, "the version"), "1.4.2");

  ASSERT_TRUE(WriteFileAtomically(path, "\n1.4.2\n").ok());
  EXPECT_EQ(ReadOneLineFile(path, "the version tag").status().message(),
            path + ":1: the first line is empty; it must hold the version tag");
  ASSERT_TRUE(WriteFileAtomically(path, "1.4.2\n\n1.5\n").ok());
  EXPECT_EQ(ReadOneLineFile(path, "the version tag").status().message(),
            path +
                ":3: unexpected second line; the file must hold one line "
                "only: the version tag");
  // Messages can name the file as the user knows it.
  EXPECT_EQ(ReadOneLineFile(path, "the version tag", "images/a/VERSION")
                .status()
                .message(),
            "images/a/VERSION:3: unexpected second line; the file must hold "
            "one line only: the version tag");
  EXPECT_EQ(
      ReadOneLineFile(dir + "/NONE", "x", "images/a/NONE").status().message(),
      "images/a/NONE: cannot open: No such file or directory");
}

TEST(AtomicFileWriterTest, DurableCommitReplacesAndLeavesNoTemporary) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string target = dir->path() + "/entry.json";
  ASSERT_TRUE(WriteFileAtomically(target, "old", 0644, /*durable=*/true).ok());
  ASSERT_TRUE(WriteFileAtomically(target, "new", 0644, /*durable=*/true).ok());
  EXPECT_EQ(*ReadFileToString(target), "new");
  EXPECT_EQ(CountEntries(dir->path()), 1);
}

TEST(CopyFileIntoTest, CopiesHashesAndCommitsUnderTheContentName) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  const std::string source = dir->path() + "/source";
  std::ofstream(source) << "abc";
  auto writer = AtomicFileWriter::Open(dir->path() + "/staging");
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::StatusOr<CopiedFile> copied = CopyFileInto(source, *writer);
  ASSERT_TRUE(copied.ok()) << copied.status();
  // sha256("abc")
  EXPECT_EQ(copied->sha256_hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(copied->size, 3);
  const std::string named = dir->path() + "/" + copied->sha256_hex;
  ASSERT_TRUE(writer->CommitAs(named).ok());
  EXPECT_EQ(*ReadFileToString(named), "abc");
  EXPECT_FALSE(Exists(dir->path() + "/staging"));
  EXPECT_EQ(CountEntries(dir->path()), 2);

  auto other = AtomicFileWriter::Open(dir->path() + "/other");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(CopyFileInto(dir->path() + "/missing", *other).status().message(),
              HasSubstr("/missing: cannot open: No such file or directory"));
}

TEST(MakeDirectoriesTest, CreatesParentsAndRefusesAFile) {
  auto dir = ScopedTempDirectory::Create("file_util_test.");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(MakeDirectories(dir->path() + "/a/b/c").ok());
  EXPECT_TRUE(PathExists(dir->path() + "/a/b/c"));
  EXPECT_TRUE(MakeDirectories(dir->path() + "/a/b").ok());
  std::ofstream(dir->path() + "/file") << "x";
  EXPECT_THAT(MakeDirectories(dir->path() + "/file").message(),
              HasSubstr("/file: exists and is not a directory; remove it"));
  EXPECT_FALSE(PathExists(dir->path() + "/nothing"));
}

TEST(ErrnoToStatusTest, CodeAndMessage) {
  absl::Status missing = ErrnoToStatus("/x", "cannot open", ENOENT, "fix it");
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_EQ(missing.message(),
            "/x: cannot open: No such file or directory; fix it");
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoToStatus("/x", "", EACCES)));
  EXPECT_EQ(ErrnoToStatus("/x", "", EACCES).message(), "/x: Permission denied");
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoToStatus("/x", "w", ENOSPC)));
}

TEST(FsyncParentDirectoryTest, MissingDirectoryNamesIt) {
  absl::Status status = FsyncParentDirectory("/nonexistent/ig-dir/file");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/ig-dir"));
}

}  // namespace
}  // namespace imagegraph
