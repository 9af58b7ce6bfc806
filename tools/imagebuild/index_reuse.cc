#include "tools/imagebuild/index_reuse.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "tools/imagebuild/docker_archive.h"
#include "tools/index/index.h"
#include "tools/index/local_backend.h"

namespace imagegraph {
namespace {

absl::StatusOr<std::unique_ptr<Index>> OpenIndex(const std::string& spec,
                                                 int level) {
  return Index::Open(spec, level);
}

// Checks that the metadata stored with an entry describes the fetched
// tarball; a mismatch means the entry must not be trusted.
absl::Status CheckStoredMetadata(const ImageMetadata& stored,
                                 const IndexEntry& entry,
                                 absl::string_view context_hash) {
  if (stored.image_id != entry.image_id()) {
    return absl::DataLossError(
        absl::StrCat("its metadata names image ", stored.image_id,
                     " but the entry says ", entry.image_id()));
  }
  if (absl::StrCat("sha256:", stored.tarball_sha256) != entry.digest()) {
    return absl::DataLossError(absl::StrCat(
        "its metadata names tarball sha256:", stored.tarball_sha256,
        " but the entry says ", entry.digest()));
  }
  if (stored.context_hash != context_hash) {
    return absl::DataLossError(
        absl::StrCat("its metadata names context hash ", stored.context_hash,
                     " but this build's is ", context_hash));
  }
  return absl::OkStatus();
}

bool SameLayers(const std::vector<LayerInfo>& a,
                const std::vector<LayerInfo>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](const LayerInfo& x, const LayerInfo& y) {
                      return x.digest == y.digest && x.size == y.size;
                    });
}

// Checks that the docker-archive at `tarball` holds the image `stored`
// describes: its configuration's digest (the image ID, verified against the
// content), layers and manifest digest.
absl::Status CheckTarballHoldsImage(const std::string& tarball,
                                    const ImageMetadata& stored) {
  absl::StatusOr<DockerArchiveImage> image = ReadDockerArchive(tarball);
  if (!image.ok()) {
    return absl::DataLossError(absl::StrCat(
        "its tarball is not a readable image archive (",
        image.status().message(), ")"));
  }
  if (image->config_digest != stored.image_id) {
    return absl::DataLossError(absl::StrCat(
        "its tarball holds image ", image->config_digest,
        " but the entry and its metadata say ", stored.image_id,
        " (a forged or mixed-up entry)"));
  }
  if (!SameLayers(image->layers, stored.layers) ||
      OciManifestDigest(*image) != stored.manifest_digest) {
    return absl::DataLossError(absl::StrCat(
        "its metadata's layers or manifest digest (", stored.manifest_digest,
        ") do not describe its tarball (", OciManifestDigest(*image), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ResolveIndexSpec(
    const IndexSettings& settings) {
  if (settings.spec.empty() || settings.spec == kNoIndex) return std::nullopt;
  if (settings.level < 1 || settings.level > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--index_level=", settings.level,
        ": the index level must be 1, 2 or 3 (3 is the trusted level)"));
  }
  // "default" stays symbolic on the command line (the same on every
  // machine, so remote caches share the action) and is resolved here.
  if (settings.spec == kDefaultIndex) {
    IG_ASSIGN_OR_RETURN(std::string dir, DefaultLocalIndexDirectory());
    return dir;
  }
  if (absl::StartsWith(settings.spec, "registry")) return settings.spec;
  if (absl::StrContains(settings.spec, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--index=", settings.spec,
        ": unsupported index; use off, default, an absolute directory or "
        "registry://HOST:PORT/REPO"));
  }
  if (settings.spec[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "--index=", settings.spec,
        ": an index directory must be an absolute path (the build runs in "
        "Bazel's execution root, where a relative path means nothing); "
        "write it as /path/to/index"));
  }
  return settings.spec;
}

std::optional<ImageMetadata> ReuseFromIndex(
    const std::string& index_spec, int level, const std::string& name,
    const std::string& context_hash, const std::vector<std::string>& tags,
    const std::string& output, const std::string& metadata_path,
    const ProgressFn& progress) {
  auto index = OpenIndex(index_spec, level);
  if (!index.ok()) {
    progress(absl::StrCat("warning: cannot open the index ", index_spec, ": ",
                          index.status().message(), "; building"));
    return std::nullopt;
  }
  std::vector<std::string> warnings;
  auto hit = (*index)->FetchByHash(name, context_hash, output, &warnings);
  for (const std::string& warning : warnings) {
    progress(absl::StrCat("warning: ", warning));
  }
  if (!hit.ok()) {
    progress(absl::StrCat("warning: cannot read ",
                          (*index)->backend().Describe(), ": ",
                          hit.status().message(), "; building"));
    return std::nullopt;
  }
  if (!hit->has_value()) {
    progress(absl::StrCat("context ", context_hash.substr(0, 12), " is not in ",
                          (*index)->backend().Describe(), " (levels 3..", level,
                          "); building"));
    return std::nullopt;
  }
  const IndexEntry& entry = (*hit)->entry;
  const std::string& ns = (*hit)->ns;
  auto discard = [&](absl::string_view why) {
    unlink(output.c_str());
    progress(absl::StrCat("warning: cannot reuse ", ns, " from ",
                          (*index)->backend().Describe(), ": ", why,
                          "; building"));
    return std::nullopt;
  };
  if (entry.metadata_json().empty()) {
    return discard(
        "the entry carries no image metadata (insert it with "
        "--metadata=NAME.image.json to make it reusable by builds)");
  }
  auto stored = ImageMetadataFromJson(entry.metadata_json(), ns);
  if (!stored.ok()) return discard(stored.status().message());
  absl::Status consistent = CheckStoredMetadata(*stored, entry, context_hash);
  if (!consistent.ok()) return discard(consistent.message());
  // Every field above can be edited to agree (an entry pointing at another
  // image's tarball): what the tarball holds decides.
  absl::Status holds = CheckTarballHoldsImage(output, *stored);
  if (!holds.ok()) return discard(holds.message());

  // The tarball is the indexed one; the name and tags are this build's (the
  // registry is not part of the context hash).
  ImageMetadata metadata = *std::move(stored);
  metadata.name = name;
  metadata.context_hash = context_hash;
  metadata.tags = tags;
  absl::Status written =
      WriteFileAtomically(metadata_path, ImageMetadataToJson(metadata));
  if (!written.ok()) return discard(written.message());
  progress(absl::StrCat("reused ", metadata.image_id,
                        " from the index (context ", context_hash.substr(0, 12),
                        ")"));
  progress(
      absl::StrCat("index entry ", ns, " in ", (*index)->backend().Describe(),
                   ", indexed at ", entry.indexed_at(),
                   entry.revision().empty()
                       ? ""
                       : absl::StrCat(" from revision ", entry.revision())));
  return metadata;
}

void InsertIntoIndex(const std::string& index_spec,
                     const IndexSettings& settings,
                     const ImageMetadata& metadata, const std::string& output,
                     const std::string& metadata_path,
                     const std::string& context_manifest_path,
                     const ProgressFn& progress) {
  auto index = OpenIndex(index_spec, settings.level);
  if (!index.ok()) {
    progress(absl::StrCat("warning: cannot open the index ", index_spec, ": ",
                          index.status().message(), "; not indexed"));
    return;
  }
  auto metadata_json = ReadFileToString(metadata_path);
  if (!metadata_json.ok()) {
    progress(absl::StrCat("warning: not indexed: ",
                          metadata_json.status().message()));
    return;
  }
  InsertImageRequest request;
  request.name = metadata.name;
  request.context_hash = metadata.context_hash;
  request.image_id = metadata.image_id;
  request.revision = settings.revision;
  request.artifact_path = output;
  request.metadata_json = *std::move(metadata_json);
  if (!context_manifest_path.empty()) {
    auto manifest = ReadFileToString(context_manifest_path);
    if (!manifest.ok()) {
      progress(
          absl::StrCat("warning: not indexed: ", manifest.status().message()));
      return;
    }
    request.context_manifest = *std::move(manifest);
  }
  auto entry = (*index)->InsertImage(request);
  if (!entry.ok()) {
    progress(absl::StrCat("warning: could not index the image in ",
                          (*index)->backend().Describe(), ": ",
                          entry.status().message(),
                          " (the build itself succeeded)"));
    return;
  }
  auto namespaces = (*index)->InsertNamespaces(request);
  progress(absl::StrCat("indexed in ", (*index)->backend().Describe(),
                        " at level ", settings.level, " (",
                        namespaces.ok() ? namespaces->front() : entry->digest(),
                        ", latest, pushdate)"));
}

}  // namespace imagegraph
