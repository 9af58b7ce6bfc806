// Index namespaces, the one place that names them (no network code: the
// graph and push tools use it without linking the index backends):
//   docker.images.v2.level-{level}.{name}.latest
//   docker.images.v2.level-{level}.{name}.pushdate.{YYYY}.{MM}-{DD}-{YYYYMMDDHHMMSS}
//   docker.images.v2.level-{level}.{name}.hash.{context_hash}
// and, in a registry index at REPO, the repository of a level's tags:
//   REPO/level-{level}
#ifndef IMAGEGRAPH_TOOLS_INDEX_NAMESPACES_H_
#define IMAGEGRAPH_TOOLS_INDEX_NAMESPACES_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/common/image_name.h"  // ValidateImageName

namespace imagegraph {

inline constexpr int kMinLevel = 1;
inline constexpr int kMaxLevel = 3;  // The trusted level.
// The level of a writer that names none: the least trusted. It is also the
// default of the build setting //rules:index_level.
inline constexpr int kDefaultLevel = kMinLevel;

// "docker.images.v2.level-{level}."
std::string LevelPrefix(int level);
std::string LatestNamespace(int level, absl::string_view name);
std::string PushdateNamespace(int level, absl::string_view name,
                              absl::Time when);
std::string HashNamespace(int level, absl::string_view name,
                          absl::string_view context_hash);
// "docker.images.v2.level-{level}.{name}.pushdate", which every pushdate
// namespace of the image extends.
std::string PushdatePrefix(int level, absl::string_view name);

// The registry tag that holds namespace `ns` in an OCI registry: the
// namespace itself, or, when it is longer than a tag may be, its first
// kShortenedTagPrefixLength characters, '-', and 16 hex digits of its sha256.
inline constexpr size_t kMaxRegistryTagLength = 128;
inline constexpr size_t kShortenedTagPrefixLength = 111;
std::string RegistryTagForNamespace(absl::string_view ns);

// The repository of a registry index at REPO that holds the namespaces of
// `level` as tags: "REPO/level-{level}".
std::string LevelRepository(absl::string_view repo, int level);

absl::Status ValidateLevel(int level);
absl::Status ValidateContextHash(absl::string_view context_hash);

// A namespace is dot-separated, non-empty components of [A-Za-z0-9_-] (so it
// is also a valid registry tag character set), at most 255 characters.
absl::Status ValidateNamespace(absl::string_view ns);

// The level of a docker.images.v2.level-N.* namespace.
absl::StatusOr<int> NamespaceLevel(absl::string_view ns);

// What a namespace says about the entry stored under it: its level, and for
// the hash, latest and pushdate routes the image's name (and for the hash
// route its context hash). Extra namespaces say only their level.
struct NamespaceClaims {
  int level = 0;
  std::string name;          // empty for an extra namespace
  std::string context_hash;  // the hash route's only
};
absl::StatusOr<NamespaceClaims> ParseNamespaceClaims(absl::string_view ns);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_NAMESPACES_H_
