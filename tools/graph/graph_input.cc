#include "tools/graph/graph_input.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "tools/graph/graph.pb.h"

namespace imagegraph {
namespace {

// The one line of a REGISTRY, VERSION or HASH file; "" when none is named.
absl::StatusOr<std::string> ReadOptionalOneLineFile(const std::string& path,
                                                    absl::string_view holds) {
  if (path.empty()) return std::string();
  return ReadOneLineFile(path, holds);
}

absl::Status ParseJson(const std::string& text, const std::string& path,
                       google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status =
      google::protobuf::util::JsonStringToMessage(text, message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not the expected JSON: ", status.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GraphInputContents> ReadGraphInput(absl::string_view path) {
  const std::string input_path(path);
  IG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(input_path));
  GraphInput input;
  IG_RETURN_IF_ERROR(ParseJson(text, input_path, &input));
  GraphInputContents contents;
  contents.level = input.level();
  contents.index = input.index();
  std::vector<GraphNode>& nodes = contents.nodes;
  for (const GraphInput::Image& image : input.images()) {
    GraphNode node;
    node.name = image.name();
    node.label = image.label();
    node.folder = image.folder();
    node.parents.assign(image.parents().begin(), image.parents().end());
    IG_ASSIGN_OR_RETURN(
        node.context_hash,
        ReadOptionalOneLineFile(image.context_hash_file(),
                                "the context hash, 64 lowercase hex digits"));
    IG_ASSIGN_OR_RETURN(
        node.registry,
        ReadOptionalOneLineFile(image.registry_file(), kRegistryFileHolds));
    IG_ASSIGN_OR_RETURN(
        node.version,
        ReadOptionalOneLineFile(image.version_file(), kVersionFileHolds));
    IG_ASSIGN_OR_RETURN(
        node.pinned_digest,
        ReadOptionalOneLineFile(image.hash_file(), kHashFileHolds));
    if (!image.manifest_file().empty()) {
      IG_ASSIGN_OR_RETURN(node.context_manifest,
                          ReadFileToString(image.manifest_file()));
    }
    if (!image.metadata_file().empty()) {
      IG_ASSIGN_OR_RETURN(std::string metadata,
                          ReadFileToString(image.metadata_file()));
      BuiltImage built;
      IG_RETURN_IF_ERROR(ParseJson(metadata, image.metadata_file(), &built));
      node.image_id = built.image_id();
    }
    nodes.push_back(std::move(node));
  }
  return contents;
}

absl::StatusOr<ImageGraph> ReadGraphJson(absl::string_view path) {
  const std::string graph_path(path);
  IG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(graph_path));
  ImageGraph graph;
  IG_RETURN_IF_ERROR(ParseJson(text, graph_path, &graph));
  return graph;
}

}  // namespace imagegraph
