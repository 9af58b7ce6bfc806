// A streaming, deterministic tar writer: ustar headers (PAX extended headers
// for paths that do not fit, and for sizes of 8 GiB and more), regular files
// only, mtime 0, uid/gid 0, empty user and group names.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_TAR_WRITER_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_TAR_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

class TarWriter {
 public:
  // Writes to `fd` (not owned); `display_path` names it in errors.
  TarWriter(int fd, std::string display_path);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Appends a regular file whose `size` bytes are read from `source_fd`
  // (named `source_display` in errors) in bounded chunks.
  absl::Status AddFile(absl::string_view path, uint32_t mode, uint64_t size,
                       int source_fd, absl::string_view source_display);

  // Appends a regular file from memory.
  absl::Status AddFile(absl::string_view path, uint32_t mode,
                       absl::string_view contents);

  // Writes the end-of-archive blocks and pads to a whole record; flushes.
  absl::Status Finish();

 private:
  absl::Status WriteHeaders(absl::string_view path, uint32_t mode,
                            uint64_t size);
  absl::Status Append(const char* data, size_t size);
  absl::Status PadToBlock();
  absl::Status Flush();

  int fd_;
  std::string display_path_;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  uint64_t written_ = 0;  // bytes appended so far (flushed or not)
};

// The ustar header block for one entry; exposed for tests.
// `typeflag` is '0' for a file and 'x' for a PAX extended header.
std::string TarHeaderBlock(absl::string_view name, absl::string_view prefix,
                           uint32_t mode, uint64_t size, char typeflag);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_TAR_WRITER_H_
