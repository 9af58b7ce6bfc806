// The OCI registry index backend: namespaces are tags, one repository per
// level.
//
// The index registry://HOST/REPO keeps the namespaces of level N
// (docker.images.v2.level-N.*) as tags of the repository REPO/level-N (the
// index writes no other namespace). Registries grant access per
// repository, so a token service can let a level-1 (try) writer pull level 3
// and push only level 1 (see docs/index.md).
//
// An entry is a small OCI manifest tagged with its namespace: the config blob
// holds the entry (JSON, media type kEntryMediaType), the first layer is the
// artifact tarball (a blob stored once per repository, whatever the number of
// namespaces), the second, when the entry records one, the context manifest
// (kContextManifestMediaType; a layer, so that the registry's garbage
// collection keeps it), and the annotation "org.imagegraph.index.namespace"
// repeats the namespace. A namespace longer than a tag may be is tagged as
// RegistryTagForNamespace (namespaces.h) says.
#ifndef IMAGEGRAPH_TOOLS_INDEX_REGISTRY_BACKEND_H_
#define IMAGEGRAPH_TOOLS_INDEX_REGISTRY_BACKEND_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/index/backend.h"
#include "tools/index/namespaces.h"
#include "tools/index/registry_auth.h"

namespace imagegraph {

inline constexpr absl::string_view kEntryMediaType =
    "application/vnd.imagegraph.index.entry.v1+json";
inline constexpr absl::string_view kArtifactMediaType =
    "application/vnd.imagegraph.image.docker-archive.v1.tar+zstd";
inline constexpr absl::string_view kContextManifestMediaType =
    "application/vnd.imagegraph.context.manifest.v1+text";
inline constexpr absl::string_view kNamespaceAnnotation =
    "org.imagegraph.index.namespace";

class RegistryBackend : public IndexBackend {
 public:
  // `spec` is registry://HOST[:PORT]/REPO (plain HTTP for 127.0.0.1,
  // localhost and [::1], HTTPS otherwise), registry+http://... or
  // registry+https://... Credentials come from the container tools' auth
  // files (see registry_auth.h) and are used when the registry asks.
  static absl::StatusOr<std::unique_ptr<RegistryBackend>> Create(
      absl::string_view spec);

  std::string Describe() const override;
  absl::StatusOr<IndexEntry> Insert(
      const IndexBlobs& blobs, const IndexEntry& entry,
      const std::vector<std::string>& namespaces) override;
  absl::StatusOr<std::optional<IndexEntry>> Find(absl::string_view ns) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;
  absl::Status Fetch(const IndexEntry& entry,
                     const std::string& dest_path) override;
  absl::StatusOr<std::string> FetchContextManifest(
      const IndexEntry& entry) override;

 private:
  RegistryBackend(std::string base_url, std::string host, std::string repo,
                  std::optional<RegistryCredentials> credentials);

  // The repository that holds namespace `ns`: REPO/level-N for a level-N
  // namespace, REPO otherwise.
  std::string RepositoryFor(absl::string_view ns) const;
  // The repository of an entry's artifact, from its location; an entry that
  // points outside this index's repositories is refused (entries may be
  // forged).
  absl::StatusOr<std::string> RepositoryOfLocation(
      const IndexEntry& entry) const;

  // Uploads a blob to `repository` unless it has it already.
  absl::Status EnsureBlob(const std::string& repository,
                          absl::string_view digest, const std::string& body,
                          const std::string& body_file);
  absl::StatusOr<std::string> GetBlob(const std::string& repository,
                                      absl::string_view digest);
  // The manifest tagged `tag`, or nullopt when the tag does not exist.
  absl::StatusOr<std::optional<std::string>> GetManifest(
      const std::string& repository, absl::string_view tag);
  absl::StatusOr<std::vector<std::string>> ListTags(
      const std::string& repository);
  // The namespaces among `repository`'s tags that start with `prefix`.
  absl::StatusOr<std::vector<std::string>> ListRepository(
      const std::string& repository, absl::string_view prefix);
  std::string Url(const std::string& repository, absl::string_view path) const;

  std::string base_url_;  // e.g. http://127.0.0.1:5000
  std::string host_;      // e.g. 127.0.0.1:5000
  std::string repo_;      // e.g. imagegraph/index (levels: .../level-N)
  RegistryAuthenticator auth_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_REGISTRY_BACKEND_H_
