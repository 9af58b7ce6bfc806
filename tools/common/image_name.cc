#include "tools/common/image_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace imagegraph {
namespace {

bool IsAlnum(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c));
}

// [a-z0-9]+((_|__|-+)[a-z0-9]+)*
bool FollowsTheRule(absl::string_view name) {
  if (name.empty() || name.size() > kMaxImageNameLength) return false;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < name.size() && IsAlnum(name[i])) ++i;
    if (i == start) return false;  // a separator must sit between alnums
    if (i == name.size()) return true;
    if (name[i] == '_') {
      ++i;
      if (i < name.size() && name[i] == '_') ++i;
    } else if (name[i] == '-') {
      while (i < name.size() && name[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

}  // namespace

absl::Status ValidateImageName(absl::string_view name) {
  if (FollowsTheRule(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "image name \"", absl::CEscape(name),
      "\" is invalid: use 1 to 128 lowercase letters, digits, and single "
      "'_', '__' or runs of '-' between them (a registry repository name; "
      "'.' is not allowed, index namespaces use it as their separator)"));
}

}  // namespace imagegraph
