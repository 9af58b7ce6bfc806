// Hashing of context entries (sha256 of each file, on all cores) and the
// manifest text whose sha256 is the context hash.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_HASHING_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_HASHING_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/ctxhash/entries.h"

namespace imagegraph {

// Read size for file contents: large reads keep syscalls off the profile.
inline constexpr size_t kReadChunkBytes = 1 << 20;

struct ParentHash {
  std::string name;  // the parent image's name
  std::string hash;  // its context hash (64 lowercase hex digits)
};

// Opens `entry.source` (relative to `entry.directory` when set) for reading,
// checks that it is a regular file without setuid/setgid, and fills mode, size,
// device, inode and mtime. Returns the open descriptor.
absl::StatusOr<int> OpenEntry(ContextEntry* entry);

// Fills every entry's sha256_hex (and the fields OpenEntry fills) using
// `jobs` threads (0: one per core). Files are read in chunks of
// kReadChunkBytes and never held whole.
absl::Status HashEntries(std::vector<ContextEntry>* entries, int jobs);

// Checks a parent line's parts and a build argument's parts.
absl::Status ValidateParent(const ParentHash& parent);
absl::Status ValidateBuildArg(absl::string_view name, absl::string_view value);

// The hashed text: entry lines (entries must be sorted and hashed), parent
// lines in the given order, build-argument lines sorted by name.
std::string BuildManifest(
    const std::vector<ContextEntry>& entries,
    const std::vector<ParentHash>& parents,
    std::vector<std::pair<std::string, std::string>> build_args);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_HASHING_H_
