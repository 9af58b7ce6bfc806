// The storage interface the index is built on: a key (namespace) -> entry
// store plus a content-addressed store for the artifacts the entries point at.
#ifndef IMAGEGRAPH_TOOLS_INDEX_BACKEND_H_
#define IMAGEGRAPH_TOOLS_INDEX_BACKEND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/index/index.pb.h"

namespace imagegraph {

using IndexEntry = ::imagegraph::index::IndexEntry;

// What one insert stores, content-addressed: the artifact (a file) and, when
// given, the context manifest the image was built from (text).
struct IndexBlobs {
  std::string artifact_path;
  std::optional<std::string> context_manifest;
};

class IndexBackend {
 public:
  virtual ~IndexBackend() = default;

  // Names the backend in messages, e.g. "local index /path".
  virtual std::string Describe() const = 0;

  // Stores the blobs once (content-addressed) and records `entry`, with the
  // artifact's digest, size and location and the context manifest's digest
  // and size filled in, under every namespace of `namespaces`. Returns the
  // recorded entry. Namespaces are validated by the caller.
  virtual absl::StatusOr<IndexEntry> Insert(
      const IndexBlobs& blobs, const IndexEntry& entry,
      const std::vector<std::string>& namespaces) = 0;

  // The entry stored under exactly `ns`, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<IndexEntry>> Find(
      absl::string_view ns) = 0;

  // Every namespace that starts with `prefix`, sorted.
  virtual absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) = 0;

  // Copies the artifact of `entry` to `dest_path` (atomically) and verifies
  // that its sha256 equals entry.digest(); a mismatch is a DataLossError and
  // leaves nothing at `dest_path`.
  virtual absl::Status Fetch(const IndexEntry& entry,
                             const std::string& dest_path) = 0;

  // The context manifest `entry` records, its sha256 verified against
  // entry.context_manifest_digest(): NotFound when the entry records none,
  // DataLoss when the stored copy is missing or does not match.
  virtual absl::StatusOr<std::string> FetchContextManifest(
      const IndexEntry& entry) = 0;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_BACKEND_H_
