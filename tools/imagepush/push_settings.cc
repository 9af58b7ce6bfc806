#include "tools/imagepush/push_settings.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/index/namespaces.h"

namespace imagegraph {
namespace {

constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-';
}

bool FileExists(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0;
}

// Docker's path-component grammar: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*.
bool IsRepositoryComponent(absl::string_view component) {
  if (component.empty() || !IsLowerAlnum(component.front()) ||
      !IsLowerAlnum(component.back())) {
    return false;
  }
  for (size_t i = 0; i < component.size(); ++i) {
    char c = component[i];
    if (IsLowerAlnum(c) || c == '-') continue;
    if (c == '.' || c == '_') {
      // '.' and '_' separate alphanumeric runs; "__" is the one allowed pair.
      if (c == '_' && i + 1 < component.size() && component[i + 1] == '_') {
        ++i;
      }
      if (!IsLowerAlnum(component[i + 1])) return false;
      continue;
    }
    return false;
  }
  return true;
}

// Trailing slashes would make "host//name".
std::string StripRegistry(absl::string_view registry) {
  while (absl::ConsumeSuffix(&registry, "/")) {
  }
  return std::string(registry);
}

}  // namespace

absl::Status ValidateRegistry(absl::string_view registry) {
  // "host/path/" is fine; the slash is dropped by StripRegistry.
  while (absl::ConsumeSuffix(&registry, "/")) {
  }
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "registry \"", registry, "\" ", why,
        "; write it as HOST[:PORT][/PATH], e.g. registry.example.com:5000/ci"));
  };
  if (registry.empty()) return bad("is empty");
  if (absl::StrContains(registry, "://")) return bad("has a URL scheme");
  if (absl::StrContains(registry, "@")) return bad("has a digest");
  std::vector<absl::string_view> parts = absl::StrSplit(registry, '/');
  absl::string_view host_port = parts.front();
  absl::string_view host = host_port;
  size_t colon = host_port.rfind(':');
  if (colon != absl::string_view::npos) {
    host = host_port.substr(0, colon);
    absl::string_view port = host_port.substr(colon + 1);
    int port_number = 0;
    if (!absl::SimpleAtoi(port, &port_number) || port_number <= 0 ||
        port_number > 65535) {
      return bad(absl::StrCat("has a bad port \"", port, "\""));
    }
  }
  if (host.empty()) return bad("has no host");
  for (char c : host) {
    if (!IsHostChar(c))
      return bad(absl::StrCat("has a bad host \"", host, "\""));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!IsRepositoryComponent(parts[i])) {
      return bad(absl::StrCat("has a bad path component \"", parts[i],
                              "\" (lowercase letters, digits, '.', '_', '-')"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRepositoryComponent(absl::string_view name) {
  if (!IsRepositoryComponent(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image name \"", name,
        "\" is not a valid repository name; rename the folder to lowercase "
        "letters, digits and '.', '_', '-' between them"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTag(absl::string_view tag) {
  bool ok = !tag.empty() && tag.size() <= kMaxTagLength &&
            (absl::ascii_isalnum(static_cast<unsigned char>(tag[0])) ||
             tag[0] == '_');
  for (char c : tag) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '.' || c == '-')) {
      ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag \"", tag,
        "\" is not a valid tag; use letters, digits, '_', '.' and '-' (not "
        "first), at most 128 characters, e.g. 1.4.2"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDigest(absl::string_view digest) {
  if (!IsSha256Digest(digest)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", digest,
                     "\" is not a digest; expected sha256: followed by 64 "
                     "lowercase hex digits"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseRegistryIndexUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "registry://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--index=", url,
                     ": only OCI-registry indexes can be pushed to; write "
                     "--index=registry://HOST[:PORT]/PATH"));
  }
  absl::Status valid = ValidateRegistry(rest);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--index=", url, ": ", valid.message()));
  }
  return std::string(rest);
}

absl::StatusOr<std::vector<std::string>> IndexTags(
    int level, absl::string_view name, absl::string_view context_hash) {
  if (absl::Status valid = ValidateLevel(level); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--level=", level, ": ", valid.message()));
  }
  if (absl::Status valid = ValidateContextHash(context_hash); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(valid.message(), "; rebuild the image"));
  }
  return std::vector<std::string>{
      RegistryTagForNamespace(HashNamespace(level, name, context_hash)),
      RegistryTagForNamespace(LatestNamespace(level, name))};
}

absl::StatusOr<PushSettings> ResolvePushSettings(const PushSources& sources) {
  PushSettings settings;
  IG_RETURN_IF_ERROR(ValidateRepositoryComponent(sources.name));

  if (!sources.registry_override.empty()) {
    absl::Status valid = ValidateRegistry(sources.registry_override);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--registry=", sources.registry_override, ": ", valid.message()));
    }
    settings.registry = StripRegistry(sources.registry_override);
  } else if (!sources.registry_file.empty()) {
    IG_ASSIGN_OR_RETURN(
        settings.registry,
        ReadOneLineFile(sources.registry_file, kRegistryFileHolds));
    absl::Status valid = ValidateRegistry(settings.registry);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.registry_file, ":1: ", valid.message()));
    }
    settings.registry = StripRegistry(settings.registry);
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        "no registry for image ", sources.name, ": add a REGISTRY file to ",
        sources.folder.empty() ? "the image folder" : sources.folder,
        " or to the image tree's root, or pass --registry=HOST[:PORT]/PATH"));
  }
  // Trailing slashes would make "host//name".
  settings.repository = absl::StrCat(settings.registry, "/", sources.name);

  if (!sources.version_file.empty()) {
    IG_ASSIGN_OR_RETURN(
        settings.tag, ReadOneLineFile(sources.version_file, kVersionFileHolds));
    absl::Status valid = ValidateTag(settings.tag);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.version_file, ":1: ", valid.message()));
    }
  } else {
    settings.tag = "latest";
    settings.tag_defaulted = true;
  }

  std::string hash_path = sources.hash_file;
  if (hash_path.empty() && FileExists(sources.source_hash_path)) {
    hash_path = sources.source_hash_path;
  }
  if (!hash_path.empty()) {
    IG_ASSIGN_OR_RETURN(std::string hash,
                        ReadOneLineFile(hash_path, kHashFileHolds));
    absl::Status valid = ValidateDigest(hash);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          hash_path, ":1: ", valid.message(),
          "; fix it, or delete the file and push with --update-hash"));
    }
    settings.hash = hash;
    settings.hash_origin = hash_path;
  }
  return settings;
}

std::string RerunCommand(absl::string_view target,
                         const std::vector<std::string>& args,
                         const std::vector<std::string>& rule_flags) {
  std::vector<std::string> kept;
  for (const std::string& arg : args) {
    absl::string_view name = arg;
    if (absl::ConsumePrefix(&name, "--")) {
      const std::string flag =
          absl::StrReplaceAll(name.substr(0, name.find('=')), {{"-", "_"}});
      if (flag == "update_hash" || flag == "noupdate_hash" ||
          std::find(rule_flags.begin(), rule_flags.end(), flag) !=
              rule_flags.end()) {
        continue;
      }
    }
    kept.push_back(arg);
  }
  std::string command = absl::StrCat("bazel run ", target);
  if (!kept.empty()) absl::StrAppend(&command, " --");
  for (const std::string& arg : kept) {
    const bool plain =
        !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                 absl::string_view("-_=./:@,+%").find(c) !=
                     absl::string_view::npos;
        });
    absl::StrAppend(
        &command, " ",
        plain ? arg
              : absl::StrCat("'", absl::StrReplaceAll(arg, {{"'", "'\\''"}}),
                             "'"));
  }
  return command;
}

}  // namespace imagegraph
