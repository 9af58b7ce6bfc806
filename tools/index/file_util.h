// File helpers of the index backends: directories and content-addressed
// staging. Plain atomic writes and reads are in tools/common/file_util.h.
#ifndef IMAGEGRAPH_TOOLS_INDEX_FILE_UTIL_H_
#define IMAGEGRAPH_TOOLS_INDEX_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/file_util.h"

namespace imagegraph {

// mkdir -p; concurrent creators of the same directory all succeed.
absl::Status MakeDirectories(const std::string& path);

// A temporary path in the directory of `path`, unique across processes and
// threads ("<dir>/.<base>.tmp.<pid>.<tid>.<counter>").
std::string TemporarySibling(const std::string& path);

// A copy of a file in a temporary path, with the sha256 of its bytes.
struct StagedFile {
  std::string temp_path;
  std::string sha256_hex;
  int64_t size = 0;
};

// Copies `source` to a new temporary sibling of `sibling_of` while hashing
// it. The caller commits it with CommitStagedFile or removes it with
// DiscardStagedFile.
absl::StatusOr<StagedFile> StageCopyHashing(const std::string& source,
                                            const std::string& sibling_of,
                                            bool durable = true);

// Renames a staged file onto `dest` (and fsyncs the directory if durable).
absl::Status CommitStagedFile(const StagedFile& staged, const std::string& dest,
                              bool durable = true);

void DiscardStagedFile(const StagedFile& staged);

bool PathExists(const std::string& path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_FILE_UTIL_H_
