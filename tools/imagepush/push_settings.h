// What one push needs to know, read from the image folder's REGISTRY,
// VERSION and HASH files (or flags), validated, and the references derived
// from it.
#ifndef IMAGEGRAPH_TOOLS_IMAGEPUSH_PUSH_SETTINGS_H_
#define IMAGEGRAPH_TOOLS_IMAGEPUSH_PUSH_SETTINGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// A registry, optionally with a repository prefix: "HOST[:PORT][/PATH...]".
// No scheme, no tag, no digest; path components are lowercase
// ([a-z0-9]+ separated by '.', '_', '__' or '-').
absl::Status ValidateRegistry(absl::string_view registry);

// An image name: one lowercase repository path component.
absl::Status ValidateRepositoryComponent(absl::string_view name);

// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
absl::Status ValidateTag(absl::string_view tag);

// "sha256:" followed by 64 lowercase hex digits.
absl::Status ValidateDigest(absl::string_view digest);

// "registry://HOST[:PORT][/PATH]" → "HOST[:PORT][/PATH]" (validated).
absl::StatusOr<std::string> ParseRegistryIndexUrl(absl::string_view url);

// The tags an image gets in an OCI-registry index: those of its hash and
// latest namespaces at `level` (tools/index/namespaces.h), shortened as the
// index shortens namespaces too long for a tag.
absl::StatusOr<std::vector<std::string>> IndexTags(
    int level, absl::string_view name, absl::string_view context_hash);

// Where the registry, version and pinned digest of an image come from.
struct PushSources {
  std::string name;    // The image name ("lint").
  std::string folder;  // Its folder, repository-relative ("images/lint").
  // --registry=; wins over the REGISTRY file.
  std::string registry_override;
  // The REGISTRY file (the folder's, else the tree's).
  std::string registry_file;
  // The VERSION file; none means the tag `latest`.
  std::string version_file;
  // The HASH file as seen by the build, and the source tree's copy (read
  // when the build had none, and rewritten by --update-hash).
  std::string hash_file;
  std::string source_hash_path;
};

struct PushSettings {
  std::string registry;             // "host:port/path"
  std::string repository;           // registry + "/" + name
  std::string tag;                  // the version tag
  bool tag_defaulted = false;       // true when VERSION was missing
  std::optional<std::string> hash;  // the pinned "sha256:..." digest
  std::string hash_origin;          // the file the pin came from
};

// Reads and validates everything; every error names the file or flag at
// fault and says how to fix it.
absl::StatusOr<PushSettings> ResolvePushSettings(const PushSources& sources);

// The command a user types to push again: `bazel run TARGET -- ARGS`, ARGS
// being `args` (the push tool's arguments) without the flags named in
// `rule_flags` (the rule's own, in either spelling) nor --update-hash, each
// quoted for the shell when it needs it. Callers append what they advise
// (--update-hash).
std::string RerunCommand(absl::string_view target,
                         const std::vector<std::string>& args,
                         const std::vector<std::string>& rule_flags);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEPUSH_PUSH_SETTINGS_H_
