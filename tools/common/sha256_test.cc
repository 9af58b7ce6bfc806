#include "tools/common/sha256.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesMatchOneShotAtEveryBoundary) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7));
  const std::string expected = Sha256Hex(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    Sha256 hasher;
    hasher.Update(absl::string_view(data).substr(0, split));
    hasher.Update(absl::string_view(data).substr(split));
    ASSERT_EQ(hasher.FinishHex(), expected) << "split at " << split;
  }
}

// The CPU instructions and the portable code agree on every length around
// block boundaries and on large inputs, fed whole and in pieces.
TEST(Sha256Test, CpuInstructionsAndPortableCodeAgree) {
  if (!Sha256UsesCpuInstructions()) {
    GTEST_SKIP() << "this CPU has no SHA instructions";
  }
  std::string data;
  for (int i = 0; i < 3 * 1024 * 1024 + 17; ++i) {
    data.push_back(static_cast<char>((i * 131) ^ (i >> 9)));
  }
  for (size_t size : {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096,
                      static_cast<int>(data.size())}) {
    const absl::string_view input = absl::string_view(data).substr(0, size);
    Sha256ForcePortableForTesting(true);
    const std::string portable = Sha256Hex(input);
    Sha256ForcePortableForTesting(false);
    EXPECT_EQ(Sha256Hex(input), portable) << size << " bytes";
    Sha256 pieces;
    for (size_t at = 0; at < size; at += 1000) {
      pieces.Update(input.substr(at, 1000));
    }
    EXPECT_EQ(pieces.FinishHex(), portable) << size << " bytes in pieces";
  }
  Sha256ForcePortableForTesting(true);
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256ForcePortableForTesting(false);
}

TEST(Sha256Test, FileHashMatchesSha256sum) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/sha256_input.bin";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 3 * 1024 * 1024 + 17; ++i) {
      out.put(static_cast<char>((i * 131) ^ (i >> 9)));
    }
  }
  FILE* pipe = popen(("sha256sum " + path).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[65] = {0};
  ASSERT_EQ(fread(buffer, 1, 64, pipe), 64u);
  pclose(pipe);
  absl::StatusOr<std::string> hex = Sha256FileHex(path);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, std::string(buffer));
}

TEST(Sha256Test, MissingFileNamesThePath) {
  absl::StatusOr<std::string> hex = Sha256FileHex("/nonexistent/artifact.tar");
  ASSERT_FALSE(hex.ok());
  EXPECT_NE(hex.status().message().find("/nonexistent/artifact.tar"),
            std::string::npos);
}

TEST(Sha256Test, IsSha256Digest) {
  EXPECT_TRUE(IsSha256Digest("sha256:" + Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Digest(Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Digest("sha512:" + Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(64, 'A')));
}

TEST(Sha256Test, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Hex("ABC"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
}

}  // namespace
}  // namespace imagegraph
