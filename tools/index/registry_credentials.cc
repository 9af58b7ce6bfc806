#include "tools/index/registry_credentials.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"

namespace imagegraph {
namespace {

// "https://HOST/v1/" (Docker's way of writing a key) -> "HOST".
std::string NormalizeAuthKey(absl::string_view key) {
  absl::ConsumePrefix(&key, "https://");
  absl::ConsumePrefix(&key, "http://");
  while (absl::ConsumeSuffix(&key, "/")) {
  }
  if (!absl::ConsumeSuffix(&key, "/v1")) absl::ConsumeSuffix(&key, "/v2");
  return std::string(key);
}

}  // namespace

std::string RegistryLoginHint(absl::string_view host) {
  return absl::StrCat(
      "run `skopeo login ", host,
      "` (or podman/docker login), or point REGISTRY_AUTH_FILE at an "
      "auth.json that holds credentials for it");
}

std::vector<std::string> RegistryAuthFiles() {
  std::vector<std::string> files;
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE");
      file != nullptr && *file != '\0') {
    files.push_back(file);
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
      runtime != nullptr && *runtime != '\0') {
    files.push_back(absl::StrCat(runtime, "/containers/auth.json"));
  }
  // imagebuild looks up its index from inside a Bazel action, without HOME.
  if (const std::optional<std::string> home = HomeDirectory(); home) {
    files.push_back(absl::StrCat(*home, "/.config/containers/auth.json"));
    files.push_back(absl::StrCat(*home, "/.docker/config.json"));
  }
  return files;
}

absl::StatusOr<std::optional<RegistryCredentials>> FindRegistryCredentials(
    absl::string_view host, absl::string_view repo,
    const std::vector<std::string>& files) {
  // Most specific first: HOST/a/b/c, HOST/a/b, HOST/a, HOST.
  std::vector<std::string> candidates;
  std::string path = absl::StrCat(host, "/", repo);
  while (true) {
    candidates.push_back(path);
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) break;
    path.resize(slash);
  }
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    if (absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    google::protobuf::Struct document;
    if (!google::protobuf::util::JsonStringToMessage(*text, &document).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": not a JSON auth file (as `skopeo login` writes it)"));
    }
    auto auths = document.fields().find("auths");
    if (auths == document.fields().end()) continue;
    absl::flat_hash_map<std::string, std::string> by_key;
    for (const auto& [key, entry] : auths->second.struct_value().fields()) {
      auto auth = entry.struct_value().fields().find("auth");
      if (auth != entry.struct_value().fields().end() &&
          !auth->second.string_value().empty()) {
        by_key[NormalizeAuthKey(key)] = auth->second.string_value();
      }
    }
    for (const std::string& candidate : candidates) {
      auto found = by_key.find(candidate);
      if (found != by_key.end()) {
        return RegistryCredentials{found->second, file};
      }
    }
  }
  return std::nullopt;
}

}  // namespace imagegraph
