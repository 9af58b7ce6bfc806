#include "tools/imagebuild/oci_layout.h"

#include <errno.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr char kDockerManifest[] =
    "application/vnd.docker.distribution.manifest.v2+json";

absl::Status MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(path, "cannot create", errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<google::protobuf::Struct> ParseObject(const std::string& text,
                                                     const std::string& what) {
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(text, &object).ok()) {
    return absl::DataLossError(absl::StrCat(what, " is not a JSON object"));
  }
  return object;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& object,
                                     const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const google::protobuf::Struct& object,
                        const std::string& key) {
  const google::protobuf::Value* value = Field(object, key);
  return value == nullptr ? "" : value->string_value();
}

// A blob's bytes, checked against its digest.
absl::StatusOr<std::string> ReadBlob(const std::string& layout,
                                     const std::string& digest) {
  if (!IsSha256Digest(digest)) {
    return absl::DataLossError(absl::StrCat(layout, ": \"", digest,
                                            "\" is not a sha256:<hex> digest"));
  }
  const std::string path = OciLayoutBlobPath(layout, digest);
  IG_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  if (absl::StrCat("sha256:", Sha256Hex(bytes)) != digest) {
    return absl::DataLossError(
        absl::StrCat(path, ": the content does not hash to its name"));
  }
  return bytes;
}

}  // namespace

std::string OciLayoutBlobPath(const std::string& layout,
                              const std::string& digest) {
  return absl::StrCat(layout, "/blobs/sha256/", digest.substr(7));
}

absl::Status SeedOciLayout(const std::string& layout,
                           const std::vector<std::string>& present) {
  IG_RETURN_IF_ERROR(MakeDirectory(layout));
  IG_RETURN_IF_ERROR(MakeDirectory(layout + "/blobs"));
  IG_RETURN_IF_ERROR(MakeDirectory(layout + "/blobs/sha256"));
  for (const std::string& digest : present) {
    if (!IsSha256Digest(digest)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", digest, "\" is not a sha256:<hex> digest"));
    }
    IG_RETURN_IF_ERROR(
        WriteFileAtomically(OciLayoutBlobPath(layout, digest), ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<OciLayoutImage> ReadOciLayoutImage(const std::string& layout) {
  const std::string index_path = layout + "/index.json";
  IG_ASSIGN_OR_RETURN(std::string index_text, ReadFileToString(index_path));
  IG_ASSIGN_OR_RETURN(google::protobuf::Struct index,
                      ParseObject(index_text, index_path));
  const google::protobuf::Value* manifests = Field(index, "manifests");
  if (manifests == nullptr || manifests->list_value().values_size() != 1) {
    return absl::DataLossError(
        absl::StrCat(index_path, " does not name exactly one manifest"));
  }
  const google::protobuf::Struct& descriptor =
      manifests->list_value().values(0).struct_value();
  if (StringField(descriptor, "mediaType") != kDockerManifest) {
    return absl::DataLossError(absl::StrCat(
        index_path, " names a ", StringField(descriptor, "mediaType"),
        ", not a Docker image manifest"));
  }
  const std::string manifest_digest = StringField(descriptor, "digest");
  IG_ASSIGN_OR_RETURN(std::string manifest_text,
                      ReadBlob(layout, manifest_digest));
  IG_ASSIGN_OR_RETURN(google::protobuf::Struct manifest,
                      ParseObject(manifest_text, manifest_digest));
  const google::protobuf::Value* config = Field(manifest, "config");
  const google::protobuf::Value* layers = Field(manifest, "layers");
  if (config == nullptr || layers == nullptr) {
    return absl::DataLossError(absl::StrCat(
        layout, ": manifest ", manifest_digest, " lacks config or layers"));
  }
  OciLayoutImage image;
  const std::string config_digest =
      StringField(config->struct_value(), "digest");
  IG_ASSIGN_OR_RETURN(image.config, ReadBlob(layout, config_digest));
  for (const auto& layer : layers->list_value().values()) {
    image.layers.push_back(StringField(layer.struct_value(), "digest"));
  }
  // Uncompressed layers are named by their diff IDs.
  IG_ASSIGN_OR_RETURN(google::protobuf::Struct parsed_config,
                      ParseObject(image.config, config_digest));
  std::vector<std::string> diff_ids;
  if (const google::protobuf::Value* rootfs = Field(parsed_config, "rootfs")) {
    if (const google::protobuf::Value* ids =
            Field(rootfs->struct_value(), "diff_ids")) {
      for (const auto& id : ids->list_value().values()) {
        diff_ids.push_back(id.string_value());
      }
    }
  }
  if (diff_ids != image.layers) {
    return absl::DataLossError(absl::StrCat(
        layout, ": the layers of manifest ", manifest_digest,
        " are not the configuration's diff IDs (compressed layers?)"));
  }
  return image;
}

}  // namespace imagegraph
