#include "tools/index/namespaces.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kRoot = "docker.images.v2.level-";

bool IsNamespaceChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

}  // namespace

std::string LevelPrefix(int level) { return absl::StrCat(kRoot, level, "."); }

std::string LatestNamespace(int level, absl::string_view name) {
  return absl::StrCat(LevelPrefix(level), name, ".latest");
}

std::string PushdatePrefix(int level, absl::string_view name) {
  return absl::StrCat(LevelPrefix(level), name, ".pushdate");
}

std::string PushdateNamespace(int level, absl::string_view name,
                              absl::Time when) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  return absl::StrCat(PushdatePrefix(level, name), ".",
                      absl::FormatTime("%Y.%m-%d-%Y%m%d%H%M%S", when, utc));
}

std::string RegistryTagForNamespace(absl::string_view ns) {
  if (ns.size() <= kMaxRegistryTagLength) return std::string(ns);
  return absl::StrCat(ns.substr(0, kShortenedTagPrefixLength), "-",
                      Sha256Hex(ns).substr(0, 16));
}

std::string LevelRepository(absl::string_view repo, int level) {
  return absl::StrCat(repo, "/level-", level);
}

std::string HashNamespace(int level, absl::string_view name,
                          absl::string_view context_hash) {
  return absl::StrCat(LevelPrefix(level), name, ".hash.", context_hash);
}

absl::Status ValidateLevel(int level) {
  if (level < kMinLevel || level > kMaxLevel) {
    return absl::InvalidArgumentError(
        absl::StrCat("level ", level, " is out of range: use 1, 2 or 3 ",
                     "(3 is the trusted level)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateContextHash(absl::string_view context_hash) {
  if (!IsSha256Hex(context_hash)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context hash \"", context_hash,
        "\" is invalid: expected 64 lowercase hex digits (the content of "
        "NAME.context_hash)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespace(absl::string_view ns) {
  if (ns.empty() || ns.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace \"", ns, "\" must have 1 to 255 characters"));
  }
  for (absl::string_view component : absl::StrSplit(ns, '.')) {
    if (component.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "namespace \"", ns,
          "\" has an empty component: separate components with single dots"));
    }
    for (char c : component) {
      if (!IsNamespaceChar(c)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "namespace \"", ns, "\" contains '", std::string(1, c),
            "': use only letters, digits, '_', '-' and '.' between "
            "components"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> NamespaceLevel(absl::string_view ns) {
  absl::string_view rest = ns;
  int level = 0;
  if (!absl::ConsumePrefix(&rest, kRoot) || rest.size() < 2 || rest[1] != '.' ||
      !absl::SimpleAtoi(rest.substr(0, 1), &level) ||
      !ValidateLevel(level).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "namespace \"", ns, "\" is not a level namespace: it must start with ",
        kRoot, "{1,2,3}."));
  }
  return level;
}

absl::StatusOr<NamespaceClaims> ParseNamespaceClaims(absl::string_view ns) {
  NamespaceClaims claims;
  IG_ASSIGN_OR_RETURN(claims.level, NamespaceLevel(ns));
  absl::string_view rest = ns.substr(LevelPrefix(claims.level).size());
  const size_t dot = rest.find('.');
  if (dot == absl::string_view::npos) return claims;
  const absl::string_view name = rest.substr(0, dot);
  const absl::string_view route = rest.substr(dot + 1);
  if (route == "latest" || absl::StartsWith(route, "pushdate.")) {
    claims.name = std::string(name);
  } else if (absl::StartsWith(route, "hash.") &&
             route.find('.', 5) == absl::string_view::npos) {
    claims.name = std::string(name);
    claims.context_hash = std::string(route.substr(5));
  }
  return claims;
}

}  // namespace imagegraph
