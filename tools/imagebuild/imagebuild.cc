#include "tools/imagebuild/imagebuild.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/common/subprocess.h"
#include "tools/ctxhash/manifest.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/imagebuild/build_directory.h"
#include "tools/imagebuild/build_output.h"
#include "tools/imagebuild/buildah.h"
#include "tools/imagebuild/containment.h"
#include "tools/imagebuild/docker_archive.h"
#include "tools/imagebuild/framed_archive.h"
#include "tools/imagebuild/layer_store.h"
#include "tools/imagebuild/oci_layout.h"
#include "tools/tree/reference_map.h"
#include "tools/tree/resolver.h"
#include "tools/tree/taskgraph_syntax.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kLocalRepository = "localhost/imagegraph";

// Puts a plain copy of a (zstd or plain) tarball at `scratch_path`, in the
// build directory, where buildah's unprivileged IDs can read it (Bazel's
// output tree may be under a home directory only its owner may enter).
absl::StatusOr<std::string> PlainArchive(const std::string& tarball,
                                         const std::string& scratch_path) {
  IG_ASSIGN_OR_RETURN(bool compressed, IsZstdFile(tarball));
  if (compressed) {
    IG_RETURN_IF_ERROR(DecompressFileZstd(tarball, scratch_path).status());
  } else {
    IG_ASSIGN_OR_RETURN(SubprocessResult copy,
                        RunSubprocess({"cp", "--", tarball, scratch_path}));
    if (copy.exit_code != 0) {
      return absl::InternalError(absl::StrCat("cannot copy ", tarball, ": ",
                                              LastLines(copy.stderr_text, 3)));
    }
  }
  if (chmod(scratch_path.c_str(), 0644) != 0) {
    return ErrnoToStatus(scratch_path, "cannot chmod", errno);
  }
  return scratch_path;
}

absl::StatusOr<std::string> ReadContextHash(const std::string& path) {
  IG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string hash(absl::StripAsciiWhitespace(text));
  if (!IsSha256Hex(hash)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": expected a context hash (64 lowercase hex digits), found \"",
        hash.substr(0, 80), "\""));
  }
  return hash;
}

absl::Status CheckInputFile(const std::string& path, absl::string_view flag) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": no such file (given by --", flag, ")"));
  }
  return absl::OkStatus();
}

// The layer store the request names, opened; none for "off". The default
// store, when the build's namespace cannot reach it (a home directory only
// its owner may enter), is a warning and the build goes without it; a store
// named explicitly must work.
absl::StatusOr<std::optional<LayerStore>> OpenLayerStore(
    const BuildRequest& request, StorageDriver driver,
    const Containment& containment, BuildDirectory& build_directory) {
  IG_ASSIGN_OR_RETURN(std::optional<std::string> directory,
                      ResolveLayerStoreSpec(request.layer_store));
  if (!directory.has_value() || request.parents.empty()) return std::nullopt;
  auto store =
      OpenLayerStoreForBuild(*directory, driver, containment, build_directory);
  if (store.ok()) return *std::move(store);
  if (request.layer_store == kDefaultLayerStore &&
      absl::IsFailedPrecondition(store.status())) {
    Progress(request.name, absl::StrCat("warning: building without the layer "
                                        "store: ",
                                        store.status().message()));
    return std::nullopt;
  }
  return absl::Status(store.status().code(),
                      absl::StrCat("--layer_store=", request.layer_store, ": ",
                                   store.status().message()));
}

class ImageBuilder {
 public:
  ImageBuilder(const BuildRequest& request, BuildDirectory& build_directory,
               std::string buildah_binary, std::string skopeo_binary,
               const Containment& containment)
      : request_(request),
        build_directory_(build_directory),
        temp_root_(build_directory.path()),
        buildah_(std::move(buildah_binary), containment, temp_root_),
        skopeo_(std::move(skopeo_binary)),
        layout_(temp_root_ + "/export"),
        image_id_file_(buildah_.work_dir() + "/image.id") {}

  absl::StatusOr<ImageMetadata> Run();

 private:
  absl::Status ExtractContext();
  absl::Status LoadDockerfile();
  // Learns each parent's image ID (ParentImageId), which does not depend on
  // the storage driver.
  absl::Status IdentifyParents();
  // Loads the parents into the private storage (from the layer store when
  // there is one) and tags them.
  absl::Status LoadParents();
  // The image ID of `parent`, from its metadata when that describes its
  // framed tarball (whose frames the export then copies), else from its
  // archive, which `archive` gives.
  absl::StatusOr<std::string> ParentImageId(
      const ParentImage& parent,
      const std::function<absl::StatusOr<std::string>()>& archive);
  // Makes sure that the layer frames of `parent`'s framed tarball, which the
  // export copies without reading, hold the layers of image `id`.
  // `loaded_whole`: the tarball was decompressed and loaded, which checked
  // every layer against its diff ID.
  absl::Status CheckParentFrames(const ParentImage& parent,
                                 const std::string& id,
                                 const FramedArchiveInfo& framed,
                                 bool loaded_whole);
  absl::Status LoadBases();
  absl::StatusOr<std::string> RewrittenDockerfile();
  absl::Status BuildWithBuildah(const std::string& dockerfile_path);
  absl::StatusOr<ImageMetadata> Export();

  const BuildRequest& request_;
  BuildDirectory& build_directory_;
  std::string temp_root_;
  Buildah buildah_;
  std::string skopeo_;
  // The OCI layout the image is exported into, without its parents' layers.
  std::string layout_;
  // Where buildah writes the built image's ID, and the ID.
  std::string image_id_file_;
  std::string built_id_;
  // The parents' layers whose archive members are frames of their tarballs,
  // by digest.
  absl::flat_hash_map<std::string, ArchiveLayer> parent_frames_;
  // The parents with framed tarballs, by name.
  absl::flat_hash_map<std::string, FramedArchiveInfo> framed_parents_;
  std::string context_dir_;
  std::string dockerfile_label_;
  std::string context_hash_;
  std::vector<std::string> tags_;
  // The Dockerfile of the context with # %ARG applied, and the one buildah
  // builds (references rewritten, run-task lines inserted) with the source
  // line of each of its lines.
  Dockerfile dockerfile_;
  Dockerfile built_dockerfile_;
  std::vector<int> built_source_lines_;
  std::vector<ImageReference> refs_;
  absl::flat_hash_map<std::string, std::string> parent_tags_;
  absl::flat_hash_map<std::string, std::string> base_tags_;
  // A parent as IdentifyParents() left it for LoadParents(): its image ID,
  // and its plain archive, decompressed only when something needs it (an
  // import, a build without a store, a tarball without frames).
  struct IdentifiedParent {
    std::string id;
    std::string scratch;
    bool decompressed = false;
  };
  std::vector<IdentifiedParent> identified_;  // as request_.parents
  absl::StatusOr<std::string> PlainParentArchive(const ParentImage& parent,
                                                 IdentifiedParent& state);
  // The layer store (if any) and the parents held in it.
  std::optional<LayerStore> store_;
  std::vector<StoreLease> leases_;
};

absl::Status ImageBuilder::ExtractContext() {
  context_dir_ = temp_root_ + "/context";
  if (mkdir(context_dir_.c_str(), 0755) != 0) {
    return ErrnoToStatus(context_dir_, "cannot create", errno);
  }
  IG_ASSIGN_OR_RETURN(SubprocessResult tar,
                      RunSubprocess({"tar", "--extract", "--no-same-owner",
                                     "--file=" + request_.context_tar,
                                     "--directory=" + context_dir_}));
  if (tar.exit_code != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        request_.context_tar,
        ": cannot extract the context: ", LastLines(tar.stderr_text, 5)));
  }
  if (request_.extra_files.empty()) return absl::OkStatus();
  if (request_.context_manifest.empty()) {
    return absl::InvalidArgumentError(
        "--extra_file needs --context_manifest: extra files are checked "
        "against the manifest they were hashed into");
  }
  IG_ASSIGN_OR_RETURN(const std::string text,
                      ReadFileToString(request_.context_manifest));
  IG_ASSIGN_OR_RETURN(const ContextManifest manifest,
                      ParseContextManifest(text, request_.context_manifest));
  return PlaceExtraFiles(request_.extra_files, manifest,
                         request_.context_manifest, context_dir_);
}

absl::Status ImageBuilder::LoadDockerfile() {
  dockerfile_label_ = absl::StrCat(request_.name, "/", request_.dockerfile);
  const std::string path = absl::StrCat(context_dir_, "/", request_.dockerfile);
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(
        request_.context_tar, ": the context has no ", request_.dockerfile,
        " (--dockerfile names a path inside the context)"));
  }
  absl::flat_hash_map<std::string, std::string> build_args(
      request_.build_args.begin(), request_.build_args.end());
  // As the generator and the context hash read it: taskgraph's # %ARG
  // applied.
  IG_ASSIGN_OR_RETURN(
      const std::string substituted,
      SubstitutePercentArgs(
          dockerfile_label_, *text, build_args,
          !request_.declared_parent.empty(), [](absl::string_view name) {
            return absl::StrCat("give it as --build_arg=", name, "=VALUE");
          }));
  IG_ASSIGN_OR_RETURN(dockerfile_,
                      ParseDockerfile(dockerfile_label_, substituted));
  IG_ASSIGN_OR_RETURN(refs_, ResolveWithReferenceMap(dockerfile_, build_args,
                                                     request_.references,
                                                     request_.declared_parent));

  // The parents given must be exactly the ones the references name, and
  // every pinned base needs its archive.
  absl::flat_hash_set<std::string> given;
  for (const ParentImage& parent : request_.parents) given.insert(parent.name);
  const std::vector<std::string> needed =
      InTreeParents(refs_, request_.declared_parent);
  for (const std::string& name : needed) {
    if (!given.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_label_, ": the image's references name the in-tree image ",
          name, ", but no --parent archive of it was given"));
    }
  }
  for (const ParentImage& parent : request_.parents) {
    if (std::find(needed.begin(), needed.end(), parent.name) == needed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--parent=", parent.name, "=", parent.tarball, ": ",
          dockerfile_label_,
          " never names this image (neither its references nor its declared "
          "parent do)"));
    }
  }
  for (const ImageReference& ref : refs_) {
    if (ref.kind != ImageReference::Kind::kPinned) continue;
    const std::string digest = PinnedDigest(ref.pinned);
    bool given_base = std::any_of(
        request_.bases.begin(), request_.bases.end(),
        [&](const ExternalBase& base) { return base.digest == digest; });
    if (!given_base) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_label_, ":", ref.line, ": ", ref.Describe(),
          " is an external base but no archive of it was given: add its "
          "docker-archive target to the `bases` attribute of the ",
          request_.name, " target, keyed to \"", ref.pinned, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ImageBuilder::ParentImageId(
    const ParentImage& parent,
    const std::function<absl::StatusOr<std::string>()>& archive) {
  IG_RETURN_IF_ERROR(CheckInputFile(parent.metadata, "parent_metadata"));
  // The metadata is tied to the tarball by its sha256, and the
  // configuration's frame is checked against the image ID: nothing else of
  // the tarball is decompressed.
  auto known = ReadFramedArchiveMetadata(parent.tarball, parent.metadata);
  if (known.ok()) {
    for (const LayerInfo& layer : known->metadata.layers) {
      parent_frames_.try_emplace(
          layer.digest,
          ArchiveLayer{layer.digest, layer.size, parent.tarball, layer.frame});
    }
    const std::string id = known->metadata.image_id.substr(7);
    framed_parents_.emplace(parent.name, *std::move(known));
    return id;
  }
  if (!absl::IsFailedPrecondition(known.status())) {
    return absl::Status(
        known.status().code(),
        absl::StrCat("parent ", parent.name, ": ", known.status().message()));
  }
  // A tarball written otherwise (an older index entry): its archive says.
  IG_ASSIGN_OR_RETURN(std::string plain, archive());
  auto image = ReadDockerArchive(plain);
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parent ", parent.name, ": ", parent.tarball,
        " is not a loadable docker-archive: ", image.status().message()));
  }
  // ReadDockerArchive checked the configuration against its digest.
  return image->config_digest.substr(7);
}

absl::Status ImageBuilder::CheckParentFrames(const ParentImage& parent,
                                             const std::string& id,
                                             const FramedArchiveInfo& framed,
                                             bool loaded_whole) {
  const std::string& tarball_sha256 = framed.metadata.tarball_sha256;
  if (!loaded_whole) {
    // Recorded: nothing to read or write (the common warm build).
    if (store_->TarballVerified(id, tarball_sha256)) return absl::OkStatus();
    // The store checked the image's layers when it imported them, from
    // another tarball; this one's frames are read once, and remembered.
    Progress(request_.name,
             absl::StrCat("parent ", parent.name,
                          ": checking the layers of its tarball (new to the "
                          "layer store)"));
    auto image = ReadDockerArchiveVerifyingLayers(parent.tarball);
    if (!image.ok()) {
      return absl::Status(
          image.status().code(),
          absl::StrCat("parent ", parent.name, ": ", image.status().message()));
    }
    if (image->config_digest != absl::StrCat("sha256:", id)) {
      return absl::DataLossError(absl::StrCat(
          "parent ", parent.name, ": ", parent.tarball, " holds image ",
          image->config_digest, " but its metadata ", parent.metadata,
          " names sha256:", id, "; build the parent again"));
    }
  }
  return store_->RecordVerifiedTarball(id, tarball_sha256);
}

absl::StatusOr<std::string> ImageBuilder::PlainParentArchive(
    const ParentImage& parent, IdentifiedParent& state) {
  if (!state.decompressed) {
    Progress(request_.name, absl::StrCat("decompressing parent ", parent.name));
    IG_RETURN_IF_ERROR(PlainArchive(parent.tarball, state.scratch).status());
    state.decompressed = true;
  }
  return state.scratch;
}

absl::Status ImageBuilder::IdentifyParents() {
  for (const ParentImage& parent : request_.parents) {
    Progress(request_.name, absl::StrCat("loading parent ", parent.name));
    IG_RETURN_IF_ERROR(CheckInputFile(parent.tarball, "parent"));
    IdentifiedParent& state = identified_.emplace_back();
    state.scratch = absl::StrCat(temp_root_, "/parent-", parent.name, ".tar");
    IG_ASSIGN_OR_RETURN(state.id, ParentImageId(parent, [&]() {
                          return PlainParentArchive(parent, state);
                        }));
  }
  return absl::OkStatus();
}

absl::Status ImageBuilder::LoadParents() {
  if (store_.has_value()) {
    Progress(request_.name,
             absl::StrCat("layer store ", store_->directory(), " (",
                          StorageDriverName(store_->driver()), " driver)"));
  }
  for (size_t i = 0; i < request_.parents.size(); ++i) {
    const ParentImage& parent = request_.parents[i];
    IdentifiedParent& state = identified_[i];
    const std::string& id = state.id;
    const std::string& scratch = state.scratch;
    auto archive = [&]() { return PlainParentArchive(parent, state); };
    // Named by content, so the rewritten Dockerfile is the same everywhere.
    const std::string tag =
        absl::StrCat(kLocalRepository, "/", parent.name, ":", id);
    bool tagged_by_pull = false;
    std::string load = scratch;
    if (store_.has_value()) {
      IG_ASSIGN_OR_RETURN(
          StoreLease lease,
          store_->Hold(buildah_.ForStorage(store_->StorageRoot()), id, archive,
                       [this, &parent](absl::string_view message) {
                         Progress(request_.name,
                                  absl::StrCat("parent ", parent.name, ": ",
                                               message));
                       }));
      leases_.push_back(std::move(lease));
      auto framed = framed_parents_.find(parent.name);
      if (framed != framed_parents_.end()) {
        IG_RETURN_IF_ERROR(
            CheckParentFrames(parent, id, framed->second, state.decompressed));
      }
      // The store has every layer: an archive without them loads the image
      // into the private storage with the archive's names (the first one
      // enters the child's history), as the whole archive would. It names
      // the image with the local tag too, so that no `buildah tag` (another
      // namespace and buildah start) follows; the names come out in the
      // same order as with that tag.
      if (!state.decompressed && framed != framed_parents_.end()) {
        load =
            absl::StrCat(temp_root_, "/parent-", parent.name, ".layerless.tar");
        FramedArchiveInfo layerless = framed->second;
        IG_ASSIGN_OR_RETURN(layerless.manifest_json,
                            ManifestJsonWithTagLoadedFirst(
                                parent.tarball, layerless.manifest_json, tag));
        IG_RETURN_IF_ERROR(WriteLayerlessArchive(load, layerless));
        tagged_by_pull = true;
        if (chmod(load.c_str(), 0644) != 0) {
          return ErrnoToStatus(load, "cannot chmod", errno);
        }
      }
    } else {
      IG_RETURN_IF_ERROR(archive().status());
    }
    auto pulled = buildah_.PullArchive(load);
    if (!pulled.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parent ", parent.name, ": ", parent.tarball,
          " is not a loadable docker-archive: ", pulled.status().message()));
    }
    if (*pulled != id) {
      return absl::DataLossError(absl::StrCat(
          "parent ", parent.name, ": ", parent.tarball, " loaded as image ",
          *pulled, " but its configuration names ", id));
    }
    IG_RETURN_IF_ERROR(RemoveTree(load));
    if (state.decompressed && load != scratch)
      IG_RETURN_IF_ERROR(RemoveTree(scratch));
    if (!tagged_by_pull) IG_RETURN_IF_ERROR(buildah_.Tag(id, tag));
    parent_tags_[parent.name] = tag;
  }
  return absl::OkStatus();
}

absl::Status ImageBuilder::LoadBases() {
  for (const ExternalBase& base : request_.bases) {
    if (base_tags_.contains(base.digest)) continue;
    Progress(request_.name, absl::StrCat("loading base ", base.reference));
    IG_RETURN_IF_ERROR(CheckInputFile(base.tarball, "base"));
    IG_ASSIGN_OR_RETURN(
        std::string archive,
        PlainArchive(base.tarball,
                     absl::StrCat(temp_root_, "/base-",
                                  base.digest.substr(7, 12), ".tar")));
    auto id = buildah_.PullArchive(archive);
    if (!id.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "base ", base.reference, ": ", base.tarball,
          " is not a loadable docker-archive: ", id.status().message()));
    }
    IG_RETURN_IF_ERROR(RemoveTree(archive));
    IG_ASSIGN_OR_RETURN(
        std::string manifest_digest,
        buildah_.RunForOutput({"inspect", "--type", "image", "--format",
                               "{{.FromImageDigest}}", *id}));
    manifest_digest = std::string(absl::StripAsciiWhitespace(manifest_digest));
    const std::string image_id = "sha256:" + *id;
    if (base.digest == image_id || base.digest == manifest_digest) {
      Progress(request_.name, absl::StrCat("verified base ", base.reference));
    } else {
      // A docker-archive keeps the image configuration but not the registry
      // manifest, so a manifest digest can only be checked when fetching.
      Progress(request_.name,
               absl::StrCat("note: base ", base.reference, " loaded as image ",
                            image_id,
                            "; a docker-archive does not carry the registry "
                            "manifest, so its digest was checked when it was "
                            "fetched, not here"));
    }
    const std::string tag =
        absl::StrCat(kLocalRepository, "/base:", base.digest.substr(7));
    IG_RETURN_IF_ERROR(buildah_.Tag(*id, tag));
    base_tags_[base.digest] = tag;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ImageBuilder::RewrittenDockerfile() {
  IG_ASSIGN_OR_RETURN(
      std::string rewritten,
      RewriteReferences(dockerfile_, refs_, parent_tags_, base_tags_));
  // taskgraph's # %include-run-task copies its files (in the context at
  // run-task/) into the image; messages keep naming the source lines.
  WithRunTask built = InsertRunTaskLines(rewritten);
  IG_ASSIGN_OR_RETURN(built_dockerfile_,
                      ParseDockerfile(dockerfile_label_, built.text));
  built_source_lines_ = std::move(built.source_lines);
  // Outside the context, so that `COPY .` copies the Dockerfile as written.
  const std::string path = temp_root_ + "/Dockerfile.local";
  IG_RETURN_IF_ERROR(WriteFileAtomically(path, built.text));
  return path;
}

absl::Status ImageBuilder::BuildWithBuildah(
    const std::string& dockerfile_path) {
  std::vector<std::string> args = {
      "build",
      "--isolation",
      "chroot",
      // Docker format: the OCI one drops HEALTHCHECK, SHELL and ONBUILD.
      // The random container ID and hostname it records are emptied by
      // Export() so that the image ID stays reproducible.
      "--format",
      "docker",
      "--timestamp",
      "0",
      "--identity-label=false",
      "--pull=never",
      "--layers=false",
      // chroot isolation is a chroot(2), which a step holding
      // CAP_SYS_CHROOT could climb out of (into the build's namespace, as
      // unprivileged IDs, but still): RUN steps do not get it.
      "--cap-drop=SYS_CHROOT",
      "--file",
      dockerfile_path,
  };
  for (const auto& [key, value] : request_.build_args) {
    args.push_back("--build-arg");
    args.push_back(absl::StrCat(key, "=", value));
  }
  // Into the private storage: committing there reuses the parents' layers
  // as they are (a docker-archive destination would export every layer
  // again), and Export() copies out only the new ones.
  args.push_back("--tag");
  args.push_back(tags_[0]);
  // The export names the image by ID: a tag without a registry host is
  // read as another name by skopeo (docker.io/...) than by buildah
  // (localhost/...).
  args.push_back("--iidfile");
  args.push_back(image_id_file_);
  args.push_back(context_dir_);

  BuildOutputTracker tracker(request_.name);
  SubprocessOptions options;
  options.merge_stderr_into_stdout = true;
  options.on_stdout_line = [&tracker](absl::string_view line) {
    tracker.OnLine(line);
  };
  IG_ASSIGN_OR_RETURN(SubprocessResult result, buildah_.Run(args, options));
  if (result.exit_code == 0) {
    IG_ASSIGN_OR_RETURN(std::string id, ReadFileToString(image_id_file_));
    id = std::string(
        absl::StripPrefix(absl::StripAsciiWhitespace(id), "sha256:"));
    if (!IsSha256Hex(id)) {
      return absl::InternalError(absl::StrCat(
          "buildah build wrote no image ID into ", image_id_file_, ": ", id));
    }
    built_id_ = std::move(id);
    return absl::OkStatus();
  }

  return BuildFailure(tracker, built_dockerfile_, dockerfile_label_,
                      result.exit_code, result.stdout_text,
                      &built_source_lines_);
}

absl::StatusOr<ImageMetadata> ImageBuilder::Export() {
  // The parents' layers are already frames of their tarballs: placeholders
  // keep skopeo from writing them out again.
  std::vector<std::string> present;
  for (const auto& [digest, layer] : parent_frames_) present.push_back(digest);
  std::sort(present.begin(), present.end());
  Progress(request_.name,
           absl::StrCat("exporting the new layers (", present.size(),
                        " of the parents' are not read)"));
  IG_RETURN_IF_ERROR(SeedOciLayout(layout_, present));
  IG_RETURN_IF_ERROR(buildah_.containment().GiveTreeToBuild(layout_));
  IG_RETURN_IF_ERROR(
      buildah_.CopyToOciLayout(skopeo_, "@" + built_id_, layout_, "image"));
  IG_ASSIGN_OR_RETURN(OciLayoutImage exported, ReadOciLayoutImage(layout_));

  // The configuration as BuildKit would leave it: the builder container's
  // ID and host name emptied, so that the image ID is reproducible.
  std::optional<std::string> config = ClearBuilderFields(exported.config);
  if (!config.has_value()) {
    return absl::DataLossError(absl::StrCat(
        layout_, ": the image configuration is not a JSON object"));
  }
  std::vector<ArchiveLayer> layers;
  for (const std::string& digest : exported.layers) {
    auto known = parent_frames_.find(digest);
    if (known != parent_frames_.end()) {
      layers.push_back(known->second);
      continue;
    }
    ArchiveLayer layer;
    layer.digest = digest;
    layer.blob = OciLayoutBlobPath(layout_, digest);
    struct stat st;
    if (stat(layer.blob.c_str(), &st) != 0) {
      return ErrnoToStatus(layer.blob, "skopeo did not write the layer", errno);
    }
    layer.size = st.st_size;
    layers.push_back(std::move(layer));
  }
  Progress(request_.name,
           absl::StrCat("compressing ", exported.layers.size() - present.size(),
                        " new layers (zstd level ", request_.zstd.level, ", ",
                        ResolveZstdThreads(request_.zstd.threads),
                        " threads); the parents' ", present.size(),
                        " are copied as they are"));
  IG_ASSIGN_OR_RETURN(FramedArchive archive,
                      WriteFramedArchive(request_.output, layers, *config,
                                         tags_, request_.zstd));
  ImageMetadata metadata;
  metadata.name = request_.name;
  metadata.image_id = absl::StrCat("sha256:", Sha256Hex(*config));
  DockerArchiveImage image;
  image.config_digest = metadata.image_id;
  image.config_size = static_cast<int64_t>(config->size());
  image.layers = archive.layers;
  metadata.manifest_digest = OciManifestDigest(image);
  metadata.layers = archive.layers;
  for (const LayerInfo& layer : metadata.layers) metadata.size += layer.size;
  metadata.context_hash = context_hash_;
  metadata.tags = tags_;
  metadata.tarball_size = archive.size;
  metadata.tarball_sha256 = archive.sha256;
  metadata.config_frame = archive.config_frame;
  absl::Status written =
      WriteFileAtomically(request_.metadata, ImageMetadataToJson(metadata));
  if (!written.ok()) {
    unlink(request_.output.c_str());
    return written;
  }
  return metadata;
}

absl::StatusOr<ImageMetadata> ImageBuilder::Run() {
  IG_ASSIGN_OR_RETURN(context_hash_,
                      ReadContextHash(request_.context_hash_file));
  tags_ = ImageTags(request_.registry, request_.name, request_.version,
                    context_hash_);
  IG_RETURN_IF_ERROR(CheckInputFile(request_.context_tar, "context_tar"));
  IG_RETURN_IF_ERROR(buildah_.Prepare());
  // The storage driver's probe (a buildah start) runs on a thread of its own
  // while the context is extracted and the parents are identified, which
  // do not depend on the driver: simpler than keeping its answer between
  // builds, which would have to be keyed by everything it depends on (the
  // kernel, buildah, the user, the build directory's file system) and
  // probed again whenever it turned out wrong. Returning early waits for it
  // (the future's destructor), before the build directory is removed.
  std::future<absl::StatusOr<Buildah::DriverProbe>> driver_probe = std::async(
      std::launch::async,
      [this] { return buildah_.ProbeDriver(request_.storage_driver); });
  Progress(request_.name, absl::StrCat("extracting context (hash ",
                                       context_hash_.substr(0, 12), ")"));
  IG_RETURN_IF_ERROR(ExtractContext());
  IG_RETURN_IF_ERROR(buildah_.containment().GiveTreeToBuild(context_dir_));
  IG_RETURN_IF_ERROR(LoadDockerfile());
  IG_RETURN_IF_ERROR(IdentifyParents());
  IG_RETURN_IF_ERROR(buildah_.ChooseDriver(driver_probe.get()));
  Progress(request_.name,
           absl::StrCat("storage driver ", buildah_.driver_choice()));
  IG_ASSIGN_OR_RETURN(store_,
                      OpenLayerStore(request_, buildah_.driver(),
                                     buildah_.containment(), build_directory_));
  if (store_.has_value()) buildah_.UseImageStore(store_->StorageRoot());
  IG_RETURN_IF_ERROR(LoadParents());
  IG_RETURN_IF_ERROR(LoadBases());
  IG_ASSIGN_OR_RETURN(std::string dockerfile_path, RewrittenDockerfile());
  IG_RETURN_IF_ERROR(BuildWithBuildah(dockerfile_path));
  return Export();
}

}  // namespace

std::vector<std::string> ImageTags(absl::string_view registry,
                                   absl::string_view name,
                                   absl::string_view version,
                                   absl::string_view context_hash) {
  std::string repository = registry.empty() ? absl::StrCat("localhost/", name)
                                            : absl::StrCat(registry, "/", name);
  return {absl::StrCat(repository, ":", version.empty() ? "latest" : version),
          absl::StrCat(repository, ":", context_hash)};
}

absl::StatusOr<ImageMetadata> BuildImage(const BuildRequest& given) {
  BuildRequest request = given;
  if (!request.registry_file.empty()) {
    IG_ASSIGN_OR_RETURN(request.registry, ReadOneLineFile(request.registry_file,
                                                          kRegistryFileHolds));
  }
  if (!request.version_file.empty()) {
    IG_ASSIGN_OR_RETURN(request.version, ReadOneLineFile(request.version_file,
                                                         kVersionFileHolds));
  }
  if (request.name.empty())
    return absl::InvalidArgumentError("--name is required");
  if (request.output.empty() || request.metadata.empty()) {
    return absl::InvalidArgumentError("--output and --metadata are required");
  }
  IG_ASSIGN_OR_RETURN(std::optional<std::string> index_spec,
                      ResolveIndexSpec(request.index));
  const ProgressFn progress = [&request](absl::string_view message) {
    Progress(request.name, message);
  };
  if (index_spec.has_value()) {
    IG_ASSIGN_OR_RETURN(std::string context_hash,
                        ReadContextHash(request.context_hash_file));
    std::optional<ImageMetadata> reused = ReuseFromIndex(
        *index_spec, request.index.level, request.name, context_hash,
        ImageTags(request.registry, request.name, request.version,
                  context_hash),
        request.output, request.metadata, progress);
    if (reused.has_value()) return *std::move(reused);
  }
  auto buildah = FindExecutable(request.buildah);
  if (!buildah.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "buildah is not installed (", buildah.status().message(),
        "): install it with `apt-get install buildah`, or run ./bazelw, "
        "which installs everything the build needs"));
  }
  // skopeo copies the new layers out of the build's storage.
  auto skopeo = FindExecutable("skopeo");
  if (!skopeo.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "skopeo is not installed (", skopeo.status().message(),
        "): install it with `apt-get install skopeo`, or run ./bazelw, "
        "which installs everything the build needs"));
  }
  auto containment = PrepareContainment();
  if (!containment.ok()) {
    return absl::Status(containment.status().code(),
                        absl::StrCat("cannot build ", request.name, ": ",
                                     containment.status().message()));
  }
  RemoveAbandonedBuildDirectories(TempDirectoryRoot(), *containment, progress);
  auto start = std::chrono::steady_clock::now();
  IG_ASSIGN_OR_RETURN(BuildDirectory temp,
                      BuildDirectory::Create(request.name, *containment));
  ImageBuilder builder(request, temp, *buildah, *skopeo, *containment);
  absl::StatusOr<ImageMetadata> result = builder.Run();
  if (!result.ok()) {
    result = ExplainDiskFull(result.status(), TempDirectoryRoot());
  }
  absl::Status removed = temp.Remove();
  if (!removed.ok()) {
    Progress(request.name, absl::StrCat("warning: could not remove the "
                                        "temporary directory: ",
                                        removed.message()));
  }
  // An interrupt (Bazel cancelled the action, or its parent died) during the
  // last steps: the outputs are abandoned and never indexed.
  if (result.ok() && InterruptSignal() != 0) {
    unlink(request.output.c_str());
    unlink(request.metadata.c_str());
    return absl::CancelledError(absl::StrCat(
        "interrupted by signal ", InterruptSignal(), "; nothing was indexed"));
  }
  if (result.ok()) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    Progress(request.name,
             absl::StrFormat("built %s in %.1fs", result->image_id, seconds));
    if (index_spec.has_value()) {
      InsertIntoIndex(*index_spec, request.index, *result, request.output,
                      request.metadata, request.context_manifest, progress);
    }
  }
  return result;
}

}  // namespace imagegraph
