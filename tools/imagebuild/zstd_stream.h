// Streaming zstd compression and decompression of whole files with libzstd,
// compression spread over worker threads.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/file_util.h"

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

// Part of what one frame holds: `bytes`, or the content of the file at
// `path` when it is set.
struct ZstdSource {
  std::string bytes;
  std::string path;
};

// Compresses the concatenation of `sources` into one zstd frame
// (checksummed, content size in its header) appended to `output`, as
// CompressFileZstd does for one file. Concatenated frames are one zstd
// stream: `zstd -d` restores the concatenation of their contents.
absl::StatusOr<ZstdStats> AppendZstdFrame(
    const std::vector<ZstdSource>& sources, AtomicFileWriter& output,
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

// The content size that the header of the zstd frame starting `frame` (its
// first ZSTD_FRAMEHEADERSIZE_MAX bytes or more) records; an
// InvalidArgumentError when it is not a frame header or records none.
absl::StatusOr<uint64_t> ZstdFrameContentSize(absl::string_view frame);

// Decompresses `frame`, exactly one whole zstd frame, whose content size is
// at most `max_size`.
absl::StatusOr<std::string> DecompressZstdFrame(absl::string_view frame,
                                                uint64_t max_size);

// Whether the file starts with the zstd frame magic number.
absl::StatusOr<bool> IsZstdFile(absl::string_view path);

// The number of worker threads `threads` (0 = all cores) resolves to.
int ResolveZstdThreads(int threads);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_ZSTD_STREAM_H_
