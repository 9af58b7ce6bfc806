#include "tools/imagebuild/buildah.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"

extern char** environ;

namespace imagegraph {
namespace {

constexpr int kFailureOutputLines = 20;

// PATH for buildah when the action has none: newuidmap, unshare and the
// runtime helpers live in these.
constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

constexpr absl::string_view kKeptEnvironment[] = {
    "PATH",       "LANG",        "LC_ALL",    "TZ",
    "http_proxy", "https_proxy", "ftp_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY"};

// containers/storage's overlay driver decides once per run directory
// whether it archives a layer from its upper directory ("native" diff) or by
// comparing trees, and caches the answer in RUNROOT/overlay under this name
// (for a storage without mount options). A build writes the answer first:
// trees are compared, as vfs does (buildah.h); ChooseDriver() checks that
// buildah took it.
constexpr char kOverlayDiffCache[] = "overlay/native-diff()-false";

bool IsImageId(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

absl::string_view StorageDriverName(StorageDriver driver) {
  return driver == StorageDriver::kOverlay ? "overlay" : "vfs";
}

absl::StatusOr<std::optional<StorageDriver>> ParseStorageDriverSpec(
    absl::string_view spec) {
  if (spec.empty() || spec == kAutoStorageDriver) return std::nullopt;
  for (StorageDriver driver : {StorageDriver::kVfs, StorageDriver::kOverlay}) {
    if (spec == StorageDriverName(driver)) return driver;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--storage_driver=", spec,
      ": expected auto (overlay where the build's user namespace can mount "
      "it, vfs otherwise), overlay or vfs"));
}

Buildah::Buildah(std::string binary, Containment containment,
                 const std::string& temp_root)
    : binary_(std::move(binary)),
      containment_(std::move(containment)),
      work_dir_(temp_root + "/ns"),
      root_(work_dir_ + "/storage/root"),
      runroot_(work_dir_ + "/storage/run"),
      tmpdir_(work_dir_ + "/tmp"),
      home_(work_dir_ + "/home"),
      runtime_dir_(work_dir_ + "/run") {}

absl::Status Buildah::Prepare() {
  // The invoker may enter the work directory to read the archive buildah
  // writes there.
  const std::string storage = work_dir_ + "/storage";
  const std::string store_runroot = ForStorage(root_).runroot_;
  const std::vector<std::pair<std::string, mode_t>> dirs = {
      {work_dir_, 0711},
      {tmpdir_, 0700},
      {home_, 0700},
      {runtime_dir_, 0700},
      {storage, 0700},
      {runroot_, 0700},
      {runroot_ + "/overlay", 0700},
      {store_runroot, 0700},
      {store_runroot + "/overlay", 0700}};
  std::vector<std::string> paths;
  for (const auto& [dir, mode] : dirs) {
    if (mkdir(dir.c_str(), mode) != 0 || chmod(dir.c_str(), mode) != 0) {
      return ErrnoToStatus(dir, "cannot create", errno);
    }
    paths.push_back(dir);
  }
  for (const std::string& runroot : {runroot_, store_runroot}) {
    const std::string cache = absl::StrCat(runroot, "/", kOverlayDiffCache);
    IG_RETURN_IF_ERROR(WriteFileAtomically(
        cache, "layers are computed by comparing trees, as with vfs"));
    paths.push_back(cache);
  }
  return containment_.GiveToBuild(paths);
}

absl::StatusOr<Buildah::DriverProbe> Buildah::ProbeDriver(
    absl::string_view spec) const {
  DriverProbe probe;
  IG_ASSIGN_OR_RETURN(probe.forced, ParseStorageDriverSpec(spec));
  if (probe.forced == StorageDriver::kVfs) return probe;
  // containers/storage mounts a test overlay when it starts (in this
  // namespace, as the build will), and reports how it computes layers.
  Buildah overlay = *this;
  overlay.root_ = work_dir_ + "/storage/overlay-probe";
  overlay.driver_ = StorageDriver::kOverlay;
  overlay.storage_options_.clear();
  overlay.image_store_.clear();
  IG_ASSIGN_OR_RETURN(
      probe.overlay_info,
      overlay.Run({"info", "--format",
                   "{{index .store.GraphStatus \"Native Overlay Diff\"}}"}));
  return probe;
}

absl::Status Buildah::ChooseDriver(absl::StatusOr<DriverProbe> probe) {
  IG_RETURN_IF_ERROR(probe.status());
  const std::optional<StorageDriver> forced = probe->forced;
  if (forced == StorageDriver::kVfs) {
    driver_ = StorageDriver::kVfs;
    driver_choice_ = "vfs (as --storage_driver says)";
    return absl::OkStatus();
  }
  const SubprocessResult& info = *probe->overlay_info;
  std::string why;
  const std::string native(absl::StripAsciiWhitespace(info.stdout_text));
  if (info.exit_code != 0) {
    why = absl::StrCat(
        "buildah cannot use it in the build's user namespace: ",
        absl::StripTrailingAsciiWhitespace(LastLines(info.stderr_text, 3)));
  } else if (native != "false") {
    why = absl::StrCat(
        "buildah would archive layers from overlay's upper directory (Native "
        "Overlay Diff: ",
        native,
        "), which gives other image IDs than vfs; this buildah does not take "
        "the setting imagebuild writes into its run directory");
  }
  if (why.empty()) {
    driver_ = StorageDriver::kOverlay;
    driver_choice_ = forced.has_value()
                         ? "overlay (as --storage_driver says)"
                         : "overlay (the build's namespace mounts it)";
  } else if (forced == StorageDriver::kOverlay) {
    return absl::FailedPreconditionError(
        absl::StrCat("--storage_driver=overlay: ", why,
                     "; use --//rules:storage_driver=auto (or vfs)"));
  } else {
    driver_ = StorageDriver::kVfs;
    driver_choice_ =
        absl::StrCat("vfs (overlay does not work here: ", why, ")");
  }
  return absl::OkStatus();
}

absl::StatusOr<SubprocessResult> Buildah::Run(
    const std::vector<std::string>& args, SubprocessOptions options) const {
  std::vector<std::string> command = {binary_,
                                      "--root",
                                      root_,
                                      "--runroot",
                                      runroot_,
                                      "--storage-driver",
                                      std::string(StorageDriverName(driver_))};
  command.insert(command.end(), storage_options_.begin(),
                 storage_options_.end());
  command.insert(command.end(), args.begin(), args.end());
  return RunContained(std::move(command), std::move(options));
}

absl::Status Buildah::CopyToOciLayout(const std::string& skopeo,
                                      const std::string& image,
                                      const std::string& layout,
                                      const std::string& tag) const {
  // The storage as containers-storage references name it:
  // [DRIVER@ROOT+RUNROOT:OPTION,...].
  std::vector<std::string> options;
  for (size_t i = 1; i < storage_options_.size(); i += 2) {
    options.push_back(storage_options_[i]);
  }
  const std::string source =
      absl::StrCat("containers-storage:[", StorageDriverName(driver_), "@",
                   root_, "+", runroot_, options.empty() ? "" : ":",
                   absl::StrJoin(options, ","), "]", image);
  // --insecure-policy: the copy goes from the build's own storage to a
  // directory, so no signature policy applies; the user's policy file
  // (which may reject unsigned images from registries) is not consulted.
  // v2s2 keeps the Docker manifest and so the configuration buildah wrote
  // (an OCI one would drop HEALTHCHECK, SHELL and ONBUILD).
  IG_ASSIGN_OR_RETURN(
      SubprocessResult result,
      RunContained({skopeo, "--insecure-policy", "copy", "--quiet", "--format",
                    "v2s2", "--dest-oci-accept-uncompressed-layers", source,
                    absl::StrCat("oci:", layout, ":", tag)},
                   {}));
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("skopeo copy of ", image, " into ", layout,
                     " failed (exit ", result.exit_code, "):\n",
                     LastLines(result.stderr_text + result.stdout_text,
                               kFailureOutputLines)));
  }
  return absl::OkStatus();
}

absl::StatusOr<SubprocessResult> Buildah::RunContained(
    std::vector<std::string> command, SubprocessOptions options) const {
  std::vector<std::string> argv = containment_.WrapperArgv();
  if (!image_store_.empty()) {
    // The image store is read-only to the build (buildah and skopeo), in
    // the command's own mount namespace: containers/storage writes nothing
    // there but the mount points of layers it compares trees against, and
    // these it must not remove (a directory removed in one namespace
    // detaches what other builds have mounted on it, in theirs, which would
    // empty the parent tree they compare against). LayerStore creates them.
    argv.insert(argv.end(), {"sh", "-c",
                             "mount --bind -- \"$1\" \"$1\" && "
                             "mount -o remount,bind,ro -- \"$1\" && shift && "
                             "exec \"$@\"",
                             "sh", image_store_});
  }
  argv.insert(argv.end(), command.begin(), command.end());
  // buildah stages layers and archives in TMPDIR, and keeps state under HOME
  // and XDG_RUNTIME_DIR: all of it goes into the directory that is removed
  // afterwards, never into the user's home.
  options.extra_env.insert(
      options.extra_env.end(),
      {"TMPDIR=" + tmpdir_, "HOME=" + home_, "XDG_RUNTIME_DIR=" + runtime_dir_,
       "XDG_CONFIG_HOME=" + home_ + "/.config",
       "XDG_DATA_HOME=" + home_ + "/.local/share"});
  const char* path = std::getenv("PATH");
  if (path == nullptr || path[0] == '\0') {
    options.extra_env.push_back(absl::StrCat("PATH=", kDefaultPath));
  }
  // Nothing else of this process's environment reaches buildah (and so its
  // /proc/PID/environ): not a credential, not a container setting that
  // would make it set up a rootless namespace of its own again. Proxies
  // stay, for RUN steps that fetch (buildah passes them on).
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view name(*entry);
    name = name.substr(0, name.find('='));
    if (std::find(std::begin(kKeptEnvironment), std::end(kKeptEnvironment),
                  name) == std::end(kKeptEnvironment)) {
      options.unset_env.emplace_back(name);
    }
  }
  options.kill_with_parent = true;
  // `unshare --fork` ignores SIGTERM; killing it kills the namespace.
  options.signal_on_interrupt = SIGKILL;
  return RunSubprocess(argv, options);
}

absl::StatusOr<std::string> Buildah::RunForOutput(
    const std::vector<std::string>& args) const {
  IG_ASSIGN_OR_RETURN(SubprocessResult result, Run(args));
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("buildah ", absl::StrJoin(args, " "), " failed (exit ",
                     result.exit_code, "):\n",
                     LastLines(result.stderr_text + result.stdout_text,
                               kFailureOutputLines)));
  }
  return result.stdout_text;
}

absl::StatusOr<std::string> Buildah::PullArchive(
    const std::string& archive) const {
  IG_ASSIGN_OR_RETURN(
      std::string out,
      RunForOutput({"pull", "--quiet", "docker-archive:" + archive}));
  std::string id(absl::StripAsciiWhitespace(out));
  if (id.find('\n') != std::string::npos) id = id.substr(id.rfind('\n') + 1);
  if (!IsImageId(id)) {
    return absl::InternalError(absl::StrCat("buildah pull of ", archive,
                                            " printed no image ID: ", out));
  }
  return id;
}

void Buildah::UseImageStore(const std::string& root) {
  image_store_ = root;
  storage_options_ = {"--storage-opt", absl::StrCat(StorageDriverName(driver_),
                                                    ".imagestore=", root)};
}

Buildah Buildah::ForStorage(const std::string& root) const {
  Buildah other = *this;
  other.root_ = root;
  // A storage's run state (mount counts, locks) belongs to its root; the
  // mounts themselves live and die with each build's mount namespace.
  other.runroot_ = work_dir_ + "/storage/store-run";
  other.storage_options_.clear();
  other.image_store_.clear();
  return other;
}

absl::Status Buildah::Tag(const std::string& image,
                          const std::string& tag) const {
  return RunForOutput({"tag", image, tag}).status();
}

}  // namespace imagegraph
