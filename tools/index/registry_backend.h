// The OCI registry index backend: namespaces are tags of one repository.
//
// An entry is a small OCI manifest tagged with its namespace: the config blob
// holds the entry (JSON, media type kEntryMediaType), the single layer is the
// artifact tarball (a blob stored once, whatever the number of namespaces),
// and the annotation "org.imagegraph.index.namespace" repeats the namespace.
// A namespace longer than a tag may be is tagged as RegistryTagForNamespace
// (namespaces.h) says.
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
      const std::string& artifact_path, const IndexEntry& entry,
      const std::vector<std::string>& namespaces) override;
  absl::StatusOr<std::optional<IndexEntry>> Find(absl::string_view ns) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;
  absl::Status Fetch(const IndexEntry& entry,
                     const std::string& dest_path) override;

 private:
  RegistryBackend(std::string base_url, std::string host, std::string repo,
                  std::optional<RegistryCredentials> credentials);

  // Uploads a blob unless the registry has it already.
  absl::Status EnsureBlob(absl::string_view digest, const std::string& body,
                          const std::string& body_file);
  absl::StatusOr<std::string> GetBlob(absl::string_view digest);
  // The manifest tagged `tag`, or nullopt when the tag does not exist.
  absl::StatusOr<std::optional<std::string>> GetManifest(absl::string_view tag);
  absl::StatusOr<std::vector<std::string>> ListTags();
  std::string Url(absl::string_view path) const;

  std::string base_url_;  // e.g. http://127.0.0.1:5000
  std::string host_;      // e.g. 127.0.0.1:5000
  std::string repo_;      // e.g. imagegraph/index
  RegistryAuthenticator auth_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_REGISTRY_BACKEND_H_
