#include "tools/ctxhash/context_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/parent_order.h"
#include "tools/ctxhash/tar_writer.h"

namespace imagegraph {
namespace {

// A file written under a temporary name in its destination directory and
// renamed into place by Commit(); removed if never committed.
class PendingOutput {
 public:
  static absl::StatusOr<std::unique_ptr<PendingOutput>> Create(
      const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == path.npos ? "" : path.substr(0, slash + 1);
    const std::string base = slash == path.npos ? path : path.substr(slash + 1);
    std::string temp = absl::StrCat(dir, ".", base, ".tmp.XXXXXX");
    const int fd = mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": cannot create output: ", std::strerror(errno)));
    }
    fchmod(fd, 0644);
    return std::unique_ptr<PendingOutput>(new PendingOutput(path, temp, fd));
  }

  ~PendingOutput() {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(temp_.c_str());
  }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  absl::Status WriteAll(absl::string_view data) {
    while (!data.empty()) {
      const ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return WriteError(errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return WriteError(errno);
    return absl::OkStatus();
  }

  absl::Status Commit() {
    if (rename(temp_.c_str(), path_.c_str()) != 0) {
      return absl::InternalError(absl::StrCat(
          path_, ": cannot move output into place: ", std::strerror(errno)));
    }
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  PendingOutput(std::string path, std::string temp, int fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}

  absl::Status WriteError(int err) const {
    return absl::InternalError(
        absl::StrCat(path_, ": cannot write: ", std::strerror(err)));
  }

  std::string path_;
  std::string temp_;
  int fd_;
  bool committed_ = false;
};

absl::Status WriteTar(const std::vector<ContextEntry>& entries,
                      PendingOutput* out) {
  TarWriter writer(out->fd(), out->path());
  for (const ContextEntry& hashed : entries) {
    ContextEntry now = hashed;
    IG_ASSIGN_OR_RETURN(const int fd, OpenEntry(&now));
    absl::Status status = absl::OkStatus();
    if (now.size != hashed.size || now.mtime_ns != hashed.mtime_ns ||
        now.inode != hashed.inode || now.device != hashed.device ||
        now.mode != hashed.mode) {
      status = absl::InvalidArgumentError(
          absl::StrCat(hashed.source,
                       ": changed after it was hashed; run again when "
                       "nothing writes to the image folder"));
    } else {
      status = writer.AddFile(hashed.path, hashed.mode, hashed.size, fd,
                              hashed.source);
    }
    close(fd);
    IG_RETURN_IF_ERROR(status);
  }
  return writer.Finish();
}

}  // namespace

absl::StatusOr<ContextResult> ComputeContext(const ContextOptions& options) {
  for (const ParentHash& parent : options.parents) {
    IG_RETURN_IF_ERROR(ValidateParent(parent));
  }
  absl::flat_hash_set<std::string> arg_names;
  for (const auto& [name, value] : options.build_args) {
    IG_RETURN_IF_ERROR(ValidateBuildArg(name, value));
    if (!arg_names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "build argument ", name, ": given twice; give each name once"));
    }
  }
  ContextResult result;
  IG_ASSIGN_OR_RETURN(result.entries, CollectEntries(options.spec));
  std::vector<ParentHash> parents = options.parents;
  if (options.order_parents_by_dockerfile) {
    // The Dockerfile is always an entry: .dockerignore never drops it.
    const auto dockerfile = std::find_if(
        result.entries.begin(), result.entries.end(),
        [](const ContextEntry& entry) { return entry.path == "Dockerfile"; });
    if (dockerfile == result.entries.end()) {
      return absl::InternalError(absl::StrCat(
          DockerfileDisplayPath(options.spec), ": not among the entries"));
    }
    DockerfileParents input;
    input.dockerfile_path = DockerfileDisplayPath(options.spec);
    IG_ASSIGN_OR_RETURN(input.dockerfile_text,
                        ReadWholeFile(dockerfile->source));
    input.registry = options.registry;
    input.declared = options.parents;
    input.build_args = options.build_args;
    IG_ASSIGN_OR_RETURN(parents, OrderParentsByDockerfile(input));
  }
  IG_RETURN_IF_ERROR(HashEntries(&result.entries, options.jobs));
  result.manifest = BuildManifest(result.entries, parents, options.build_args);
  result.hash = Sha256Hex(result.manifest);
  return result;
}

absl::Status WriteOutputs(const ContextResult& result,
                          const OutputPaths& paths) {
  std::vector<std::unique_ptr<PendingOutput>> pending;
  if (!paths.tar.empty()) {
    IG_ASSIGN_OR_RETURN(auto out, PendingOutput::Create(paths.tar));
    IG_RETURN_IF_ERROR(WriteTar(result.entries, out.get()));
    pending.push_back(std::move(out));
  }
  if (!paths.manifest.empty()) {
    IG_ASSIGN_OR_RETURN(auto out, PendingOutput::Create(paths.manifest));
    IG_RETURN_IF_ERROR(out->WriteAll(result.manifest));
    pending.push_back(std::move(out));
  }
  if (!paths.hash.empty()) {
    IG_ASSIGN_OR_RETURN(auto out, PendingOutput::Create(paths.hash));
    IG_RETURN_IF_ERROR(out->WriteAll(absl::StrCat(result.hash, "\n")));
    pending.push_back(std::move(out));
  }
  for (auto& out : pending) IG_RETURN_IF_ERROR(out->Close());
  for (auto& out : pending) IG_RETURN_IF_ERROR(out->Commit());
  return absl::OkStatus();
}

}  // namespace imagegraph
