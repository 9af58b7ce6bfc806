// SHA-256 without external libraries, so that binaries using it stay free of
// shared crypto libraries and run in minimal images. Sha256FileHex is the
// one helper that hashes a file.
#ifndef IMAGEGRAPH_TOOLS_COMMON_SHA256_H_
#define IMAGEGRAPH_TOOLS_COMMON_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// Incremental SHA-256 (FIPS 180-4). On x86-64 CPUs with the SHA extensions
// it runs them (chosen at run time), else a portable implementation.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> Finish();
  // Finishes the hash and returns it as 64 lowercase hex digits.
  std::string FinishHex();

 private:
  void Compress(const uint8_t* blocks, size_t count);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Lowercase hex SHA-256 of the file at `path`, read in large blocks.
absl::StatusOr<std::string> Sha256FileHex(const std::string& path);

// Whether Sha256 runs the CPU's SHA instructions here.
bool Sha256UsesCpuInstructions();
// Makes Sha256 use the portable implementation (or not) from now on, so
// that tests check both on a CPU with the instructions.
void Sha256ForcePortableForTesting(bool portable);

// True when `text` is 64 lowercase hex digits.
bool IsSha256Hex(absl::string_view text);

// True when `text` is "sha256:" and 64 lowercase hex digits (a digest).
bool IsSha256Digest(absl::string_view text);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_SHA256_H_
