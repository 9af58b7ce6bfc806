// NAME.tar.zst written as one zstd frame per member of its docker-archive,
// so that a child's archive takes its parents' layers byte for byte from
// their NAME.tar.zst and compresses only its own.
//
// The archive holds, in order: one `<hex>.tar` member per distinct layer
// (base first), the configuration `<hex>.json`, and `manifest.json`
// followed by the end-of-archive blocks. Every member (header, data and
// padding) is one zstd frame, so the whole file is a plain zstd stream of
// a plain docker-archive tar (`zstd -d | podman load` reads it), and a
// member's frame depends only on the member: the same layer gives the same
// frame in every image that holds it. NAME.image.json records where each
// frame lies (image_metadata.h), tied to the tarball by its sha256.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_FRAMED_ARCHIVE_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_FRAMED_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/imagebuild/image_metadata.h"
#include "tools/imagebuild/zstd_stream.h"

namespace imagegraph {

// One layer of the image being written.
struct ArchiveLayer {
  std::string digest;  // "sha256:<hex>" of the uncompressed layer
  int64_t size = 0;    // uncompressed bytes
  // Either the file holding the layer's member already compressed as one
  // frame at `frame` (a parent's NAME.tar.zst), copied as it is...
  std::string frame_file;
  FrameSpan frame;
  // ...or, when `frame_file` is empty, the uncompressed layer, compressed
  // here.
  std::string blob;
};

// What WriteFramedArchive wrote.
struct FramedArchive {
  std::vector<LayerInfo> layers;  // as given, each with its frame in the
                                  // output
  FrameSpan config_frame;
  int64_t size = 0;
  std::string sha256;  // lowercase hex
};

// Writes the docker-archive of the image whose configuration is `config`
// (its digest is the image ID), with `layers` (base first; a layer repeated
// is stored once) and `tags`, to `output` as described above, atomically.
absl::StatusOr<FramedArchive> WriteFramedArchive(
    const std::string& output, const std::vector<ArchiveLayer>& layers,
    absl::string_view config, const std::vector<std::string>& tags,
    const ZstdOptions& options);

// What a framed archive's metadata and its small frames tell.
struct FramedArchiveInfo {
  ImageMetadata metadata;     // with the frames
  std::string config;         // the configuration's bytes
  std::string manifest_json;  // the archive's manifest.json (its tags)
};

// The metadata `metadata_path` (a parent's NAME.image.json) gives of the
// framed archive `tarball`, checked against it without decompressing its
// layers: the tarball's sha256 and size are the ones recorded, every
// layer's frame lies inside it, the configuration's frame holds the member
// `<hex>.json` whose content hashes to the recorded image ID, and the last
// frame holds manifest.json and the end of the archive. An archive written
// otherwise (no frames recorded) is a FailedPreconditionError; any
// disagreement is a DataLossError naming both files.
absl::StatusOr<FramedArchiveInfo> ReadFramedArchiveMetadata(
    const std::string& tarball, const std::string& metadata_path);

// Writes to `path` a plain docker-archive of the image `info` describes in
// which every layer member is empty: loading it into a storage that already
// has every layer (from a layer store, by digest) gives the image, with the
// archive's names, as loading the whole archive does, and reads no layer.
// A storage that lacks a layer fails to load it (its digest differs).
absl::Status WriteLayerlessArchive(const std::string& path,
                                   const FramedArchiveInfo& info);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_FRAMED_ARCHIVE_H_
