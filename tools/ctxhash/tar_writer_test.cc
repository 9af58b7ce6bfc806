// Archives are read back with GNU tar, an independent reader.
#include "tools/ctxhash/tar_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/ctxhash/test_tree.h"

namespace imagegraph {
namespace {

TEST(TarHeaderBlockTest, ChecksumAndFields) {
  const std::string header = TarHeaderBlock("a.txt", "", 0755, 12, '0');
  ASSERT_EQ(header.size(), 512u);
  EXPECT_EQ(header.substr(100, 8), std::string("0000755\0", 8));
  EXPECT_EQ(header.substr(124, 12), std::string("00000000014\0", 12));
  EXPECT_EQ(header.substr(136, 12), std::string("00000000000\0", 12));
  EXPECT_EQ(header.substr(257, 8), std::string("ustar\0"
                                               "00",
                                               8));
  EXPECT_EQ(header[156], '0');
  EXPECT_EQ(header[265], '\0');  // empty uname
  EXPECT_EQ(header[297], '\0');  // empty gname
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  }
  EXPECT_EQ(std::stoul(header.substr(148, 6), nullptr, 8), sum);
}

TEST(TarWriterTest, GnuTarReadsBackNamesModesAndContents) {
  const std::string dir = MakeTestDir();
  const std::string source = dir + "/source";
  const std::string big(3 * 1024 * 1024 + 17, 'z');  // spans buffer flushes
  WriteTestFile(source, big);
  const std::string long_dir(120, 'd');
  const std::string long_name(150, 'n');  // needs a PAX path record
  const std::string split_path = long_dir + "/short.txt";  // ustar prefix
  const std::string pax_path = "deep/" + long_name;
  const std::string archive = dir + "/out.tar";
  {
    const int fd = open(archive.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    TarWriter writer(fd, archive);
    ASSERT_TRUE(writer.AddFile("a.txt", 0644, "hello\n").ok());
    ASSERT_TRUE(writer.AddFile("bin/run.sh", 0755, "#!/bin/sh\n").ok());
    ASSERT_TRUE(writer.AddFile("empty", 0644, "").ok());
    const int in = open(source.c_str(), O_RDONLY);
    ASSERT_GE(in, 0);
    ASSERT_TRUE(writer.AddFile("big.bin", 0644, big.size(), in, source).ok());
    close(in);
    ASSERT_TRUE(writer.AddFile(split_path, 0644, "s").ok());
    ASSERT_TRUE(writer.AddFile(pax_path, 0755, "p").ok());
    ASSERT_TRUE(writer.AddFile("caf\xC3\xA9.txt", 0644, "u").ok());
    ASSERT_TRUE(writer.Finish().ok());
    close(fd);
  }
  EXPECT_EQ(ReadTestFile(archive).size() % 10240, 0u);
  const std::string listing = RunCommand(absl::StrCat(
      "tar --quoting-style=literal --numeric-owner --full-time -tvf '", archive,
      "' | awk '{print $1, $2, $3, $4, $5, $6}'"));
  EXPECT_EQ(listing,
            absl::StrCat(
                "-rw-r--r-- 0/0 6 1970-01-01 00:00:00 a.txt\n",
                "-rwxr-xr-x 0/0 10 1970-01-01 00:00:00 bin/run.sh\n",
                "-rw-r--r-- 0/0 0 1970-01-01 00:00:00 empty\n",
                "-rw-r--r-- 0/0 ", big.size(), " 1970-01-01 00:00:00 big.bin\n",
                "-rw-r--r-- 0/0 1 1970-01-01 00:00:00 ", split_path, "\n",
                "-rwxr-xr-x 0/0 1 1970-01-01 00:00:00 ", pax_path, "\n",
                "-rw-r--r-- 0/0 1 1970-01-01 00:00:00 caf\xC3\xA9.txt\n"));
  const std::string owners = RunCommand(
      absl::StrCat("tar -tvf '", archive, "' | awk '{print $2}' | sort -u"));
  EXPECT_EQ(owners, "0/0\n");  // empty uname/gname print as numbers
  const std::string out = dir + "/x";
  RunCommand(absl::StrCat("mkdir '", out, "' && tar -xf '", archive, "' -C '",
                          out, "'"));
  EXPECT_EQ(ReadTestFile(out + "/a.txt"), "hello\n");
  EXPECT_EQ(ReadTestFile(out + "/big.bin"), big);
  EXPECT_EQ(ReadTestFile(out + "/" + pax_path), "p");
  EXPECT_EQ(ReadTestFile(out + "/" + split_path), "s");
  EXPECT_EQ(ReadTestFile(out + "/caf\xC3\xA9.txt"), "u");
  EXPECT_EQ(access((out + "/bin/run.sh").c_str(), X_OK), 0);
}

TEST(TarWriterTest, SourceThatShrinksIsAnError) {
  const std::string dir = MakeTestDir();
  WriteTestFile(dir + "/s", "abc");
  const int in = open((dir + "/s").c_str(), O_RDONLY);
  const int fd = open((dir + "/o.tar").c_str(), O_WRONLY | O_CREAT, 0644);
  TarWriter writer(fd, "o.tar");
  const absl::Status status = writer.AddFile("s", 0644, 10, in, "dir/s");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "dir/s: shrank while being archived; run again when nothing "
            "writes to the image folder");
  close(in);
  close(fd);
}

}  // namespace
}  // namespace imagegraph
