// NAME.image.json: what a build produced, for the load/push/index tools and
// for CI.
//
//   {
//     "name": "decision",
//     "image_id": "sha256:<hex>",          the config digest (docker/podman ID)
//     "manifest_digest": "sha256:<hex>",   of the image's OCI manifest with
//                                          uncompressed layers, no annotations
//     "layers": [{"digest": "sha256:<hex>", "size": <bytes>,
//                 "frame": {"offset": <byte>, "size": <bytes>}}, ...],
//                                          uncompressed layers, base first;
//                                          where the zstd frame holding the
//                                          layer's archive member lies in
//                                          NAME.tar.zst
//     "size": <bytes>,                     sum of the layer sizes
//     "context_hash": "<hex>",
//     "tags": ["REGISTRY/NAME:VERSION", "REGISTRY/NAME:<context hash>"],
//     "tarball_sha256": "<hex>",           of NAME.tar.zst as written
//     "tarball_size": <bytes>,
//     "config_frame": {"offset": <byte>, "size": <bytes>}
//   }
//
// The frames are absent (size 0) for an archive not written as one frame
// per member (framed_archive.h).
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGE_METADATA_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGE_METADATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// A byte range of NAME.tar.zst holding exactly one zstd frame; size 0 when
// unknown.
struct FrameSpan {
  int64_t offset = 0;
  int64_t size = 0;
};

struct LayerInfo {
  std::string digest;
  int64_t size = 0;
  FrameSpan frame;  // the frame of its archive member
};

struct ImageMetadata {
  std::string name;
  std::string image_id;
  std::string manifest_digest;
  std::vector<LayerInfo> layers;
  int64_t size = 0;
  std::string context_hash;
  std::vector<std::string> tags;
  std::string tarball_sha256;
  int64_t tarball_size = 0;
  FrameSpan config_frame;  // the frame of the configuration's member
};

// The JSON document above (keys in that order, two-space indent, trailing
// newline).
std::string ImageMetadataToJson(const ImageMetadata& metadata);

// Parses NAME.image.json (as ImageMetadataToJson writes it; unknown keys
// are ignored). `source` names the document in errors.
absl::StatusOr<ImageMetadata> ImageMetadataFromJson(absl::string_view json,
                                                    absl::string_view source);

// A JSON string literal (with quotes) for `text`.
std::string JsonQuote(absl::string_view text);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGE_METADATA_H_
