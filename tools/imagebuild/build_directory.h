// The temporary directory of one build: TMPDIR/imagebuild-NAME.PID.XXXXXX,
// locked for as long as its owner runs, so that the directory of a build
// that was killed (kill -9, a machine crash) is recognised and removed by the
// next build.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_DIRECTORY_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_DIRECTORY_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/file_util.h"
#include "tools/imagebuild/containment.h"

namespace imagegraph {

class BuildDirectory {
 public:
  // Creates and locks a fresh directory under $TMPDIR (else /tmp).
  static absl::StatusOr<BuildDirectory> Create(absl::string_view name,
                                               const Containment& containment);
  BuildDirectory(BuildDirectory&& other) noexcept;
  BuildDirectory& operator=(BuildDirectory&&) = delete;
  BuildDirectory(const BuildDirectory&) = delete;
  BuildDirectory& operator=(const BuildDirectory&) = delete;
  // Removes the directory if Remove() was not called.
  ~BuildDirectory();

  const std::string& path() const { return path_; }
  // Removes the directory and everything in it (also after an interrupt).
  absl::Status Remove();

  // Makes `directory` (a directory of the invoker's that the build's
  // namespace cannot reach, such as a layer store under root's 0700 home)
  // reachable at path()/bound-store and returns that path. Root only: a
  // bind mount in this process's own mount namespace (entered here), which
  // the build's namespaces inherit and which ends with this process, however
  // it ends; Remove() unmounts it before removing anything. One directory
  // per build (binding it again returns the same path).
  absl::StatusOr<std::string> BindForBuild(const std::string& directory);

 private:
  BuildDirectory(std::string path, OpenFile lock, Containment containment)
      : path_(std::move(path)),
        lock_(std::move(lock)),
        containment_(std::move(containment)) {}
  std::string path_;
  std::string bound_;  // the mount point of BindForBuild, if any
  std::string bound_source_;
  // Held until the directory is removed: a build directory whose lock is
  // free belongs to a build that was killed.
  std::optional<OpenFile> lock_;
  Containment containment_;
};

// Removes the build directories under `parent` that this user owns and whose
// owner is gone (their lock is free); reports each through `progress`.
void RemoveAbandonedBuildDirectories(
    const std::string& parent, const Containment& containment,
    const std::function<void(absl::string_view)>& progress);

// Adds to a "No space left on device" error which directory was full and
// how to move it; other errors pass unchanged.
absl::Status ExplainDiskFull(absl::Status status, const std::string& directory);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILD_DIRECTORY_H_
