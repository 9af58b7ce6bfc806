#include "tools/index/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int error) {
  return absl::InternalError(
      absl::StrCat(path, ": ", what, " failed: ", strerror(error)));
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, const char* data, size_t size,
                      const std::string& path) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MakeDirectories(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": exists and is not a directory; remove it"));
  }
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    IG_RETURN_IF_ERROR(MakeDirectories(path.substr(0, slash)));
  }
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("mkdir", path, errno);
  }
  return absl::OkStatus();
}

std::string TemporarySibling(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  std::string dir = DirectoryOf(path);
  std::string base = path.substr(path.rfind('/') + 1);
  return absl::StrCat(dir, "/.", base, ".tmp.", getpid(), ".",
                      static_cast<long>(syscall(SYS_gettid)), ".",
                      counter.fetch_add(1));
}

absl::StatusOr<StagedFile> StageCopyHashing(const std::string& source,
                                            const std::string& sibling_of,
                                            bool durable) {
  int in = open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return absl::NotFoundError(
        absl::StrCat(source, ": cannot open: ", strerror(errno)));
  }
  absl::Cleanup close_in = [in] { close(in); };
  StagedFile staged;
  staged.temp_path = TemporarySibling(sibling_of);
  const std::string& temp = staged.temp_path;
  int out = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) return ErrnoError("create", temp, errno);
  absl::Cleanup close_out = [out] { close(out); };
  Sha256 hasher;
  std::vector<char> block(1 << 20);
  while (true) {
    ssize_t n = read(in, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoError("read", source, errno);
      unlink(temp.c_str());
      return status;
    }
    if (n == 0) break;
    hasher.Update(block.data(), static_cast<size_t>(n));
    staged.size += n;
    absl::Status written =
        WriteAll(out, block.data(), static_cast<size_t>(n), temp);
    if (!written.ok()) {
      unlink(temp.c_str());
      return written;
    }
  }
  if (durable && fsync(out) != 0) {
    absl::Status status = ErrnoError("fsync", temp, errno);
    unlink(temp.c_str());
    return status;
  }
  staged.sha256_hex = hasher.FinishHex();
  return staged;
}

absl::Status CommitStagedFile(const StagedFile& staged, const std::string& dest,
                              bool durable) {
  if (rename(staged.temp_path.c_str(), dest.c_str()) != 0) {
    absl::Status status =
        ErrnoError("rename to " + dest, staged.temp_path, errno);
    unlink(staged.temp_path.c_str());
    return status;
  }
  if (durable) return FsyncParentDirectory(dest);
  return absl::OkStatus();
}

void DiscardStagedFile(const StagedFile& staged) {
  unlink(staged.temp_path.c_str());
}

bool PathExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace imagegraph
