#include "tools/imagebuild/layer_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/errno_status.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/common/subprocess.h"
#include "tools/index/local_backend.h"

namespace imagegraph {
namespace {

absl::StatusOr<OpenFile> OpenLock(const std::string& path) {
  return OpenFile::Open(path, O_RDWR | O_CREAT, 0644);
}

// The image IDs (64 hex digits) named by the files of `directory`.
std::vector<std::string> MarkedImages(const std::string& directory) {
  std::vector<std::string> ids;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return ids;
  while (struct dirent* entry = readdir(dir)) {
    if (IsSha256Hex(entry->d_name)) ids.emplace_back(entry->d_name);
  }
  closedir(dir);
  return ids;
}

// The shell commands that create the mount points of the overlay layers of
// the storage "$1": containers/storage mounts a layer it compares a
// container against on the layer's merged/ directory, which it creates when
// missing; builds see the store read-only (Buildah::UseImageStore), so they
// are made in the build's namespace, which owns the storage, when a build
// holds an image. Exits kMountPointsFailed when one cannot be made.
constexpr int kMountPointsFailed = 125;
std::string CreateMountPointsScript() {
  return absl::StrCat(
      "for layer in \"$1\"/overlay/*/; do if [ -d \"${layer}diff\" ]; then "
      "mkdir -p -- \"${layer}merged\" || exit ",
      kMountPointsFailed, "; fi; done; ");
}

constexpr absl::string_view kOwnStoreFix =
    "a layer store is per user: give each user a store of their own (leave "
    "--//rules:layer_store at default, layers/ beside the user's own index, "
    "or set it to a directory of the user's)";

// A store is per user: its directory belongs to the invoker, its storages to
// the invoker's builds (host ID uids.start, their namespace's root). The
// storages of another user's builds belong to other subordinate IDs, which
// this user's builds may neither write nor trust.
absl::Status CheckStoreOwner(const std::string& directory,
                             const Containment& containment) {
  struct stat st;
  if (stat(directory.c_str(), &st) != 0) {
    return ErrnoToStatus(directory, "cannot use as the layer store", errno);
  }
  if (st.st_uid != containment.invoker_uid) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the layer store ", directory, " belongs to UID ", st.st_uid,
        ", not to ", containment.user, " (UID ", containment.invoker_uid,
        "), who builds: its storage belongs to that user's builds (their "
        "subordinate IDs), which ",
        containment.user, "'s builds may not write; ", kOwnStoreFix));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DefaultLayerStoreDirectory() {
  IG_ASSIGN_OR_RETURN(std::string index, DefaultLocalIndexDirectory());
  return absl::StrCat(index.substr(0, index.rfind('/')), "/layers");
}

absl::StatusOr<std::optional<std::string>> ResolveLayerStoreSpec(
    absl::string_view spec) {
  if (spec.empty() || spec == kNoLayerStore) return std::nullopt;
  if (spec == kDefaultLayerStore) {
    IG_ASSIGN_OR_RETURN(std::string dir, DefaultLayerStoreDirectory());
    return dir;
  }
  if (spec[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "--layer_store=", spec,
        ": a layer store must be an absolute directory (the build runs in "
        "Bazel's execution root, where a relative path means nothing), "
        "`default` or `off`; write it as /path/to/layers"));
  }
  return std::string(absl::StripSuffix(spec, "/"));
}

absl::StatusOr<LayerStore> LayerStore::Open(const std::string& directory,
                                            StorageDriver driver,
                                            const Containment& containment,
                                            const std::string& reachable) {
  LayerStore store(directory, reachable.empty() ? directory : reachable, driver,
                   containment);
  IG_RETURN_IF_ERROR(MakeDirectories(directory));
  IG_RETURN_IF_ERROR(CheckStoreOwner(directory, containment));
  const std::string base = store.DriverDirectory();
  for (const std::string& dir : {base, base + "/locks", base + "/images"}) {
    IG_RETURN_IF_ERROR(MakeDirectories(dir));
  }
  IG_RETURN_IF_ERROR(CheckReachableByBuild(
      store.reachable_, "the layer store",
      "let others enter every directory on the way (chmod o+x), or set "
      "--//rules:layer_store to a directory they can reach (or to off)"));
  // The storage belongs to the build's namespace, which creates what is in
  // it. Created under a temporary name and renamed, so that a store whose
  // storage exists has it with the right owner.
  const std::string storage = base + "/storage";
  struct stat st;
  if (stat(storage.c_str(), &st) == 0 && st.st_uid != containment.uids.start) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the layer store ", directory, ": its storage ", storage,
        " belongs to host UID ", st.st_uid, ", not to UID ",
        containment.uids.start,
        " (the root of the build's user namespace, the first of ",
        containment.user,
        "'s subordinate IDs): it was filled by builds over other subordinate "
        "IDs; remove ",
        storage, " (the store is a cache) or ", kOwnStoreFix));
  }
  if (!PathExists(storage)) {
    const std::string staged =
        absl::StrCat(storage, ".new.", static_cast<long>(getpid()));
    if (mkdir(staged.c_str(), 0700) != 0) {
      return ErrnoToStatus(staged, "cannot create", errno);
    }
    absl::Status given = containment.GiveToBuild({staged});
    if (given.ok() && rename(staged.c_str(), storage.c_str()) != 0 &&
        errno != EEXIST && errno != ENOTEMPTY) {
      given = ErrnoToStatus(storage, "cannot create", errno);
    }
    // Another build created it first: this copy is not needed.
    containment.RemoveTree(staged).IgnoreError();
    IG_RETURN_IF_ERROR(given);
  }
  return store;
}

std::string LayerStore::DriverDirectory() const {
  return absl::StrCat(directory_, "/", StorageDriverName(driver_));
}

std::string LayerStore::StorageRoot() const {
  return absl::StrCat(reachable_, "/", StorageDriverName(driver_), "/storage");
}

std::string LayerStore::LockPath(absl::string_view image_id) const {
  return absl::StrCat(DriverDirectory(), "/locks/", image_id, ".lock");
}

std::string LayerStore::MarkerPath(absl::string_view image_id) const {
  return absl::StrCat(DriverDirectory(), "/images/", image_id);
}

absl::StatusOr<bool> LayerStore::Verified(const std::string& image_id,
                                          bool create_mount_points) const {
  if (!PathExists(MarkerPath(image_id))) return false;
  return ConfigMatches(image_id, create_mount_points);
}

absl::StatusOr<bool> LayerStore::ConfigMatches(const std::string& image_id,
                                               bool create_mount_points) const {
  // The configuration exactly as the storage keeps it (buildah inspect
  // shows a converted one): containers/storage files an image's data under
  // its key in base64, and the configuration's key is its digest. Read from
  // the build's namespace, which owns the storage, by the same command that
  // creates the mount points: one namespace to enter, not two.
  const std::string path = absl::StrCat(
      StorageRoot(), "/", StorageDriverName(driver_), "-images/", image_id,
      "/=", absl::Base64Escape(absl::StrCat("sha256:", image_id)));
  const bool mount_points =
      create_mount_points && driver_ == StorageDriver::kOverlay;
  std::vector<std::string> argv = containment_.WrapperArgv();
  argv.insert(argv.end(),
              {"sh", "-c",
               absl::StrCat(mount_points ? CreateMountPointsScript() : "",
                            "exec cat -- \"$2\""),
               "sh", StorageRoot(), path});
  auto config = RunSubprocess(argv);
  if (config.ok() && config->exit_code == kMountPointsFailed) {
    return MountPointsError(config->stderr_text);
  }
  return config.ok() && config->exit_code == 0 &&
         Sha256Hex(config->stdout_text) == image_id;
}

absl::Status LayerStore::MountPointsError(absl::string_view stderr_text) const {
  return absl::InternalError(
      absl::StrCat("the layer store ", directory_,
                   ": cannot create the mount points of its layers: ",
                   LastLines(std::string(stderr_text), 3)));
}

absl::Status LayerStore::Import(const Buildah& store,
                                const std::string& image_id,
                                const std::string& archive) const {
  // Whatever an earlier import left (killed before its marker) is removed
  // first; "image not known" is the usual answer.
  unlink(MarkerPath(image_id).c_str());
  store.Run({"rmi", "--force", image_id}).status().IgnoreError();
  IG_ASSIGN_OR_RETURN(std::string pulled, store.PullArchive(archive));
  if (pulled != image_id) {
    return absl::DataLossError(absl::StrCat(
        archive, ": imported into the layer store ", directory_,
        " as image sha256:", pulled, ", not the expected sha256:", image_id));
  }
  IG_ASSIGN_OR_RETURN(bool matches, ConfigMatches(image_id, false));
  if (!matches) {
    return absl::DataLossError(absl::StrCat(
        "the layer store ", directory_, " holds image sha256:", image_id,
        " after importing it, but its configuration read back does not hash "
        "to that ID; remove the store (it is a cache) and build again"));
  }
  // Trusted from now on, and only now.
  return WriteFileAtomically(MarkerPath(image_id), "sha256:" + image_id + "\n");
}

namespace {

std::string VerifiedTarballLine(absl::string_view tarball_sha256) {
  return absl::StrCat("tarball sha256:", tarball_sha256, "\n");
}

}  // namespace

bool LayerStore::TarballVerified(const std::string& image_id,
                                 const std::string& tarball_sha256) const {
  auto marker = ReadFileToString(MarkerPath(image_id));
  return marker.ok() &&
         absl::StrContains(*marker, VerifiedTarballLine(tarball_sha256));
}

absl::Status LayerStore::RecordVerifiedTarball(
    const std::string& image_id, const std::string& tarball_sha256) const {
  const std::string path = MarkerPath(image_id);
  IG_ASSIGN_OR_RETURN(std::string marker, ReadFileToString(path));
  const std::string line = VerifiedTarballLine(tarball_sha256);
  if (absl::StrContains(marker, line)) return absl::OkStatus();
  // Builds holding the image share its lock, so two may rewrite the marker
  // at once and one line be lost: that tarball is then checked once more.
  return WriteFileAtomically(path, absl::StrCat(marker, line));
}

absl::Status LayerStore::CreateMountPoints() const {
  if (driver_ != StorageDriver::kOverlay) return absl::OkStatus();
  std::vector<std::string> argv = containment_.WrapperArgv();
  argv.insert(argv.end(),
              {"sh", "-c", CreateMountPointsScript(), "sh", StorageRoot()});
  IG_ASSIGN_OR_RETURN(SubprocessResult made, RunSubprocess(argv));
  if (made.exit_code != 0) return MountPointsError(made.stderr_text);
  return absl::OkStatus();
}

absl::StatusOr<StoreLease> LayerStore::Hold(
    const Buildah& store, const std::string& image_id,
    const std::function<absl::StatusOr<std::string>()>& archive,
    const std::function<void(absl::string_view)>& progress) const {
  IG_ASSIGN_OR_RETURN(OpenFile lock, OpenLock(LockPath(image_id)));
  IG_RETURN_IF_ERROR(lock.Lock(LOCK_SH));
  const std::string short_id = image_id.substr(0, 12);
  // The usual case, an image the store has: verified, and its mount points
  // made, by one command.
  IG_ASSIGN_OR_RETURN(bool verified, Verified(image_id, true));
  if (!verified) {
    // Another build may import it meanwhile: look again once exclusive.
    IG_RETURN_IF_ERROR(lock.Lock(LOCK_EX));
    IG_ASSIGN_OR_RETURN(verified, Verified(image_id, false));
    if (!verified) {
      progress(
          absl::StrCat("importing image ", short_id, " into the layer store"));
      IG_ASSIGN_OR_RETURN(const std::string path, archive());
      IG_RETURN_IF_ERROR(Import(store, image_id, path));
    }
    IG_RETURN_IF_ERROR(lock.Lock(LOCK_SH));
    // For the layers imported since.
    IG_RETURN_IF_ERROR(CreateMountPoints());
  }
  progress(absl::StrCat("image ", short_id,
                        " verified in the layer store (configuration digest)"));
  // The marker's time is the last use, which garbage collection reads.
  utimensat(AT_FDCWD, MarkerPath(image_id).c_str(), nullptr, 0);
  return StoreLease(std::move(lock));
}

absl::StatusOr<StoreGcReport> LayerStore::CollectGarbage(
    const Buildah& store, absl::Duration max_age, absl::Time now,
    const std::function<void(absl::string_view)>& progress) const {
  StoreGcReport report;
  IG_ASSIGN_OR_RETURN(report.bytes_before, DiskUsage());
  // Every image of the storage, marked or not (a killed import's).
  IG_ASSIGN_OR_RETURN(std::string listed,
                      store.RunForOutput({"images", "--quiet", "--no-trunc"}));
  std::vector<std::string> ids = MarkedImages(DriverDirectory() + "/images");
  for (absl::string_view line : absl::StrSplit(listed, '\n')) {
    std::string id(
        absl::StripPrefix(absl::StripAsciiWhitespace(line), "sha256:"));
    if (IsSha256Hex(id) && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(id);
    }
  }
  for (const std::string& id : ids) {
    const std::string marker = MarkerPath(id);
    struct stat st;
    const bool marked = stat(marker.c_str(), &st) == 0;
    if (marked && now - absl::FromTimeT(st.st_mtime) < max_age) {
      ++report.kept;
      continue;
    }
    IG_ASSIGN_OR_RETURN(OpenFile lock, OpenLock(LockPath(id)));
    if (!lock.Lock(LOCK_EX | LOCK_NB).ok()) {
      ++report.busy;
      progress(absl::StrCat("kept image ", id.substr(0, 12),
                            ": a build is using it"));
      continue;
    }
    // The marker goes first: an interrupted removal leaves an untrusted
    // image, which the next build imports again.
    unlink(marker.c_str());
    auto removed = store.RunForOutput({"rmi", "--force", id});
    if (!removed.ok()) {
      progress(absl::StrCat("warning: cannot remove image ", id.substr(0, 12),
                            ": ", removed.status().message()));
      continue;
    }
    // The lock file stays: another process may be waiting on it.
    ++report.removed;
    progress(absl::StrCat("removed image ", id.substr(0, 12),
                          marked ? "" : " (an import that did not finish)"));
  }
  IG_ASSIGN_OR_RETURN(report.bytes_after, DiskUsage());
  return report;
}

absl::StatusOr<int64_t> LayerStore::DiskUsage() const {
  std::vector<std::string> argv = containment_.WrapperArgv();
  argv.insert(argv.end(),
              {"du", "--summarize", "--block-size=1", "--",
               absl::StrCat(reachable_, "/", StorageDriverName(driver_))});
  IG_ASSIGN_OR_RETURN(SubprocessResult du, RunSubprocess(argv));
  int64_t bytes = 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(du.stdout_text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (du.exit_code != 0 || fields.empty() ||
      !absl::SimpleAtoi(fields[0], &bytes)) {
    return absl::InternalError(absl::StrCat("cannot measure ", directory_, ": ",
                                            LastLines(du.stderr_text, 3)));
  }
  return bytes;
}

absl::StatusOr<LayerStore> OpenLayerStoreForBuild(
    const std::string& directory, StorageDriver driver,
    const Containment& containment, BuildDirectory& build_directory) {
  std::string reachable;
  if (!containment.rootless) {
    IG_RETURN_IF_ERROR(MakeDirectories(directory));
    if (!CheckReachableByBuild(directory, "", "").ok()) {
      IG_RETURN_IF_ERROR(CheckStoreOwner(directory, containment));
      IG_ASSIGN_OR_RETURN(reachable, build_directory.BindForBuild(directory));
    }
  }
  return LayerStore::Open(directory, driver, containment, reachable);
}

}  // namespace imagegraph
