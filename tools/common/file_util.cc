#include "tools/common/file_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/sha256.h"

namespace imagegraph {

std::string TempDirectoryRoot() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] != '\0') return tmpdir;
  return "/tmp";
}

absl::StatusOr<std::string> MakeTempDirectory(absl::string_view parent,
                                              absl::string_view prefix) {
  std::string pattern = absl::StrCat(parent, "/", prefix, "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoToStatus(pattern, "cannot create temporary directory", errno);
  }
  return pattern;
}

namespace {

// Removes the contents of the directory open as `dir_fd` (which it closes).
absl::Status RemoveDirectoryContents(int dir_fd, const std::string& path) {
  DIR* dir = fdopendir(dir_fd);
  if (dir == nullptr) {
    int error = errno;
    close(dir_fd);
    return ErrnoToStatus(path, "cannot list", error);
  }
  std::vector<std::pair<std::string, bool>> entries;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir =
          fstatat(dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(st.st_mode);
    }
    entries.emplace_back(std::move(name), is_dir);
  }
  absl::Status status;
  int fd = dirfd(dir);
  for (const auto& [name, is_dir] : entries) {
    std::string child = absl::StrCat(path, "/", name);
    if (is_dir) {
      // Storage drivers leave directories without write or search
      // permission; restore them so the contents can go. A failure shows up
      // as the openat or unlinkat error below, which names the path.
      if (fchmodat(fd, name.c_str(), 0700, 0) != 0) errno = 0;
      int child_fd =
          openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (child_fd < 0) {
        status.Update(ErrnoToStatus(child, "cannot open", errno));
        continue;
      }
      status.Update(RemoveDirectoryContents(child_fd, child));
      if (unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        status.Update(ErrnoToStatus(child, "cannot remove", errno));
      }
    } else if (unlinkat(fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      status.Update(ErrnoToStatus(child, "cannot remove", errno));
    }
  }
  closedir(dir);
  return status;
}

}  // namespace

absl::Status RemoveTree(absl::string_view path_view) {
  std::string path(path_view);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(path, "cannot stat", errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(path, "cannot remove", errno);
    }
    return absl::OkStatus();
  }
  chmod(path.c_str(), 0700);
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (fd < 0) return ErrnoToStatus(path, "cannot open", errno);
  absl::Status status = RemoveDirectoryContents(fd, path);
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) {
    status.Update(ErrnoToStatus(path, "cannot remove", errno));
  }
  return status;
}

absl::StatusOr<ScopedTempDirectory> ScopedTempDirectory::Create(
    absl::string_view prefix) {
  auto path = MakeTempDirectory(TempDirectoryRoot(), prefix);
  if (!path.ok()) return path.status();
  return ScopedTempDirectory(*std::move(path));
}

ScopedTempDirectory::ScopedTempDirectory(ScopedTempDirectory&& other) noexcept
    : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScopedTempDirectory& ScopedTempDirectory::operator=(
    ScopedTempDirectory&& other) noexcept {
  if (this != &other) {
    Remove().IgnoreError();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

ScopedTempDirectory::~ScopedTempDirectory() { Remove().IgnoreError(); }

absl::Status ScopedTempDirectory::Remove() {
  if (path_.empty()) return absl::OkStatus();
  absl::Status status = RemoveTree(path_);
  path_.clear();
  return status;
}

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Open(absl::string_view path,
                                                        int mode,
                                                        bool durable) {
  std::string destination(path);
  size_t slash = destination.rfind('/');
  std::string dir =
      slash == std::string::npos ? "." : destination.substr(0, slash);
  std::string base =
      slash == std::string::npos ? destination : destination.substr(slash + 1);
  std::string temp_path = absl::StrCat(dir, "/.", base, ".tmp.XXXXXX");
  int fd = mkstemp(temp_path.data());
  if (fd < 0) {
    return ErrnoToStatus(destination,
                         "cannot create a temporary file beside it", errno);
  }
  fchmod(fd, mode);
  return AtomicFileWriter(std::move(destination), std::move(temp_path), fd,
                          durable);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      durable_(other.durable_),
      hash_(other.hash_) {
  other.fd_ = -1;
  other.temp_path_.clear();
}

AtomicFileWriter::~AtomicFileWriter() { Abandon(); }

void AtomicFileWriter::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  temp_path_.clear();
}

absl::Status AtomicFileWriter::Write(absl::string_view data) {
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": write after commit or abandon"));
  }
  if (hash_ != nullptr) hash_->Update(data);
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(path_, "cannot write", errno);
    }
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() { return CommitAs(path_); }

absl::Status AtomicFileWriter::CommitAs(absl::string_view destination) {
  const std::string path(destination);
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": commit after commit or abandon"));
  }
  // Build outputs are not durable by default: they need to be complete, not
  // to survive a crash (Bazel re-runs an action whose output is missing or
  // damaged), and a sync of a large archive costs more than writing it.
  // Errors that surface only at close (some network file systems) are still
  // caught below.
  int fd = fd_;
  fd_ = -1;
  if (durable_ && fsync(fd) != 0) {
    int error = errno;
    close(fd);
    return ErrnoToStatus(path, "cannot fsync the temporary file", error);
  }
  if (close(fd) != 0) return ErrnoToStatus(path, "cannot write", errno);
  if (rename(temp_path_.c_str(), path.c_str()) != 0) {
    return ErrnoToStatus(path, "cannot rename the temporary file over it",
                         errno);
  }
  temp_path_.clear();
  if (durable_) return FsyncParentDirectory(path);
  return absl::OkStatus();
}

absl::Status FsyncParentDirectory(absl::string_view path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == absl::string_view::npos ? "."
                    : slash == 0                     ? "/"
                                 : std::string(path.substr(0, slash));
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(dir, "cannot open directory", errno);
  int rc = fsync(fd);
  int error = errno;
  close(fd);
  if (rc != 0) return ErrnoToStatus(dir, "cannot fsync directory", error);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(absl::string_view path,
                                 absl::string_view contents, int mode,
                                 bool durable) {
  auto writer = AtomicFileWriter::Open(path, mode, durable);
  if (!writer.ok()) return writer.status();
  absl::Status status = writer->Write(contents);
  if (!status.ok()) return status;
  return writer->Commit();
}

absl::StatusOr<CopiedFile> CopyFileInto(
    absl::string_view source_view, AtomicFileWriter& writer,
    const std::function<absl::Status()>& keep_going) {
  auto in = OpenFile::Open(source_view);
  if (!in.ok()) return in.status();
  CopiedFile copied;
  Sha256 hasher;
  std::vector<char> block(1 << 20);
  absl::Status status;
  while (true) {
    if (keep_going != nullptr) {
      status = keep_going();
      if (!status.ok()) break;
    }
    const ssize_t n = read(in->fd(), block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoToStatus(in->path(), "cannot read", errno);
      break;
    }
    if (n == 0) break;
    hasher.Update(block.data(), static_cast<size_t>(n));
    copied.size += n;
    status = writer.Write(absl::string_view(block.data(), n));
    if (!status.ok()) break;
  }
  if (!status.ok()) return status;
  copied.sha256_hex = hasher.FinishHex();
  return copied;
}

absl::Status MakeDirectories(absl::string_view path_view) {
  const std::string path(path_view);
  if (path.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": exists and is not a directory; remove it"));
  }
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = MakeDirectories(path.substr(0, slash));
    if (!parent.ok()) return parent;
  }
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(path, "cannot create directory", errno);
  }
  return absl::OkStatus();
}

bool PathExists(absl::string_view path) {
  struct stat st;
  return stat(std::string(path).c_str(), &st) == 0;
}

absl::StatusOr<OpenFile> OpenFile::Open(absl::string_view path_view, int flags,
                                        mode_t mode) {
  std::string path(path_view);
  const int fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoToStatus(path, "cannot open", errno);
  return OpenFile(std::move(path), fd);
}

OpenFile::OpenFile(OpenFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

OpenFile& OpenFile::operator=(OpenFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OpenFile::~OpenFile() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<int64_t> OpenFile::Size() const {
  struct stat st;
  if (fstat(fd_, &st) != 0) return ErrnoToStatus(path_, "cannot stat", errno);
  return static_cast<int64_t>(st.st_size);
}

absl::Status OpenFile::Lock(int operation) const {
  while (flock(fd_, operation) != 0) {
    if (errno != EINTR) return ErrnoToStatus(path_, "cannot lock", errno);
  }
  return absl::OkStatus();
}

absl::Status ReadExactlyAt(int fd, absl::string_view path, int64_t offset,
                           int64_t size, std::string& data) {
  data.resize(size);
  int64_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, data.data() + done, size - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(path, "cannot read", errno);
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(
          path, ": ends at byte ", offset + done, ", before ", offset + size));
    }
    done += n;
  }
  return absl::OkStatus();
}

absl::Status ReadFileInChunks(
    absl::string_view path,
    const std::function<absl::Status(absl::string_view)>& consume,
    size_t chunk_size) {
  auto file = OpenFile::Open(path);
  if (!file.ok()) return file.status();
  std::string buffer(chunk_size, '\0');
  while (true) {
    const ssize_t n = read(file->fd(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(file->path(), "cannot read", errno);
    }
    if (n == 0) return absl::OkStatus();
    absl::Status consumed = consume(absl::string_view(buffer.data(), n));
    if (!consumed.ok()) return consumed;
  }
}

absl::StatusOr<std::string> ReadFileToString(absl::string_view path) {
  std::string contents;
  absl::Status read = ReadFileInChunks(
      path,
      [&contents](absl::string_view chunk) {
        contents.append(chunk.data(), chunk.size());
        return absl::OkStatus();
      },
      1 << 16);
  if (!read.ok()) return read;
  return contents;
}

std::optional<std::string> HomeDirectory() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home);
  struct passwd entry;
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return std::string(found->pw_dir);
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ReadOneLineFile(absl::string_view path,
                                            absl::string_view what,
                                            absl::string_view display) {
  absl::StatusOr<std::string> contents = ReadFileToString(path);
  if (!contents.ok()) {
    // The message is "PATH: reason" (ErrnoToStatus); name the file as asked.
    absl::string_view message = contents.status().message();
    if (display.empty() || !absl::ConsumePrefix(&message, path)) {
      return contents.status();
    }
    return absl::Status(contents.status().code(),
                        absl::StrCat(display, message));
  }
  if (display.empty()) display = path;
  std::vector<absl::string_view> lines = absl::StrSplit(*contents, '\n');
  absl::string_view first = absl::StripAsciiWhitespace(lines.front());
  if (first.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        display, ":1: the first line is empty; it must hold ", what));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    if (!absl::StripAsciiWhitespace(lines[i]).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ":", i + 1,
                       ": unexpected second line; the file must hold one "
                       "line only: ",
                       what));
    }
  }
  return std::string(first);
}

}  // namespace imagegraph
