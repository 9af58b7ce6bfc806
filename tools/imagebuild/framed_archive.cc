#include "tools/imagebuild/framed_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/imagebuild/docker_archive.h"
#include "zstd.h"

namespace imagegraph {
namespace {

constexpr int64_t kBlock = 512;
// A configuration larger than this is not one buildah writes.
constexpr int64_t kMaxConfigBytes = 16 << 20;

int64_t Padded(int64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

// The ustar header of a regular file `name` (under 100 bytes) of `size`
// bytes: mode 0644, owner 0:0, time 0, as every member of the archive.
std::string MemberHeader(absl::string_view name, int64_t size) {
  std::string header(kBlock, '\0');
  memcpy(&header[0], name.data(), name.size());
  memcpy(&header[100], "0000644", 7);
  memcpy(&header[108], "0000000", 7);
  memcpy(&header[116], "0000000", 7);
  if (size < (int64_t{1} << 33)) {
    const std::string octal = absl::StrFormat("%011o", size);
    memcpy(&header[124], octal.data(), octal.size());
  } else {  // base-256, as GNU tar writes sizes of 8 GiB and more
    header[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i) {
      header[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
    }
  }
  memcpy(&header[136], "00000000000", 11);
  header[156] = '0';
  memcpy(&header[257],
         "ustar\0"
         "00",
         8);
  memset(&header[148], ' ', 8);
  unsigned int sum = 0;
  for (unsigned char c : header) sum += c;
  const std::string checksum = absl::StrFormat("%06o", sum);
  memcpy(&header[148], checksum.c_str(), checksum.size() + 1);
  return header;
}

std::string Padding(int64_t size) {
  return std::string(Padded(size) - size, '\0');
}

// Copies the frame of `layer` from its file to `output`, after checking
// that it lies inside the file and holds a member of the layer's size.
absl::Status CopyFrame(const ArchiveLayer& layer, AtomicFileWriter& output) {
  IG_ASSIGN_OR_RETURN(OpenFile source, OpenFile::Open(layer.frame_file));
  IG_ASSIGN_OR_RETURN(int64_t file_size, source.Size());
  if (layer.frame.offset < 0 || layer.frame.size <= 0 ||
      layer.frame.offset > file_size ||
      layer.frame.size > file_size - layer.frame.offset) {
    return absl::DataLossError(
        absl::StrCat(layer.frame_file, ": the frame of layer ", layer.digest,
                     " (", layer.frame.size, " bytes at ", layer.frame.offset,
                     ") does not lie inside the file (", file_size, " bytes)"));
  }
  constexpr int64_t kChunk = 4 << 20;
  std::string data;
  int64_t done = 0;
  while (done < layer.frame.size) {
    const int64_t take = std::min(kChunk, layer.frame.size - done);
    IG_RETURN_IF_ERROR(ReadExactlyAt(source.fd(), source.path(),
                                     layer.frame.offset + done, take, data));
    if (done == 0) {
      auto content = ZstdFrameContentSize(data);
      if (!content.ok() ||
          *content != static_cast<uint64_t>(kBlock + Padded(layer.size))) {
        return absl::DataLossError(absl::StrCat(
            layer.frame_file, ": the frame recorded for layer ", layer.digest,
            " at byte ", layer.frame.offset,
            " does not hold that layer's archive member (",
            content.ok() ? absl::StrCat(*content, " bytes, expected ",
                                        kBlock + Padded(layer.size))
                         : content.status().message(),
            ")"));
      }
    }
    IG_RETURN_IF_ERROR(output.Write(data));
    done += take;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoToStatus(path, "cannot stat", errno);
  }
  return static_cast<int64_t>(st.st_size);
}

}  // namespace

absl::StatusOr<FramedArchive> WriteFramedArchive(
    const std::string& output_path, const std::vector<ArchiveLayer>& layers,
    absl::string_view config, const std::vector<std::string>& tags,
    const ZstdOptions& options) {
  IG_ASSIGN_OR_RETURN(AtomicFileWriter output,
                      AtomicFileWriter::Open(output_path));
  // Hashed as it is written, not read back: for a child of a large base the
  // parents' frames are most of the file.
  Sha256 hash;
  output.HashWrites(&hash);
  FramedArchive archive;
  int64_t offset = 0;
  // Compresses `sources` as the next frame; returns where it lies.
  auto compress =
      [&](const std::vector<ZstdSource>& sources) -> absl::StatusOr<FrameSpan> {
    IG_ASSIGN_OR_RETURN(ZstdStats stats,
                        AppendZstdFrame(sources, output, options));
    FrameSpan frame{offset, static_cast<int64_t>(stats.output_bytes)};
    offset += frame.size;
    return frame;
  };
  absl::flat_hash_map<std::string, FrameSpan> written;
  std::vector<std::string> layer_names;
  for (const ArchiveLayer& layer : layers) {
    if (!IsSha256Digest(layer.digest)) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer digest \"", layer.digest,
                       "\" is not sha256:<64 lowercase hex digits>"));
    }
    const std::string name = absl::StrCat(layer.digest.substr(7), ".tar");
    layer_names.push_back(name);
    auto done = written.find(layer.digest);
    if (done == written.end()) {
      FrameSpan frame;
      if (!layer.frame_file.empty()) {
        IG_RETURN_IF_ERROR(CopyFrame(layer, output));
        frame = {offset, layer.frame.size};
        offset += frame.size;
      } else {
        IG_ASSIGN_OR_RETURN(int64_t size, FileSize(layer.blob));
        if (size != layer.size) {
          return absl::DataLossError(
              absl::StrCat(layer.blob, ": layer ", layer.digest, " has ", size,
                           " bytes, expected ", layer.size));
        }
        IG_ASSIGN_OR_RETURN(frame, compress({{MemberHeader(name, size), ""},
                                             {"", layer.blob},
                                             {Padding(size), ""}}));
      }
      done = written.emplace(layer.digest, frame).first;
    }
    archive.layers.push_back({layer.digest, layer.size, done->second});
  }
  const std::string config_name = absl::StrCat(Sha256Hex(config), ".json");
  IG_ASSIGN_OR_RETURN(
      archive.config_frame,
      compress({{absl::StrCat(MemberHeader(config_name, config.size()), config,
                              Padding(config.size())),
                 ""}}));
  const std::string manifest =
      DockerArchiveManifestJson(config_name, tags, layer_names);
  IG_RETURN_IF_ERROR(
      compress({{absl::StrCat(MemberHeader("manifest.json", manifest.size()),
                              manifest, Padding(manifest.size()),
                              std::string(2 * kBlock, '\0')),  // end of archive
                 ""}})
          .status());
  archive.size = offset;
  // Hashed before it takes its name, so that no reader sees it unhashed.
  archive.sha256 = hash.FinishHex();
  IG_RETURN_IF_ERROR(output.Commit());
  return archive;
}

absl::StatusOr<FramedArchiveInfo> ReadFramedArchiveMetadata(
    const std::string& tarball, const std::string& metadata_path) {
  IG_ASSIGN_OR_RETURN(std::string json, ReadFileToString(metadata_path));
  FramedArchiveInfo info;
  IG_ASSIGN_OR_RETURN(info.metadata,
                      ImageMetadataFromJson(json, metadata_path));
  const ImageMetadata& metadata = info.metadata;
  auto mismatch = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        metadata_path, " does not describe ", tarball, ": ", what,
        " (give the NAME.image.json that was written with this NAME.tar.zst)"));
  };
  if (metadata.config_frame.size <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(metadata_path, " records no frames: ", tarball,
                     " was not written one zstd frame per member"));
  }
  IG_ASSIGN_OR_RETURN(OpenFile file, OpenFile::Open(tarball));
  IG_ASSIGN_OR_RETURN(int64_t size, file.Size());
  if (size != metadata.tarball_size) {
    return mismatch(absl::StrCat("the tarball has ", size,
                                 " bytes, the metadata says ",
                                 metadata.tarball_size));
  }
  IG_ASSIGN_OR_RETURN(std::string sha256, Sha256FileHex(tarball));
  if (sha256 != metadata.tarball_sha256) {
    return mismatch(absl::StrCat("the tarball's sha256 is ", sha256,
                                 ", the metadata says ",
                                 metadata.tarball_sha256));
  }
  auto inside = [size](const FrameSpan& frame) {
    return frame.offset >= 0 && frame.size > 0 && frame.offset <= size &&
           frame.size <= size - frame.offset;
  };
  for (const LayerInfo& layer : metadata.layers) {
    if (!inside(layer.frame)) {
      return mismatch(absl::StrCat("the frame of layer ", layer.digest,
                                   " does not lie inside the tarball"));
    }
  }
  const FrameSpan& config = metadata.config_frame;
  if (!inside(config) || config.size > kMaxConfigBytes ||
      size - config.offset - config.size > kMaxConfigBytes) {
    return mismatch("its config_frame does not lie inside the tarball");
  }
  // The configuration's frame, then the last frame: manifest.json and the
  // end of the archive. Each must hold exactly the member
  // WriteFramedArchive writes.
  auto member = [&](int64_t offset, int64_t frame_size, absl::string_view name,
                    int64_t trailer) -> absl::StatusOr<std::string> {
    std::string compressed;
    IG_RETURN_IF_ERROR(
        ReadExactlyAt(file.fd(), tarball, offset, frame_size, compressed));
    auto bytes = DecompressZstdFrame(compressed, 2 * kMaxConfigBytes);
    std::string content;
    if (bytes.ok() && bytes->size() >= static_cast<size_t>(kBlock)) {
      int64_t content_size = 0;
      for (char c : bytes->substr(124, 11)) {
        content_size = c < '0' || c > '7' || content_size < 0
                           ? -1
                           : content_size * 8 + (c - '0');
      }
      if (content_size >= 0 &&
          bytes->size() ==
              static_cast<size_t>(kBlock + Padded(content_size) + trailer) &&
          bytes->substr(0, kBlock) == MemberHeader(name, content_size)) {
        return bytes->substr(kBlock, content_size);
      }
    }
    return mismatch(absl::StrCat("the frame at byte ", offset,
                                 " does not hold the member ", name));
  };
  const std::string config_name =
      absl::StrCat(absl::StripPrefix(metadata.image_id, "sha256:"), ".json");
  if (!IsSha256Digest(metadata.image_id)) {
    return mismatch(absl::StrCat("its image ID \"", metadata.image_id,
                                 "\" is not sha256:<hex>"));
  }
  IG_ASSIGN_OR_RETURN(info.config,
                      member(config.offset, config.size, config_name, 0));
  if (absl::StrCat("sha256:", Sha256Hex(info.config)) != metadata.image_id) {
    return mismatch(absl::StrCat(
        "its configuration does not hash to the image ID ", metadata.image_id));
  }
  const int64_t last = config.offset + config.size;
  IG_ASSIGN_OR_RETURN(info.manifest_json,
                      member(last, size - last, "manifest.json", 2 * kBlock));
  return info;
}

absl::Status WriteLayerlessArchive(const std::string& path,
                                   const FramedArchiveInfo& info) {
  std::string archive;
  absl::flat_hash_map<std::string, bool> written;
  for (const LayerInfo& layer : info.metadata.layers) {
    if (!written.emplace(layer.digest, true).second) continue;
    absl::StrAppend(
        &archive,
        MemberHeader(absl::StrCat(layer.digest.substr(7), ".tar"), 0));
  }
  absl::StrAppend(
      &archive,
      MemberHeader(
          absl::StrCat(absl::StripPrefix(info.metadata.image_id, "sha256:"),
                       ".json"),
          info.config.size()),
      info.config, Padding(info.config.size()),
      MemberHeader("manifest.json", info.manifest_json.size()),
      info.manifest_json, Padding(info.manifest_json.size()),
      std::string(2 * kBlock, '\0'));
  return WriteFileAtomically(path, archive);
}

}  // namespace imagegraph
