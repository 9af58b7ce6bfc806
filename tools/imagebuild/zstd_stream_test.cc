#include "tools/imagebuild/zstd_stream.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

std::string TestDir() { return std::getenv("TEST_TMPDIR"); }

// Mixed compressible and random data, larger than one read chunk.
std::string MakeData(size_t size) {
  std::mt19937 random(42);
  std::string data;
  data.reserve(size);
  while (data.size() < size) {
    if (random() % 2 == 0) {
      data.append(std::string(1000 + random() % 5000, 'a' + random() % 26));
    } else {
      for (int i = 0; i < 3000; ++i)
        data.push_back(static_cast<char>(random()));
    }
  }
  data.resize(size);
  return data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

TEST(ZstdStreamTest, RoundTripsAndTheZstdCliAgrees) {
  const std::string input = TestDir() + "/input.bin";
  const std::string compressed = TestDir() + "/input.bin.zst";
  const std::string restored = TestDir() + "/restored.bin";
  const std::string data = MakeData(20 << 20);
  ASSERT_TRUE(WriteFileAtomically(input, data).ok());

  auto stats = CompressFileZstd(input, compressed, {.level = 3, .threads = 2});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->input_bytes, data.size());
  EXPECT_LT(stats->output_bytes, data.size());
  EXPECT_TRUE(*IsZstdFile(compressed));

  auto back = DecompressFileZstd(compressed, restored);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*ReadFileToString(restored), data);

  // The reference implementation reads our output and writes what we read.
  auto cli = RunSubprocess({"zstd", "-q", "-t", compressed});
  ASSERT_TRUE(cli.ok()) << cli.status();
  EXPECT_EQ(cli->exit_code, 0) << cli->stderr_text;
  // The frame header records the size, as the CLI's own output does.
  auto listing = RunSubprocess({"zstd", "-lv", compressed});
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(listing->stdout_text,
              HasSubstr("(" + std::to_string(data.size()) + " B)"));
  const std::string by_cli = TestDir() + "/by_cli.zst";
  ASSERT_EQ(
      RunSubprocess({"zstd", "-q", "-3", "-f", input, "-o", by_cli})->exit_code,
      0);
  const std::string restored_cli = TestDir() + "/restored_cli.bin";
  ASSERT_TRUE(DecompressFileZstd(by_cli, restored_cli).ok());
  EXPECT_EQ(*ReadFileToString(restored_cli), data);
}

TEST(ZstdStreamTest, EmptyFileAndAllThreadsDefault) {
  const std::string input = TestDir() + "/empty.bin";
  const std::string compressed = TestDir() + "/empty.bin.zst";
  ASSERT_TRUE(WriteFileAtomically(input, "").ok());
  ASSERT_TRUE(CompressFileZstd(input, compressed, {}).ok());
  const std::string restored = TestDir() + "/empty.out";
  ASSERT_TRUE(DecompressFileZstd(compressed, restored).ok());
  EXPECT_EQ(*ReadFileToString(restored), "");
  EXPECT_GE(ResolveZstdThreads(0), 1);
  EXPECT_EQ(ResolveZstdThreads(3), 3);
}

TEST(ZstdStreamTest, BadInputsNameTheFile) {
  const std::string plain = TestDir() + "/plain.tar";
  ASSERT_TRUE(WriteFileAtomically(plain, "not compressed at all").ok());
  auto not_zstd = DecompressFileZstd(plain, TestDir() + "/x.out");
  EXPECT_EQ(not_zstd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_zstd.status().message(), HasSubstr(plain + ": not a zstd"));
  EXPECT_FALSE(Exists(TestDir() + "/x.out"));

  const std::string compressed = TestDir() + "/t.zst";
  ASSERT_TRUE(WriteFileAtomically(plain, MakeData(1 << 20)).ok());
  ASSERT_TRUE(CompressFileZstd(plain, compressed, {}).ok());
  std::string bytes = *ReadFileToString(compressed);
  const std::string truncated = TestDir() + "/truncated.zst";
  ASSERT_TRUE(
      WriteFileAtomically(truncated, bytes.substr(0, bytes.size() / 2)).ok());
  auto cut = DecompressFileZstd(truncated, TestDir() + "/y.out");
  EXPECT_THAT(cut.status().message(), HasSubstr(truncated + ": truncated"));
  EXPECT_FALSE(Exists(TestDir() + "/y.out"));

  auto missing = CompressFileZstd("/nonexistent/in.tar", compressed, {});
  EXPECT_THAT(missing.status().message(),
              HasSubstr("/nonexistent/in.tar: cannot open"));
  auto level = CompressFileZstd(plain, compressed, {.level = 99});
  EXPECT_THAT(level.status().message(), HasSubstr("level 99 is out of range"));
}

// A real full disk (a tiny tmpfs; the test runs as root, as CI does).
TEST(ZstdStreamTest, FullDiskReportsPathAndLeavesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string input = TestDir() + "/big.bin";
  ASSERT_TRUE(WriteFileAtomically(input, MakeData(4 << 20)).ok());
  const std::string mount_point = TestDir() + "/small";
  ASSERT_EQ(mkdir(mount_point.c_str(), 0755), 0);
  ASSERT_EQ(mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k"), 0);
  const std::string output = mount_point + "/image.tar.zst";
  auto stats = CompressFileZstd(input, output, {});
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(stats.status().message(), HasSubstr(output));
  EXPECT_THAT(stats.status().message(), HasSubstr("No space left on device"));
  auto listing = RunSubprocess({"ls", "-A", mount_point});
  EXPECT_EQ(listing->stdout_text, "");
  ASSERT_EQ(umount(mount_point.c_str()), 0);
}

}  // namespace
}  // namespace imagegraph
