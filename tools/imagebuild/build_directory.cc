#include "tools/imagebuild/build_directory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kPrefix = "imagebuild-";
// Bazel hands local actions the TMPDIR of the client's environment and drops
// one set with --action_env.
constexpr absl::string_view kBazelTmpdirHint =
    "(for Bazel: run it as `TMPDIR=/path bazel build ...`; --action_env "
    "cannot set TMPDIR)";
constexpr char kLockFile[] = "/lock";
// A directory without its lock file is being created; only one this old is
// taken for abandoned.
constexpr time_t kUnlockedGraceSeconds = 3600;

}  // namespace

absl::StatusOr<BuildDirectory> BuildDirectory::Create(
    absl::string_view name, const Containment& containment) {
  // RUN steps must reach the container's root file system below it.
  IG_RETURN_IF_ERROR(CheckReachableByBuild(
      TempDirectoryRoot(), "the build's temporary directory (under $TMPDIR)",
      absl::StrCat("point TMPDIR at a directory that every user may enter, "
                   "such as /tmp ",
                   kBazelTmpdirHint)));
  auto path = MakeTempDirectory(
      TempDirectoryRoot(), absl::StrCat(kPrefix, name, ".", getpid(), "."));
  if (!path.ok()) {
    return ExplainDiskFull(path.status(), TempDirectoryRoot());
  }
  // Others may enter (RUN steps must reach the root file system below) but
  // not list it.
  if (chmod(path->c_str(), 0711) != 0) {
    int error = errno;
    RemoveTree(*path).IgnoreError();
    return ErrnoToStatus(*path, "cannot chmod", error);
  }
  // Locked before it gets its name, so that no other build ever sees the
  // lock file free while its owner lives.
  const std::string lock_path = *path + kLockFile;
  const std::string new_lock_path = lock_path + ".new";
  auto lock = OpenFile::Open(new_lock_path, O_RDWR | O_CREAT, 0600);
  absl::Status locked =
      lock.ok() ? lock->Lock(LOCK_EX | LOCK_NB) : lock.status();
  if (locked.ok() && rename(new_lock_path.c_str(), lock_path.c_str()) != 0) {
    locked = ErrnoToStatus(lock_path, "cannot lock", errno);
  }
  if (!locked.ok()) {
    RemoveTree(*path).IgnoreError();
    return locked;
  }
  return BuildDirectory(*std::move(path), *std::move(lock), containment);
}

BuildDirectory::BuildDirectory(BuildDirectory&& other) noexcept
    : path_(std::move(other.path_)),
      bound_(std::move(other.bound_)),
      bound_source_(std::move(other.bound_source_)),
      lock_(std::move(other.lock_)),
      containment_(std::move(other.containment_)) {
  other.path_.clear();
  other.bound_.clear();
  other.lock_.reset();
}

BuildDirectory::~BuildDirectory() { Remove().IgnoreError(); }

absl::StatusOr<std::string> BuildDirectory::BindForBuild(
    const std::string& directory) {
  if (!bound_.empty() && bound_source_ == directory) return bound_;
  if (containment_.rootless || !bound_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot bind ", directory,
        " into the build: only root builds can, one directory per build"));
  }
  // A mount namespace of this process's own, receiving the host's mounts
  // but giving none back: the bind mount is invisible outside and goes away
  // with the process, even when it is killed.
  if (unshare(CLONE_NEWNS) != 0) {
    return ErrnoToStatus(directory, "cannot bind into the build (unshare)",
                         errno);
  }
  if (mount("none", "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return ErrnoToStatus(directory, "cannot bind into the build (mount)",
                         errno);
  }
  const std::string target = path_ + "/bound-store";
  if (mkdir(target.c_str(), 0755) != 0 || chmod(target.c_str(), 0755) != 0) {
    return ErrnoToStatus(target, "cannot create", errno);
  }
  if (mount(directory.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) !=
      0) {
    return ErrnoToStatus(
        directory, absl::StrCat("cannot bind-mount it on ", target), errno);
  }
  bound_ = target;
  bound_source_ = directory;
  return target;
}

absl::Status BuildDirectory::Remove() {
  if (path_.empty()) return absl::OkStatus();
  if (!bound_.empty()) {
    // Never remove through the mount: that would empty the bound directory.
    if (umount2(bound_.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
      return ErrnoToStatus(bound_, "cannot unmount (the directory is kept)",
                           errno);
    }
    bound_.clear();
  }
  absl::Status removed = containment_.RemoveTree(path_);
  lock_.reset();
  path_.clear();
  return removed;
}

void RemoveAbandonedBuildDirectories(
    const std::string& parent, const Containment& containment,
    const std::function<void(absl::string_view)>& progress) {
  DIR* dir = opendir(parent.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> abandoned;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view entry_name(entry->d_name);
    if (!absl::StartsWith(entry_name, kPrefix)) continue;
    const std::string path = absl::StrCat(parent, "/", entry_name);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid()) {
      continue;
    }
    const std::string lock_path = path + kLockFile;
    auto lock = OpenFile::Open(lock_path, O_RDWR | O_NOFOLLOW);
    if (!lock.ok()) {
      if (absl::IsNotFound(lock.status()) &&
          time(nullptr) - st.st_mtime > kUnlockedGraceSeconds) {
        abandoned.push_back(path);
      }
      continue;
    }
    // The owner holds the lock until it exits, however it exits.
    if (lock->Lock(LOCK_EX | LOCK_NB).ok()) abandoned.push_back(path);
  }
  closedir(dir);
  for (const std::string& path : abandoned) {
    absl::Status removed = containment.RemoveTree(path);
    progress(removed.ok()
                 ? absl::StrCat("removed ", path,
                                ", left behind by a build that was killed")
                 : absl::StrCat(
                       "warning: cannot remove ", path,
                       ", left behind by a killed build: ", removed.message()));
  }
}

absl::Status ExplainDiskFull(absl::Status status,
                             const std::string& directory) {
  if (status.ok() || !absl::StrContains(absl::AsciiStrToLower(status.message()),
                                        "no space left on device")) {
    return status;
  }
  std::string free_space;
  struct statvfs fs;
  if (statvfs(directory.c_str(), &fs) == 0) {
    free_space = absl::StrFormat(
        " (%.1f MiB free)",
        static_cast<double>(fs.f_bavail) * fs.f_frsize / (1024.0 * 1024.0));
  }
  return absl::Status(
      status.code(),
      absl::StrCat(status.message(), "\nThe file system of ", directory,
                   free_space,
                   " is full: the build's temporary directory (the context, "
                   "buildah's storage and the archives) lives there. Free "
                   "space, or point TMPDIR at a larger file system ",
                   kBazelTmpdirHint, "."));
}

}  // namespace imagegraph
