// Reading a docker-archive (the `docker save` layout), such as a parent's
// NAME.tar.zst or an index entry's, and the pieces of one that imagebuild
// writes (framed_archive.h): manifest.json and the configuration as
// BuildKit leaves it.
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

// ReadDockerArchive, and every layer's content is hashed and must match its
// digest (its diff ID, which its member name and the configuration give):
// the whole image is then what its ID says. Reads the whole archive.
absl::StatusOr<DockerArchiveImage> ReadDockerArchiveVerifyingLayers(
    const std::string& path);

// The manifest.json of an archive holding one image, whose configuration
// is the member `config` and whose layers are the members `layers`, with
// `tags`. Always the same bytes for the same arguments.
std::string DockerArchiveManifestJson(absl::string_view config,
                                      const std::vector<std::string>& tags,
                                      const std::vector<std::string>& layers);

// `manifest_json` (the manifest.json of an archive holding one image) with
// `tag` added before its RepoTags. buildah names an image it loads from a
// docker-archive with each RepoTag in turn, each new name going first, so
// `tag` ends up last, where `buildah tag` after the load would put it: the
// first name (which enters a child's history) stays the archive's last
// RepoTag. An error naming `archive` (where `manifest_json` comes from) when
// it does not describe one image.
absl::StatusOr<std::string> ManifestJsonWithTagLoadedFirst(
    absl::string_view archive, absl::string_view manifest_json,
    absl::string_view tag);

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
