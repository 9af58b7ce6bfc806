// The local-directory index backend.
//
// Layout under the root directory:
//   namespaces/<c1>/<c2>/.../<cN>.json   the entry of namespace c1.c2...cN
//                                        (JSON of IndexEntry)
//   cas/sha256/<hex>                     artifacts and context manifests, by
//                                        the sha256 of content
//   .lock                                held shared by inserts and fetches,
//                                        exclusively by CollectGarbage
// Every file is written to a temporary sibling, fsynced and renamed, so a
// reader sees a whole entry or none and concurrent writers lose nothing.
// Nothing under namespaces/ may be a symlink: one would let a namespace of
// one level be written or read as another level's.
#ifndef IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_
#define IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/index/backend.h"

namespace imagegraph {

// The default index, the one builds use with --//rules:index=default:
// ${XDG_CACHE_HOME:-$HOME/.cache}/imagegraph/index, where a missing HOME is
// the user's home directory from the password database (Bazel runs actions
// without HOME, so that is what a build resolves). Every tool that opens the
// default index asks this function. An error says how to name an index
// instead.
absl::StatusOr<std::string> DefaultLocalIndexDirectory();

class LocalBackend : public IndexBackend {
 public:
  // `durable = false` skips fsync (bulk loading for benchmarks only).
  explicit LocalBackend(std::string root, bool durable = true);

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

  // Records `entry` under `namespaces` without storing an artifact (the entry
  // already names its location).
  absl::Status PutEntry(const IndexEntry& entry,
                        const std::vector<std::string>& namespaces);

  // What CollectGarbage did.
  struct GarbageReport {
    int entries_removed = 0;
    int entries_kept = 0;
    int artifacts_removed = 0;
    int artifacts_kept = 0;
    int64_t bytes_freed = 0;
    int temporaries_removed = 0;
    // Entries that cannot be read (kept, and their artifacts with them).
    std::vector<std::string> warnings;
  };

  // Removes the entries that expired at or before `now`, then every artifact
  // that no entry references and every temporary file whose writer is gone.
  // Safe while other processes insert and fetch: they hold the index's lock
  // shared for the whole of an insert (artifact, then entries) or a fetch,
  // and this holds it exclusively, so no artifact is removed between its
  // commit and its entries, nor while it is being copied out.
  absl::StatusOr<GarbageReport> CollectGarbage(absl::Time now);

  // The absolute path of an entry's artifact in this index's store.
  absl::StatusOr<std::string> ArtifactPath(const IndexEntry& entry) const;

  const std::string& root() const { return root_; }

 private:
  std::string EntryPath(absl::string_view ns) const;
  // Fails when the namespaces/ directory, a directory on the way to `ns`'s
  // entry or the entry itself is a symlink.
  absl::Status RefuseSymlinks(absl::string_view ns) const;
  absl::Status WriteEntries(const IndexEntry& entry,
                            const std::vector<std::string>& namespaces);

  std::string root_;
  bool durable_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_
