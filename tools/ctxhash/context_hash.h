// Context hash v1 of one image folder: collect entries, hash them, build the
// manifest, and write the hash, manifest and deterministic tar atomically.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_CONTEXT_HASH_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_CONTEXT_HASH_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/ctxhash/entries.h"
#include "tools/ctxhash/hashing.h"
#include "tools/tree/reference_map.h"

namespace imagegraph {

struct ContextOptions {
  ContextSpec spec;
  // The in-tree parents, in any order: parent lines follow the order in
  // which the Dockerfile first names them (see parent_order.h).
  std::vector<ParentHash> parents;
  std::vector<std::pair<std::string, std::string>> build_args;
  // What each reference of the Dockerfile names (docker_image's
  // `references`) and the declared parent ("" for none): the Dockerfile's
  // references are checked against them, never guessed.
  ReferenceMap references;
  std::string declared_parent;
  int jobs = 0;  // hashing threads; 0: one per core
};

struct ContextResult {
  std::vector<ContextEntry> entries;  // sorted, hashed
  std::string manifest;               // the exact hashed text
  std::string hash;                   // lowercase hex sha256 of manifest
};

absl::StatusOr<ContextResult> ComputeContext(const ContextOptions& options);

// Where to write outputs; an empty path skips that output.
struct OutputPaths {
  std::string manifest;
  std::string tar;
  std::string hash;
};

// Writes each requested output to a temporary file beside it, and renames
// them into place only when all were written; on error none is left.
// Files are re-read for the tar and must not have changed since hashing.
absl::Status WriteOutputs(const ContextResult& result,
                          const OutputPaths& paths);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_CONTEXT_HASH_H_
