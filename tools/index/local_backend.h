// The local-directory index backend.
//
// Layout under the root directory:
//   namespaces/<c1>/<c2>/.../<cN>.json   the entry of namespace c1.c2...cN
//                                        (JSON of IndexEntry)
//   cas/sha256/<hex>                     artifacts, by the sha256 of content
// Every file is written to a temporary sibling, fsynced and renamed, so a
// reader sees a whole entry or none and concurrent writers lose nothing.
#ifndef IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_
#define IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
      const std::string& artifact_path, const IndexEntry& entry,
      const std::vector<std::string>& namespaces) override;
  absl::StatusOr<std::optional<IndexEntry>> Find(absl::string_view ns) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;
  absl::Status Fetch(const IndexEntry& entry,
                     const std::string& dest_path) override;

  // Records `entry` under `namespaces` without storing an artifact (the entry
  // already names its location).
  absl::Status PutEntry(const IndexEntry& entry,
                        const std::vector<std::string>& namespaces);

  // The absolute path of an entry's artifact in this index's store.
  absl::StatusOr<std::string> ArtifactPath(const IndexEntry& entry) const;

  const std::string& root() const { return root_; }

 private:
  std::string EntryPath(absl::string_view ns) const;

  std::string root_;
  bool durable_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_LOCAL_BACKEND_H_
