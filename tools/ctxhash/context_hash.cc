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
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/parent_order.h"
#include "tools/ctxhash/tar_writer.h"

namespace imagegraph {
namespace {

absl::Status WriteTar(const std::vector<ContextEntry>& entries,
                      AtomicFileWriter* out) {
  TarWriter writer(out->fd(), out->path());
  for (const ContextEntry& hashed : entries) {
    if (hashed.outside_tar) continue;
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
  ContextSpec spec = options.spec;
  spec.dockerfile_as_read = [&options](absl::string_view path,
                                       absl::string_view text) {
    return ApplyPercentArgs(path, text, options.build_args,
                            options.declared_parent);
  };
  IG_ASSIGN_OR_RETURN(result.entries, CollectEntries(spec));
  // The Dockerfile is always an entry: .dockerignore never drops it.
  const auto dockerfile = std::find_if(
      result.entries.begin(), result.entries.end(),
      [](const ContextEntry& entry) { return entry.path == "Dockerfile"; });
  if (dockerfile == result.entries.end()) {
    return absl::InternalError(absl::StrCat(DockerfileDisplayPath(options.spec),
                                            ": not among the entries"));
  }
  DockerfileParents input;
  input.dockerfile_path = DockerfileDisplayPath(options.spec);
  IG_ASSIGN_OR_RETURN(input.dockerfile_text, ReadWholeFile(dockerfile->source));
  input.references = options.references;
  input.declared_parent = options.declared_parent;
  input.declared = options.parents;
  input.build_args = options.build_args;
  IG_ASSIGN_OR_RETURN(const std::vector<ParentHash> parents,
                      OrderParentsByDockerfile(input));
  IG_RETURN_IF_ERROR(HashEntries(&result.entries, options.jobs));
  result.manifest = BuildManifest(result.entries, parents, options.build_args);
  result.hash = Sha256Hex(result.manifest);
  return result;
}

absl::Status WriteOutputs(const ContextResult& result,
                          const OutputPaths& paths) {
  // All outputs are written before any is moved into place, and a failure
  // part-way through removes the ones already moved: never a partial set.
  std::vector<AtomicFileWriter> pending;
  if (!paths.tar.empty()) {
    IG_ASSIGN_OR_RETURN(AtomicFileWriter out,
                        AtomicFileWriter::Open(paths.tar));
    IG_RETURN_IF_ERROR(WriteTar(result.entries, &out));
    pending.push_back(std::move(out));
  }
  if (!paths.manifest.empty()) {
    IG_ASSIGN_OR_RETURN(AtomicFileWriter out,
                        AtomicFileWriter::Open(paths.manifest));
    IG_RETURN_IF_ERROR(out.Write(result.manifest));
    pending.push_back(std::move(out));
  }
  if (!paths.hash.empty()) {
    IG_ASSIGN_OR_RETURN(AtomicFileWriter out,
                        AtomicFileWriter::Open(paths.hash));
    IG_RETURN_IF_ERROR(out.Write(absl::StrCat(result.hash, "\n")));
    pending.push_back(std::move(out));
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    absl::Status committed = pending[i].Commit();
    if (!committed.ok()) {
      for (size_t j = 0; j < i; ++j) unlink(pending[j].path().c_str());
      return committed;
    }
  }
  return absl::OkStatus();
}

}  // namespace imagegraph
