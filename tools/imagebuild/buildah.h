// buildah with a private storage under a build's temporary directory, run
// contained (containment.h) and with the environment it needs.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILDAH_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILDAH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/subprocess.h"
#include "tools/imagebuild/containment.h"

namespace imagegraph {

// The storage driver of every storage a build uses (its private one and the
// layer store's), chosen once per build (Buildah::ChooseDriver).
//
// Both compute a new layer the same way, so that image IDs do not depend on
// the driver: by comparing the container's tree with its parent's
// (containers/storage's "naive" diff). vfs always does; overlay would
// otherwise archive its upper directory, which differs: a directory that
// buildah copied up only to create a RUN step's mount point in it (and
// removed again), such as run/ for /run/.containerenv, enters the layer, and
// `rm -rf d && mkdir d` becomes an opaque directory instead of one whiteout
// per removed entry.
enum class StorageDriver { kVfs, kOverlay };

// The settings of --storage_driver (--//rules:storage_driver).
inline constexpr absl::string_view kAutoStorageDriver = "auto";

// "vfs" or "overlay", as buildah and containers/storage name them.
absl::string_view StorageDriverName(StorageDriver driver);

// The driver `spec` forces: nullopt for "auto" (and ""), else "vfs" or
// "overlay"; anything else is an error naming the flag.
absl::StatusOr<std::optional<StorageDriver>> ParseStorageDriverSpec(
    absl::string_view spec);

class Buildah {
 public:
  // `temp_root` is the build's temporary directory: buildah's storage, its
  // TMPDIR, HOME and runtime directory all go below its work_dir().
  Buildah(std::string binary, Containment containment,
          const std::string& temp_root);

  // Creates the directories buildah is pointed at and gives them to the
  // build's user namespace.
  absl::Status Prepare();

  // What ProbeDriver() found.
  struct DriverProbe {
    std::optional<StorageDriver> forced;  // by `spec`
    // `buildah info` on a test storage of the overlay driver; none when vfs
    // is forced.
    std::optional<SubprocessResult> overlay_info;
  };

  // Chooses the storage driver once (after Prepare()): `spec` "vfs" or
  // "overlay" forces it, "auto" takes overlay when the build's namespace can
  // mount it with layers computed as vfs computes them, else vfs. A forced
  // overlay that does not work is an error saying why.
  absl::Status ChooseDriver(absl::string_view spec) {
    return ChooseDriver(ProbeDriver(spec));
  }
  // The same in two steps. ProbeDriver() starts a buildah (about 0.05 s) and
  // only reads this object, so a build runs it on a thread of its own while
  // it does what does not depend on the driver, and then chooses with its
  // answer.
  absl::StatusOr<DriverProbe> ProbeDriver(absl::string_view spec) const;
  absl::Status ChooseDriver(absl::StatusOr<DriverProbe> probe);
  StorageDriver driver() const { return driver_; }
  // The driver and why it was chosen, for the progress line.
  const std::string& driver_choice() const { return driver_choice_; }

  // The directory (owned by the namespace's root) where buildah may write.
  const std::string& work_dir() const { return work_dir_; }

  // Runs `buildah <storage flags> args...` contained and returns how it went.
  absl::StatusOr<SubprocessResult> Run(const std::vector<std::string>& args,
                                       SubprocessOptions options = {}) const;

  // Runs buildah and returns its stdout; a non-zero exit is an error
  // carrying the last lines of its output.
  absl::StatusOr<std::string> RunForOutput(
      const std::vector<std::string>& args) const;

  // Pulls a docker-archive into the storage; returns the image ID.
  absl::StatusOr<std::string> PullArchive(const std::string& archive) const;

  absl::Status Tag(const std::string& image, const std::string& tag) const;

  // Gives the private storage `root` (a layer store's storage, see
  // layer_store.h) as a read-only image store: layers found there by digest
  // are not extracted again. Every command of this buildah then sees `root`
  // mounted read-only.
  void UseImageStore(const std::string& root);

  // The same buildah, working on the storage at `root` (a layer store's)
  // instead of the private one; its run state stays in work_dir().
  Buildah ForStorage(const std::string& root) const;

  // Copies `image` (a name, or @ID) of the storage into the OCI image layout
  // directory `layout` (tag `tag`) with skopeo (the program `skopeo`, run
  // contained like buildah), keeping its Docker manifest and configuration as
  // they are and its layers uncompressed. A layer whose blob the layout already
  // has, by name, is not read from the storage: skopeo looks only for the
  // file.
  absl::Status CopyToOciLayout(const std::string& skopeo,
                               const std::string& image,
                               const std::string& layout,
                               const std::string& tag) const;

  const Containment& containment() const { return containment_; }

 private:
  // Runs `command` contained, with the environment every program of the
  // build gets.
  absl::StatusOr<SubprocessResult> RunContained(
      std::vector<std::string> command, SubprocessOptions options) const;

  std::string binary_;
  Containment containment_;
  std::string work_dir_;
  std::string root_;
  std::string runroot_;
  std::string tmpdir_;
  std::string home_;
  std::string runtime_dir_;
  std::vector<std::string> storage_options_;
  std::string image_store_;
  StorageDriver driver_ = StorageDriver::kVfs;
  std::string driver_choice_ = "vfs";
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_BUILDAH_H_
