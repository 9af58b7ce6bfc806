// The image index as a build sees it: before building, an image whose
// context hash is indexed (and whose tarball verifies) is reused instead of
// built; after a build, the image is inserted under its hash, latest and
// pushdate routes. Problems with the index are warnings, never build
// failures: the worst case is building what could have been reused.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_INDEX_REUSE_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_INDEX_REUSE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/imagebuild/image_metadata.h"

namespace imagegraph {

// How a build uses the index (the --index, --index_level and --revision
// flags).
struct IndexSettings {
  // "" or "off": no index. "default": the default local directory
  // (DefaultLocalIndexDirectory()). Otherwise an absolute directory or
  // registry://HOST:PORT/REPO (also registry+http://, registry+https://).
  std::string spec;
  int level = 1;         // the builder's trust level, 1..3
  std::string revision;  // recorded in inserted entries
};

// The spec to open (see Index::Open) for `settings`, or nullopt when
// indexing is off. A relative directory or a level outside 1..3 is an error
// that says the fix.
absl::StatusOr<std::optional<std::string>> ResolveIndexSpec(
    const IndexSettings& settings);

// Reports one line of progress or warning (without the "imagebuild: NAME: "
// prefix).
using ProgressFn = std::function<void(absl::string_view)>;

// Looks image `name` with `context_hash` up in the index. On a hit whose
// tarball verifies and whose entry carries the build's metadata, writes the
// tarball to `output` and the metadata (with `name`, `context_hash` and
// `tags` of this build) to `metadata_path`, both atomically, and returns the
// metadata. Everything else (a miss, a corrupt or mismatching artifact, an
// unreadable index) is reported through `progress` and gives nullopt: build.
std::optional<ImageMetadata> ReuseFromIndex(
    const std::string& index_spec, int level, const std::string& name,
    const std::string& context_hash, const std::vector<std::string>& tags,
    const std::string& output, const std::string& metadata_path,
    const ProgressFn& progress);

// Inserts a built image (its tarball and metadata, and the context manifest
// it was built from when `context_manifest_path` is not empty, so that a
// later build can say what changed) into the index; a failure is reported
// through `progress` only.
void InsertIntoIndex(const std::string& index_spec,
                     const IndexSettings& settings,
                     const ImageMetadata& metadata, const std::string& output,
                     const std::string& metadata_path,
                     const std::string& context_manifest_path,
                     const ProgressFn& progress);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_INDEX_REUSE_H_
