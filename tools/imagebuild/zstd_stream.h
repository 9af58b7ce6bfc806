// Streaming zstd compression and decompression of whole files with libzstd,
// compression spread over worker threads.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct ZstdOptions {
  // zstd compression level (1..19, or up to 22 for "ultra").
  int level = 3;
  // Worker threads; 0 means one per online core.
  int threads = 0;
};

struct ZstdStats {
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
};

// Compresses `input_path` into `output_path` (a single zstd frame, readable
// by `zstd -d`). The output appears only when complete: it is written to a
// temporary file beside it and renamed, and removed on any error. Errors name
// the file and the OS reason (e.g. "No space left on device").
absl::StatusOr<ZstdStats> CompressFileZstd(absl::string_view input_path,
                                           absl::string_view output_path,
                                           const ZstdOptions& options);

// Decompresses a zstd file (one or more frames) into `output_path`,
// atomically as above. A file that is not zstd is an InvalidArgumentError
// naming it.
absl::StatusOr<ZstdStats> DecompressFileZstd(absl::string_view input_path,
                                             absl::string_view output_path);

// Decompresses a zstd file (one or more frames) and hands the decoded bytes,
// in order, to `consume`, whose first error stops it. Errors as above.
absl::StatusOr<ZstdStats> DecompressZstdStream(
    absl::string_view input_path,
    const std::function<absl::Status(absl::string_view)>& consume);

// Whether the file starts with the zstd frame magic number.
absl::StatusOr<bool> IsZstdFile(absl::string_view path);

// The number of worker threads `threads` (0 = all cores) resolves to.
int ResolveZstdThreads(int threads);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_
