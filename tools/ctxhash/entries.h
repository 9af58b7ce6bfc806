// Collects the entries of an image context: the files of the image folder
// that .dockerignore keeps, plus the files that `# %include` pulls in under
// `topsrcdir/`. Contents are not read here (see hashing.h).
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_ENTRIES_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_ENTRIES_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// An open descriptor of a directory the walk listed, closed when the last
// entry that refers to it goes away.
class DirectoryHandle {
 public:
  explicit DirectoryHandle(int fd) : fd_(fd) {}
  ~DirectoryHandle();
  DirectoryHandle(const DirectoryHandle&) = delete;
  DirectoryHandle& operator=(const DirectoryHandle&) = delete;

  int fd() const { return fd_; }

 private:
  int fd_;
};

struct ContextEntry {
  std::string path;    // path in the context (and the tar), UTF-8
  std::string source;  // filesystem path the content is read from

  // When set, `source` ends with the file's name inside this directory (the
  // last `name_size` bytes), and the file is opened relative to it: the
  // kernel then resolves one name instead of the whole path.
  std::shared_ptr<const DirectoryHandle> directory;
  uint32_t name_size = 0;

  // Filled from the opened file when it is hashed.
  uint32_t mode = 0;  // 0644 or 0755
  uint64_t size = 0;
  dev_t device = 0;
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  std::string sha256_hex;
};

struct ContextSpec {
  std::string root;     // R: the repository root
  std::string context;  // F: the image folder, relative to R unless absolute
  // Bazel mode: every declared input file, relative to the current
  // directory. When set, only these files are read and no directory is
  // listed; symlinks among them are followed wherever they lead.
  std::optional<std::vector<std::string>> file_list;
  // The directory (relative to R) of taskgraph's run-task files, which a
  // `# %include-run-task` line adds at run-task/NAME; "" for none.
  std::string run_task_dir;
};

// Returns the entries sorted by the bytes of their paths. Errors name the
// offending path: missing Dockerfile, bad %include, symlink leaving the
// repository / dangling / looping, special file, newline or invalid UTF-8 in
// a path, two different files at one path.
absl::StatusOr<std::vector<ContextEntry>> CollectEntries(
    const ContextSpec& spec);

// The image folder's path as shown in messages and used for reading.
std::string ContextDirectory(const ContextSpec& spec);

// The image folder's Dockerfile as messages name it.
std::string DockerfileDisplayPath(const ContextSpec& spec);

// The whole content of the file at `path` (opened without blocking on a
// FIFO); errors name the path.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Checks that `path` can be a line of the manifest: valid UTF-8, no newline.
absl::Status ValidateEntryPath(absl::string_view path,
                               absl::string_view display);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_ENTRIES_H_
