// The image index: level rules and image routes on top of a backend.
//
// A writer at level L writes only docker.images.v2.level-L.* namespaces.
// Lookups by context hash try level 3 (trusted) first, then each lower level
// down to the requester's own, never below it, so that a low-level build can
// never make a higher-level build reuse what it wrote.
#ifndef IMAGEGRAPH_TOOLS_INDEX_INDEX_H_
#define IMAGEGRAPH_TOOLS_INDEX_INDEX_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/index/backend.h"

namespace imagegraph {

// The index settings builds and tools share (--//rules:index, --index):
// the default local directory, and no index at all.
inline constexpr absl::string_view kDefaultIndex = "default";
inline constexpr absl::string_view kNoIndex = "off";

// How long an inserted entry lives unless the request says otherwise: one
// year, as the original system's docker-image index routes.
inline constexpr absl::Duration kDefaultExpiry = absl::Hours(24 * 365);

// What InsertImage records.
struct InsertImageRequest {
  std::string name;           // image name, e.g. "base-build"
  std::string context_hash;   // 64 lowercase hex digits
  std::string image_id;       // e.g. "sha256:<hex>"
  std::string revision;       // source revision, free text (may be empty)
  std::string artifact_path;  // the image tarball to store
  std::string metadata_json;  // NAME.image.json contents (optional)
  // NAME.context.manifest, the text the context hash was computed from
  // (optional); it must hash to `context_hash`.
  std::optional<std::string> context_manifest;
  // Namespaces to write besides the hash, latest and pushdate routes; each
  // must be a namespace of the writer's level.
  std::vector<std::string> extra_namespaces;
  absl::Time now = absl::Now();
  // The entry expires this long after `now` (absl::InfiniteDuration(): never).
  absl::Duration expires_in = kDefaultExpiry;
};

// A lookup result: the namespace that matched and its entry.
struct IndexHit {
  std::string ns;
  IndexEntry entry;
};

class Index {
 public:
  // `level` is the requester's level (1..3), checked by Open.
  Index(std::unique_ptr<IndexBackend> backend, int level);

  // Opens the index named by `spec`:
  //   "" or "default"                 DefaultLocalIndexDirectory()
  //   DIR                             a local directory
  //   registry://HOST[:PORT]/REPO     an OCI registry (plain HTTP for
  //                                   loopback hosts, HTTPS otherwise)
  //   registry+http://HOST[:PORT]/REPO, registry+https://...  explicit scheme
  static absl::StatusOr<std::unique_ptr<Index>> Open(absl::string_view spec,
                                                     int level);

  int level() const { return level_; }
  IndexBackend& backend() { return *backend_; }

  // The namespaces an insert of `request` writes, in order: hash, latest,
  // pushdate, then the extra ones. Fails with a message naming the first
  // namespace that is not of this writer's level.
  absl::StatusOr<std::vector<std::string>> InsertNamespaces(
      const InsertImageRequest& request) const;

  // Stores the artifact and records it under InsertNamespaces(request).
  absl::StatusOr<IndexEntry> InsertImage(const InsertImageRequest& request);

  // The entry stored under exactly `ns`. An entry that disagrees with its
  // namespace (its level, and for the hash, latest and pushdate routes its
  // name and context hash) or that has expired is not returned: a warning
  // describing it is appended to `warnings` (when not null) instead.
  absl::StatusOr<std::optional<IndexEntry>> Find(
      absl::string_view ns, std::vector<std::string>* warnings = nullptr);
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix);

  // The time lookups judge expiry by (tests set it).
  void set_now_for_testing(absl::Time now) { now_ = now; }

  // The entry of image `name` with `context_hash`: level 3 first, then each
  // lower level down to this index's level. An entry whose recorded name,
  // context hash or level disagrees with its namespace is skipped, and a
  // warning describing it is appended to `warnings` (when not null); an
  // expired entry is skipped too.
  // Safe to call from several threads at once.
  absl::StatusOr<std::optional<IndexHit>> LookupByHash(
      absl::string_view name, absl::string_view context_hash,
      std::vector<std::string>* warnings = nullptr);

  // Copies the artifact of `entry` to `dest_path`, verifying its digest.
  absl::Status Fetch(const IndexEntry& entry, const std::string& dest_path);

  // The context manifest `entry` was built from, verified against the
  // entry's digest for it and against its context hash (the manifest's
  // sha256); NotFound when the entry records none.
  absl::StatusOr<std::string> FetchContextManifest(const IndexEntry& entry);

  // The latest indexed build of image `name`: the `latest` entry of level 3,
  // else of each lower level down to this index's level (an entry that
  // disagrees with its namespace is skipped, with a warning as in
  // LookupByHash). nullopt when no level has one.
  absl::StatusOr<std::optional<IndexHit>> FindLatest(
      absl::string_view name, std::vector<std::string>* warnings = nullptr);

  // What a build does before building: finds image `name` with
  // `context_hash` (levels as LookupByHash) and copies its verified tarball
  // to `dest_path`. An entry whose artifact is missing, corrupt or does not
  // match its digest is reported in `warnings` and skipped (the next lower
  // level is tried); nullopt means "build it". Errors are only failures to
  // read the index itself.
  absl::StatusOr<std::optional<IndexHit>> FetchByHash(
      absl::string_view name, absl::string_view context_hash,
      const std::string& dest_path, std::vector<std::string>* warnings);

 private:
  absl::Time Now() const {
    return now_ == absl::InfinitePast() ? absl::Now() : now_;
  }

  std::unique_ptr<IndexBackend> backend_;
  int level_;
  absl::Time now_ = absl::InfinitePast();
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_INDEX_H_
