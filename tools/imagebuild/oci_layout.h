// The OCI image layout directory a build exports its image into (skopeo
// copy from the build's storage, buildah.h), seeded so that the parents'
// layers are not written there: NAME.tar.zst takes them from the parents'
// own tarballs instead (framed_archive.h).
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_OCI_LAYOUT_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_OCI_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace imagegraph {

// Creates the layout directory `layout` with an empty placeholder blob for
// each of `present` ("sha256:<hex>" digests): skopeo takes a blob that is
// there, by name, as already copied and reads nothing of it.
absl::Status SeedOciLayout(const std::string& layout,
                           const std::vector<std::string>& present);

// The one image of the layout, as a Docker (v2s2) manifest lists it.
struct OciLayoutImage {
  std::string config;  // the configuration's bytes, checked against its digest
  std::vector<std::string> layers;  // "sha256:<hex>", base first
};

// Reads the image of `layout`: index.json must name exactly one manifest,
// a Docker image manifest whose configuration blob hashes to its digest and
// whose layer digests are the configuration's diff IDs (uncompressed
// layers).
absl::StatusOr<OciLayoutImage> ReadOciLayoutImage(const std::string& layout);

// The path of the blob `digest` ("sha256:<hex>") in `layout`.
std::string OciLayoutBlobPath(const std::string& layout,
                              const std::string& digest);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_OCI_LAYOUT_H_
