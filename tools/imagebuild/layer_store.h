// A persistent, per-user store of parent images for image builds, so that a
// build imports a parent's layers once instead of in every action.
//
// The store holds one buildah (containers/storage) storage per storage
// driver, at DIR/DRIVER/storage (DRIVER is vfs or overlay, the build's
// choice, buildah.h), with one lock file per image
// (DIR/DRIVER/locks/<id>.lock) and one marker per image that was imported
// and verified (DIR/DRIVER/images/<id>). A build gives it to its own private
// storage as a read-only image store (`DRIVER.imagestore`): loading a
// parent's archive into the private storage then finds every layer in the
// store by its digest and extracts nothing. With overlay, the store's layers
// are the lower directories of the build's container, which the kernel
// never writes. The private storage, and with it
// the container and the new layers of the build, is thrown away as before,
// so builds never write to the store except to import.
//
// Only images with a marker are trusted, and a marker is written only after
// the import finished and the image's configuration, read back from the
// store, hashed to its ID: an import killed at any point leaves no marker,
// and the next build removes what it left and imports again. The store is a
// cache: a build gives the same image with or without it.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_LAYER_STORE_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_LAYER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/common/file_util.h"
#include "tools/imagebuild/build_directory.h"
#include "tools/imagebuild/buildah.h"
#include "tools/imagebuild/containment.h"

namespace imagegraph {

// The layer store settings builds and tools share (--layer_store,
// --//rules:layer_store): the user's default directory, and no store.
inline constexpr absl::string_view kDefaultLayerStore = "default";
inline constexpr absl::string_view kNoLayerStore = "off";

// The default store: "layers" beside the default index directory
// (DefaultLocalIndexDirectory()), e.g. ~/.cache/imagegraph/layers.
absl::StatusOr<std::string> DefaultLayerStoreDirectory();

// The directory `spec` names: nullopt for "" and "off", the default
// directory for "default", else `spec`, which must be absolute.
absl::StatusOr<std::optional<std::string>> ResolveLayerStoreSpec(
    absl::string_view spec);

// An image held for a build: its lock is held shared until destruction, so
// that garbage collection does not remove it meanwhile.
class StoreLease {
 public:
  explicit StoreLease(OpenFile lock) : lock_(std::move(lock)) {}

 private:
  OpenFile lock_;
};

// What CollectGarbage did.
struct StoreGcReport {
  int kept = 0;
  int removed = 0;
  int busy = 0;  // old but held by a running build: kept
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

class LayerStore {
 public:
  // Opens the store at `directory` for storages of `driver`, creating it
  // when missing. Its storage belongs to the build's namespace, which must
  // be able to reach it, at `reachable` (where BuildDirectory::BindStore
  // bound it) or else at `directory` itself. A store is per user: one that
  // another user's builds own is an error naming the store and the fix.
  static absl::StatusOr<LayerStore> Open(const std::string& directory,
                                         StorageDriver driver,
                                         const Containment& containment,
                                         const std::string& reachable = "");

  const std::string& directory() const { return directory_; }
  StorageDriver driver() const { return driver_; }
  // The buildah storage root of the store, as the build's namespace
  // reaches it.
  std::string StorageRoot() const;

  // Makes sure the image `image_id` (64 lowercase hex digits) is in the
  // store and verified, importing it from the docker-archive that `archive`
  // gives (which holds that image; asked for only when importing) when it
  // is not, and holds it for the build. `store` runs buildah on
  // StorageRoot(). Reports on `progress` whether the image was found or
  // imported.
  absl::StatusOr<StoreLease> Hold(
      const Buildah& store, const std::string& image_id,
      const std::function<absl::StatusOr<std::string>()>& archive,
      const std::function<void(absl::string_view)>& progress) const;

  // Whether the tarball whose sha256 is `tarball_sha256` (lowercase hex)
  // was checked to hold the layers of `image_id`, which the store holds: a
  // child copies its parents' layer frames from their tarballs byte for
  // byte, and with the image in the store nothing else reads those frames.
  bool TarballVerified(const std::string& image_id,
                       const std::string& tarball_sha256) const;
  // Records that it was (in the image's marker, which the build holds).
  absl::Status RecordVerifiedTarball(const std::string& image_id,
                                     const std::string& tarball_sha256) const;

  // Removes the images not used for `max_age` (and what crashed imports
  // left), except those a running build holds.
  absl::StatusOr<StoreGcReport> CollectGarbage(
      const Buildah& store, absl::Duration max_age, absl::Time now,
      const std::function<void(absl::string_view)>& progress) const;

  // The bytes the store's files take on disk (measured from the build's
  // namespace, which may enter every directory of the storage).
  absl::StatusOr<int64_t> DiskUsage() const;

 private:
  LayerStore(std::string directory, std::string reachable, StorageDriver driver,
             Containment containment)
      : directory_(std::move(directory)),
        reachable_(std::move(reachable)),
        driver_(driver),
        containment_(std::move(containment)) {}
  // DIR/DRIVER on the host.
  std::string DriverDirectory() const;
  std::string LockPath(absl::string_view image_id) const;
  std::string MarkerPath(absl::string_view image_id) const;
  // Whether the store holds `image_id` with its marker, and its
  // configuration read back hashes to the ID; with `create_mount_points`,
  // the same command creates the mount points (CreateMountPoints()).
  absl::StatusOr<bool> Verified(const std::string& image_id,
                                bool create_mount_points) const;
  // Whether the configuration of `image_id` read back from the store hashes
  // to the ID; `create_mount_points` as for Verified(). Only a failure to
  // create the mount points is an error.
  absl::StatusOr<bool> ConfigMatches(const std::string& image_id,
                                     bool create_mount_points) const;
  absl::Status MountPointsError(absl::string_view stderr_text) const;
  absl::Status Import(const Buildah& store, const std::string& image_id,
                      const std::string& archive) const;
  // Creates the directories on which builds mount the store's overlay
  // layers (the store is read-only to them).
  absl::Status CreateMountPoints() const;

  std::string directory_;
  std::string reachable_;
  StorageDriver driver_;
  Containment containment_;
};

// Opens the store at `directory` for a build (or gc) working in
// `build_directory`. A store the build's namespace cannot reach, such as the
// default one under root's home (mode 0700), is bound into the build
// directory when root builds (BuildDirectory::BindForBuild); for a normal
// user it is an error naming the closed directory.
absl::StatusOr<LayerStore> OpenLayerStoreForBuild(
    const std::string& directory, StorageDriver driver,
    const Containment& containment, BuildDirectory& build_directory);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_LAYER_STORE_H_
