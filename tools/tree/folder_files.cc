#include "tools/tree/folder_files.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/tree/ignore_matcher.h"

namespace imagegraph {
namespace {

bool IsArgName(absl::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseBuildArgsFile(absl::string_view text, absl::string_view display_path) {
  std::vector<std::pair<std::string, std::string>> args;
  absl::flat_hash_set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "#")) continue;
    size_t equals = trimmed.find('=');
    std::string where = absl::StrCat(display_path, ":", line_number);
    if (equals == absl::string_view::npos ||
        !IsArgName(trimmed.substr(0, equals))) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": \"", trimmed, "\" is not NAME=value"));
    }
    std::string name(trimmed.substr(0, equals));
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", name, " is set twice: keep one line"));
    }
    args.emplace_back(name, std::string(trimmed.substr(equals + 1)));
  }
  std::sort(args.begin(), args.end());
  return args;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseExtraFilesFile(absl::string_view text, absl::string_view display_path) {
  std::map<std::string, std::string> files;
  absl::flat_hash_set<std::string> paths;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "#")) continue;
    std::vector<std::string> parts =
        absl::StrSplit(trimmed, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    std::string where = absl::StrCat(display_path, ":", line_number);
    if (parts.size() != 2 ||
        !(absl::StartsWith(parts[0], "//") || absl::StartsWith(parts[0], ":") ||
          absl::StartsWith(parts[0], "@"))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": \"", trimmed,
          "\" is not LABEL PATH (e.g. //images:bookworm_rootfs rootfs.tar)"));
    }
    const std::string& path = parts[1];
    if (path.front() == '/' || CleanPath(path) != path ||
        absl::StartsWith(path, "../")) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", path,
          " must be a clean path inside the image folder (no leading /, . "
          "or ..)"));
    }
    if (files.count(parts[0]) != 0 || !paths.insert(path).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", parts[0], " or ", path,
                       " is listed twice: keep one line"));
    }
    files[parts[0]] = path;
  }
  return std::vector<std::pair<std::string, std::string>>(files.begin(),
                                                          files.end());
}

}  // namespace imagegraph
