#include "tools/imagebuild/flags.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/common/sha256.h"

namespace imagegraph {

absl::StatusOr<ParentImage> ParseParentFlag(absl::string_view value) {
  size_t eq = value.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == value.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parent=", value,
                     ": expected NAME=PATH (the parent image's name and "
                     "its .tar.zst)"));
  }
  return ParentImage{std::string(value.substr(0, eq)),
                     std::string(value.substr(eq + 1))};
}

absl::Status AddParentMetadata(absl::string_view value,
                               std::vector<ParentImage>* parents) {
  size_t eq = value.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == value.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parent_metadata=", value,
                     ": expected NAME=PATH (the parent image's name and "
                     "its .image.json)"));
  }
  const absl::string_view name = value.substr(0, eq);
  for (ParentImage& parent : *parents) {
    if (parent.name != name) continue;
    if (!parent.metadata.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--parent_metadata=", value, ": the parent ", name,
                       " already has its metadata (", parent.metadata, ")"));
    }
    parent.metadata = std::string(value.substr(eq + 1));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("--parent_metadata=", value,
                                                 ": no --parent=", name,
                                                 "=PATH.tar.zst is given"));
}

absl::Status CheckParentsHaveMetadata(const std::vector<ParentImage>& parents) {
  for (const ParentImage& parent : parents) {
    if (parent.metadata.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--parent=", parent.name, "=", parent.tarball,
          " needs its NAME.image.json: add --parent_metadata=", parent.name,
          "=PATH.image.json (written with that tarball)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExternalBase> ParseBaseFlag(absl::string_view value) {
  constexpr absl::string_view kMarker = "@sha256:";
  size_t at = value.find(kMarker);
  size_t hex_start = at + kMarker.size();
  if (at == absl::string_view::npos || at == 0 ||
      value.size() < hex_start + 64 ||
      !IsSha256Hex(value.substr(hex_start, 64)) ||
      value.size() < hex_start + 66 || value[hex_start + 64] != '=') {
    return absl::InvalidArgumentError(absl::StrCat(
        "--base=", value,
        ": expected REPOSITORY@sha256:<64 lowercase hex digits>=PATH (the "
        "pinned reference as the Dockerfile names it, and its "
        "docker-archive)"));
  }
  return ExternalBase{std::string(value.substr(0, hex_start + 64)),
                      std::string(value.substr(at + 1, 7 + 64)),
                      std::string(value.substr(hex_start + 65))};
}

absl::StatusOr<std::pair<std::string, std::string>> ParseBuildArgFlag(
    absl::string_view value) {
  size_t eq = value.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--build_arg=", value, ": expected KEY=VALUE"));
  }
  return std::make_pair(std::string(value.substr(0, eq)),
                        std::string(value.substr(eq + 1)));
}

}  // namespace imagegraph
