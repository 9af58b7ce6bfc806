#include "tools/ctxhash/tar_writer.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common/errno_status.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kRecord = 20 * kBlock;  // GNU tar's default record
constexpr size_t kBufferBytes = 1 << 20;
constexpr uint64_t kMaxUstarSize = 077777777777ULL;  // 11 octal digits

void PutOctal(char* field, size_t width, uint64_t value) {
  // width - 1 digits, zero padded, then NUL.
  std::string digits = absl::StrFormat("%0*o", static_cast<int>(width - 1),
                                       static_cast<unsigned long long>(value));
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

// Splits `path` into ustar prefix (<=155) and name (<=100) at a slash, or
// returns false.
bool SplitUstarPath(absl::string_view path, absl::string_view* prefix,
                    absl::string_view* name) {
  if (path.size() <= 100) {
    *prefix = "";
    *name = path;
    return true;
  }
  for (size_t slash = path.rfind('/'); slash != path.npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    if (slash <= 155 && path.size() - slash - 1 <= 100 &&
        path.size() - slash - 1 > 0) {
      *prefix = path.substr(0, slash);
      *name = path.substr(slash + 1);
      return true;
    }
    if (slash == 0) break;
  }
  return false;
}

std::string PaxRecord(absl::string_view key, absl::string_view value) {
  // "<len> <key>=<value>\n" where <len> counts the whole record.
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (absl::StrCat(len).size() + body != len) {
    len = absl::StrCat(len).size() + body;
  }
  return absl::StrCat(len, " ", key, "=", value, "\n");
}

}  // namespace

std::string TarHeaderBlock(absl::string_view name, absl::string_view prefix,
                           uint32_t mode, uint64_t size, char typeflag) {
  std::string block(kBlock, '\0');
  char* h = block.data();
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  PutOctal(h + 100, 8, mode);
  PutOctal(h + 108, 8, 0);  // uid
  PutOctal(h + 116, 8, 0);  // gid
  PutOctal(h + 124, 12, std::min(size, kMaxUstarSize));
  PutOctal(h + 136, 12, 0);  // mtime
  h[156] = typeflag;
  std::memcpy(h + 257,
              "ustar\0"
              "00",
              8);
  // uname/gname (265, 297) stay empty; devmajor/devminor are zero.
  PutOctal(h + 329, 8, 0);
  PutOctal(h + 337, 8, 0);
  std::memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(h + 148, ' ', 8);
  unsigned checksum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    checksum += static_cast<unsigned char>(h[i]);
  }
  PutOctal(h + 148, 7, checksum);  // six digits, NUL, then the space
  h[155] = ' ';
  return block;
}

TarWriter::TarWriter(int fd, std::string display_path)
    : fd_(fd),
      display_path_(std::move(display_path)),
      buffer_(new char[kBufferBytes]) {}

absl::Status TarWriter::Flush() {
  size_t done = 0;
  while (done < buffered_) {
    const ssize_t n = write(fd_, buffer_.get() + done, buffered_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(display_path_, "cannot write", errno);
    }
    done += static_cast<size_t>(n);
  }
  buffered_ = 0;
  return absl::OkStatus();
}

absl::Status TarWriter::Append(const char* data, size_t size) {
  while (size > 0) {
    if (buffered_ == kBufferBytes) IG_RETURN_IF_ERROR(Flush());
    const size_t n = std::min(size, kBufferBytes - buffered_);
    std::memcpy(buffer_.get() + buffered_, data, n);
    buffered_ += n;
    written_ += n;
    data += n;
    size -= n;
  }
  return absl::OkStatus();
}

absl::Status TarWriter::PadToBlock() {
  static const char kZeros[kBlock] = {};
  const size_t rest = written_ % kBlock;
  if (rest == 0) return absl::OkStatus();
  return Append(kZeros, kBlock - rest);
}

absl::Status TarWriter::WriteHeaders(absl::string_view path, uint32_t mode,
                                     uint64_t size) {
  absl::string_view prefix, name;
  std::string pax;
  if (!SplitUstarPath(path, &prefix, &name)) {
    pax += PaxRecord("path", path);
    prefix = "";
    name = path.substr(0, 100);
  }
  if (size > kMaxUstarSize) pax += PaxRecord("size", absl::StrCat(size));
  if (!pax.empty()) {
    // A fixed name keeps the archive independent of process ids and time.
    const std::string header =
        TarHeaderBlock("././@PaxHeader", "", 0644, pax.size(), 'x');
    IG_RETURN_IF_ERROR(Append(header.data(), header.size()));
    IG_RETURN_IF_ERROR(Append(pax.data(), pax.size()));
    IG_RETURN_IF_ERROR(PadToBlock());
  }
  const std::string header = TarHeaderBlock(name, prefix, mode, size, '0');
  return Append(header.data(), header.size());
}

absl::Status TarWriter::AddFile(absl::string_view path, uint32_t mode,
                                uint64_t size, int source_fd,
                                absl::string_view source_display) {
  IG_RETURN_IF_ERROR(WriteHeaders(path, mode, size));
  uint64_t remaining = size;
  while (remaining > 0) {
    if (buffered_ == kBufferBytes) IG_RETURN_IF_ERROR(Flush());
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(remaining, kBufferBytes - buffered_));
    const ssize_t n = read(source_fd, buffer_.get() + buffered_, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(source_display, "cannot read", errno);
    }
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_display,
                       ": shrank while being archived; run again when "
                       "nothing writes to the image folder"));
    }
    buffered_ += static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
    remaining -= static_cast<uint64_t>(n);
  }
  return PadToBlock();
}

absl::Status TarWriter::AddFile(absl::string_view path, uint32_t mode,
                                absl::string_view contents) {
  IG_RETURN_IF_ERROR(WriteHeaders(path, mode, contents.size()));
  IG_RETURN_IF_ERROR(Append(contents.data(), contents.size()));
  return PadToBlock();
}

absl::Status TarWriter::Finish() {
  static const char kZeros[kBlock] = {};
  IG_RETURN_IF_ERROR(Append(kZeros, kBlock));
  IG_RETURN_IF_ERROR(Append(kZeros, kBlock));
  while (written_ % kRecord != 0) IG_RETURN_IF_ERROR(Append(kZeros, kBlock));
  return Flush();
}

}  // namespace imagegraph
