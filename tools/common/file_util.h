// File system helpers: temporary directories, robust recursive removal and
// atomic (temp file + rename) output files.
#ifndef IMAGEGRAPH_TOOLS_COMMON_FILE_UTIL_H_
#define IMAGEGRAPH_TOOLS_COMMON_FILE_UTIL_H_

#include <fcntl.h>
#include <sys/file.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/errno_status.h"
#include "tools/common/sha256.h"

namespace imagegraph {

// The directory for temporary files: $TMPDIR when set, else /tmp.
std::string TempDirectoryRoot();

// Creates a fresh directory `<parent>/<prefix>XXXXXX` (mode 0700).
absl::StatusOr<std::string> MakeTempDirectory(absl::string_view parent,
                                              absl::string_view prefix);

// Removes `path` and everything below it without following symlinks. Entries
// whose permissions forbid listing or removal (container storages create
// such) are made accessible first. A missing `path` is not an error.
absl::Status RemoveTree(absl::string_view path);

// A temporary directory that is removed, with everything in it, when the
// object goes out of scope.
class ScopedTempDirectory {
 public:
  static absl::StatusOr<ScopedTempDirectory> Create(absl::string_view prefix);
  ScopedTempDirectory(ScopedTempDirectory&& other) noexcept;
  ScopedTempDirectory& operator=(ScopedTempDirectory&& other) noexcept;
  ScopedTempDirectory(const ScopedTempDirectory&) = delete;
  ScopedTempDirectory& operator=(const ScopedTempDirectory&) = delete;
  ~ScopedTempDirectory();

  const std::string& path() const { return path_; }
  // Removes the directory now, reporting failure (the destructor cannot).
  absl::Status Remove();

 private:
  explicit ScopedTempDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Writes a file under a temporary name in the destination's directory and
// renames it into place on Commit(); if never committed, the temporary file
// is removed, so a failed write leaves nothing at either name. With
// `durable`, Commit() also fsyncs the file before the rename and the
// directory after it, so the new contents survive a crash.
class AtomicFileWriter {
 public:
  static absl::StatusOr<AtomicFileWriter> Open(absl::string_view path,
                                               int mode = 0644,
                                               bool durable = false);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Appends bytes; errors name the destination path and the OS reason (for
  // example "No space left on device").
  absl::Status Write(absl::string_view data);
  // From now on, every byte written is also added to `hash` (not owned; it
  // must outlive the writes), so that a writer that needs the file's digest
  // does not read the file back.
  void HashWrites(Sha256* hash) { hash_ = hash; }
  // Closes the file and renames it over the destination (fsyncs only when
  // opened `durable`).
  absl::Status Commit();
  // Commit(), but onto `path` instead of the destination it was opened for;
  // `path` must be in the same directory (a content-addressed name known
  // only after writing).
  absl::Status CommitAs(absl::string_view path);
  // Removes the temporary file (also done by the destructor).
  void Abandon();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  // The open temporary file, for writers that stream into a descriptor
  // (-1 after Commit or Abandon).
  int fd() const { return fd_; }

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd,
                   bool durable)
      : path_(std::move(path)),
        temp_path_(std::move(temp_path)),
        fd_(fd),
        durable_(durable) {}
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool durable_ = false;
  Sha256* hash_ = nullptr;
};

// What CopyFileInto copied: the sha256 (lowercase hex) and size of the bytes.
struct CopiedFile {
  std::string sha256_hex;
  int64_t size = 0;
};

// Copies the file at `source` into `writer`, hashing the bytes on the way.
// The caller commits or abandons the writer. `keep_going`, when given, is
// asked before every read (a read a signal interrupted included); its first
// error stops the copy and is returned (an interrupted insert stops so).
absl::StatusOr<CopiedFile> CopyFileInto(
    absl::string_view source, AtomicFileWriter& writer,
    const std::function<absl::Status()>& keep_going = nullptr);

// mkdir -p (mode 0755); concurrent creators of one directory all succeed.
absl::Status MakeDirectories(absl::string_view path);

// Whether anything exists at `path` (following symlinks).
bool PathExists(absl::string_view path);

// Writes `contents` to `path` atomically (and durably, see AtomicFileWriter).
absl::Status WriteFileAtomically(absl::string_view path,
                                 absl::string_view contents, int mode = 0644,
                                 bool durable = false);

// fsyncs the directory that holds `path`, making a rename into it durable.
absl::Status FsyncParentDirectory(absl::string_view path);

// The whole contents of a file.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path);

// Hands the bytes of the file at `path`, in order and in chunks of up to
// `chunk_size`, to `consume`; its first error stops the reading and is
// returned.
absl::Status ReadFileInChunks(
    absl::string_view path,
    const std::function<absl::Status(absl::string_view)>& consume,
    size_t chunk_size = 1 << 20);

// An open file descriptor and the path it was opened from (for messages),
// closed when the object goes. Move-only.
class OpenFile {
 public:
  // open(2) with `flags` (O_CLOEXEC is added) and, with O_CREAT, `mode`;
  // an error names the path.
  static absl::StatusOr<OpenFile> Open(absl::string_view path,
                                       int flags = O_RDONLY, mode_t mode = 0);
  OpenFile(OpenFile&& other) noexcept;
  OpenFile& operator=(OpenFile&& other) noexcept;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // The file's size now (fstat).
  absl::StatusOr<int64_t> Size() const;
  // flock(2) with `operation` (LOCK_SH or LOCK_EX, with LOCK_NB to fail
  // rather than wait), again when a signal interrupts the wait. The lock
  // lasts until another operation changes it or the file is closed.
  absl::Status Lock(int operation) const;

 private:
  OpenFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

// Reads exactly `size` bytes at `offset` of the open file `fd` into `data`
// (resized to `size`; a buffer the caller may reuse between reads). Errors
// name `path`: the OS reason, or a DataLossError when the file ends first.
absl::Status ReadExactlyAt(int fd, absl::string_view path, int64_t offset,
                           int64_t size, std::string& data);

// The one line of a settings file such as REGISTRY, VERSION or HASH, with
// surrounding whitespace removed. An empty first line or a second non-empty
// line is an error that names the file and line and says what the file must
// hold (`what`, e.g. "the version tag, e.g. 1.4.2"). Messages call the file
// `display` when it is given (e.g. a path relative to the workspace).
// What REGISTRY, VERSION and HASH files hold, as ReadOneLineFile's `what`.
inline constexpr absl::string_view kRegistryFileHolds =
    "the registry, e.g. localhost:5000/imagegraph";
inline constexpr absl::string_view kVersionFileHolds =
    "the version tag, e.g. 1.4.2";
inline constexpr absl::string_view kHashFileHolds =
    "the pinned digest, sha256:<64 hex digits>";

absl::StatusOr<std::string> ReadOneLineFile(absl::string_view path,
                                            absl::string_view what,
                                            absl::string_view display = {});

// The user's home directory: HOME when it is an absolute path, else the
// password database's entry for this user (Bazel runs actions without HOME).
// nullopt when neither gives one.
std::optional<std::string> HomeDirectory();

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_FILE_UTIL_H_
