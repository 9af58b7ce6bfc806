// Reading and re-tagging a docker-archive (the `docker save` layout) that
// buildah wrote.
//
// imagebuild commits the built image straight into a docker-archive instead
// of into buildah's storage, which saves re-extracting every new layer into
// that storage and exporting it again. Two things then come from the archive
// itself: what NAME.image.json records (image ID, layer digests and sizes),
// and the tags, since buildah names only one image in an archive it commits
// to while the image carries two (REGISTRY/NAME:VERSION and
// REGISTRY/NAME:<context hash>).
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/imagebuild/image_metadata.h"

namespace imagegraph {

// The one image of a docker-archive.
struct DockerArchiveImage {
  std::string config_digest;  // "sha256:<hex>": the image ID
  int64_t config_size = 0;
  std::vector<LayerInfo> layers;  // uncompressed, base first
  std::vector<std::string> repo_tags;
};

// Reads manifest.json of the archive at `path` (plain or zstd-compressed,
// such as NAME.tar.zst, which is read as a stream) and the sizes of the files
// it names, and checks that the configuration's content matches its digest,
// so `config_digest` is the image ID of what the archive holds. Archives
// holding other than exactly one image, or a member twice, are an error.
absl::StatusOr<DockerArchiveImage> ReadDockerArchive(const std::string& path);

// Replaces the image's tags in the archive at `path` with `tags` (in that
// order), in manifest.json and in the legacy `repositories` file. Both files
// must be the archive's last entries, as buildah writes them; they are
// rewritten in place, so the rest of the archive is not copied.
absl::Status SetDockerArchiveTags(const std::string& path,
                                  const std::vector<std::string>& tags);

// Empties the fields that a Docker-format commit fills with values of the
// builder's container, which differ on every build: `container` (its ID) and
// `Hostname` in `config` and `container_config`. BuildKit leaves them empty
// too. The configuration is rewritten and renamed after its new digest (the
// image ID), with the legacy layer `json` and manifest.json that repeat it.
// Those are the archive's entries after its last layer, as buildah writes
// them; they are rewritten in place.
absl::Status NormalizeDockerArchiveConfig(const std::string& path);

// The manifest.json of an archive holding one image, whose configuration
// is the member `config` and whose layers are the members `layers`, with
// `tags`. Always the same bytes for the same arguments.
std::string DockerArchiveManifestJson(absl::string_view config,
                                      const std::vector<std::string>& tags,
                                      const std::vector<std::string>& layers);

// `json` (an image configuration, or a legacy layer `json`) with the string
// values that a Docker-format commit fills from the builder's container,
// which differ on every build, replaced by "": the top-level "container"
// (its ID) and "Hostname" inside the top-level "config" and
// "container_config". BuildKit leaves them empty too. nullopt when `json` is
// not a JSON object.
std::optional<std::string> ClearBuilderFields(absl::string_view json);

// The digest of the image's OCI manifest with uncompressed layers and no
// annotations, built from what the archive holds: the same image gives the
// same digest wherever it is built and whatever local names it had.
std::string OciManifestDigest(const DockerArchiveImage& image);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_H_
