#include "tools/imagebuild/image_metadata.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "tools/imagebuild/image_manifest.pb.h"

namespace imagegraph {

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

namespace {

std::string FrameJson(const FrameSpan& frame) {
  return absl::StrCat("{\"offset\": ", frame.offset, ", \"size\": ", frame.size,
                      "}");
}

}  // namespace

std::string ImageMetadataToJson(const ImageMetadata& m) {
  std::vector<std::string> layers;
  for (const LayerInfo& layer : m.layers) {
    layers.push_back(absl::StrCat(
        "    {\"digest\": ", JsonQuote(layer.digest),
        ", \"size\": ", layer.size,
        layer.frame.size > 0 ? ", \"frame\": " + FrameJson(layer.frame) : "",
        "}"));
  }
  std::vector<std::string> tags;
  for (const std::string& tag : m.tags) tags.push_back("    " + JsonQuote(tag));
  return absl::StrCat(
      "{\n", "  \"name\": ", JsonQuote(m.name), ",\n",
      "  \"image_id\": ", JsonQuote(m.image_id), ",\n",
      "  \"manifest_digest\": ", JsonQuote(m.manifest_digest), ",\n",
      "  \"layers\": [", layers.empty() ? "" : "\n",
      absl::StrJoin(layers, ",\n"), layers.empty() ? "" : "\n  ", "],\n",
      "  \"size\": ", m.size, ",\n",
      "  \"context_hash\": ", JsonQuote(m.context_hash), ",\n", "  \"tags\": [",
      tags.empty() ? "" : "\n", absl::StrJoin(tags, ",\n"),
      tags.empty() ? "" : "\n  ", "],\n",
      "  \"tarball_sha256\": ", JsonQuote(m.tarball_sha256), ",\n",
      "  \"tarball_size\": ", m.tarball_size,
      m.config_frame.size > 0
          ? ",\n  \"config_frame\": " + FrameJson(m.config_frame)
          : "",
      "\n", "}\n");
}

absl::StatusOr<ImageMetadata> ImageMetadataFromJson(absl::string_view json,
                                                    absl::string_view source) {
  ImageMetadataRecord record;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json),
                                                            &record, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not an image metadata document: ", status.ToString()));
  }
  ImageMetadata metadata;
  metadata.name = record.name();
  metadata.image_id = record.image_id();
  metadata.manifest_digest = record.manifest_digest();
  for (const ImageMetadataRecord::Layer& layer : record.layers()) {
    metadata.layers.push_back({layer.digest(),
                               layer.size(),
                               {layer.frame().offset(), layer.frame().size()}});
  }
  metadata.size = record.size();
  metadata.context_hash = record.context_hash();
  metadata.tags.assign(record.tags().begin(), record.tags().end());
  metadata.tarball_sha256 = record.tarball_sha256();
  metadata.tarball_size = record.tarball_size();
  metadata.config_frame = {record.config_frame().offset(),
                           record.config_frame().size()};
  return metadata;
}

}  // namespace imagegraph
