// Bazel-built extra files (docker_image's `extra_files`) are hashed into the
// context but not stored in the context tar, so that a root filesystem is
// never kept twice in a cache; the build receives each as an input of its
// own and places it into the extracted context, as the manifest describes it.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_EXTRA_FILES_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_EXTRA_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/ctxhash/manifest.h"

namespace imagegraph {

struct ExtraFile {
  std::string path;  // in the image folder, as the manifest names it
  std::string file;  // the Bazel-built file
};

// `PATH=FILE` of --extra_file.
absl::StatusOr<ExtraFile> ParseExtraFileFlag(absl::string_view value);

// Copies every extra file to `context_dir`/PATH (creating directories), with
// the mode the manifest records, and checks that its sha256 is the one the
// manifest records: the build gets exactly what was hashed. A file the
// manifest does not list, one whose content differs, and a path the context
// tar already filled are errors naming the file. `manifest_source` names the
// manifest in messages.
absl::Status PlaceExtraFiles(const std::vector<ExtraFile>& extra_files,
                             const ContextManifest& manifest,
                             absl::string_view manifest_source,
                             const std::string& context_dir);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_EXTRA_FILES_H_
