// Collects the entries of an image context: the files of the image folder
// that .dockerignore keeps, plus the files that `# %include` pulls in under
// `topsrcdir/`. Contents are not read here (see hashing.h).
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_ENTRIES_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_ENTRIES_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

class SourceContainment;

struct ContextEntry {
  std::string path;    // path in the context (and the tar), UTF-8
  std::string source;  // filesystem path the content is read from

  // When set, `source` ends with the file's name inside this directory (the
  // last `name_size` bytes), and the file is opened relative to it: the
  // kernel then resolves one name instead of the whole path.
  std::shared_ptr<const DirectoryHandle> directory;
  uint32_t name_size = 0;

  // Bazel mode: where the file must really be, checked on the descriptor
  // that reads it (null in the CLI mode, whose walk checks every link).
  std::shared_ptr<const SourceContainment> containment;

  // A Bazel-built file (--extra_file): hashed like any file of the folder,
  // but left out of the context tar, since the build receives it as an input
  // of its own (a root filesystem must not be stored a second time).
  bool outside_tar = false;

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
  // listed. Each file must resolve (through the sandbox's links and any
  // symlink of the repository) inside the repository or inside Bazel's
  // output tree, as in the CLI mode a symlink must stay inside R.
  std::optional<std::vector<std::string>> file_list;
  // The directory (relative to R) of taskgraph's run-task files, which a
  // `# %include-run-task` line adds at run-task/NAME; "" for none.
  std::string run_task_dir;
  // Bazel mode: the file list's path relative to Bazel's execution root (as
  // the action names it); where it really is tells where that root is.
  std::string file_list_path;
  // Bazel mode: the repository the listed sources belong to, relative to the
  // execution root ("." or "external/NAME"); empty means `root`. It differs
  // from `root` when the inputs are staged under a root of their own.
  std::string source_root;
  // The Dockerfile's text as its `# %include` lines are read, from the
  // Dockerfile's display path and text: taskgraph reads them after applying
  // `# %ARG` (see ApplyPercentArgs in parent_order.h). Unset: as written.
  std::function<absl::StatusOr<std::string>(absl::string_view path,
                                            absl::string_view text)>
      dockerfile_as_read;
  // Bazel mode: Bazel-built files placed into the image folder, as (path in
  // the folder, file to read). They obey .dockerignore like the folder's own
  // files, except that one it drops is an error (it would be an input of the
  // build that nothing uses), and they are marked outside_tar.
  std::vector<std::pair<std::string, std::string>> extra_files;
};

// Bazel mode: the real places a context's files may be in, the repository
// the sources belong to and Bazel's output tree (built files, such as extra
// files, which a folder may place into its context anyway). A file anywhere
// else, such as a host file a symlink of the repository leads to, is refused
// with the CLI's message.
class SourceContainment {
 public:
  static absl::StatusOr<std::shared_ptr<const SourceContainment>> Find(
      const ContextSpec& spec);

  // Fails unless `path` (named `display` in messages) resolves inside; a
  // missing file passes (reading it reports it).
  absl::Status CheckPath(const std::string& path,
                         absl::string_view display) const;
  // Fails unless the open file `fd` is inside.
  absl::Status CheckOpenFile(int fd, absl::string_view display) const;
  // How messages name `entry`: its path in the repository.
  std::string DisplayPath(const ContextEntry& entry) const;

 private:
  SourceContainment(std::string repository, std::string outputs,
                    std::string folder, std::string run_task_dir)
      : repository_(std::move(repository)),
        outputs_(std::move(outputs)),
        folder_(std::move(folder)),
        run_task_dir_(std::move(run_task_dir)) {}

  std::string repository_;    // real path
  std::string outputs_;       // real path
  std::string folder_;        // the image folder, relative to the repository
  std::string run_task_dir_;  // ContextSpec::run_task_dir, cleaned
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
