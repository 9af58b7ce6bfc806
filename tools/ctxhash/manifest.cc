#include "tools/ctxhash/manifest.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace imagegraph {
namespace {

bool IsLowerHex64(absl::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'f');
         });
}

std::string FileLine(const ManifestFile& file) {
  return absl::StrCat(file.sha256_hex, file.mode == 0755 ? " 755 " : " 644 ",
                      file.path);
}

std::string ParentLine(const ManifestParent& parent) {
  return absl::StrCat("parent ", parent.context_hash, " ", parent.name);
}

std::string ArgLine(const ManifestArg& arg) {
  return absl::StrCat("arg ", arg.name, "=", arg.value);
}

// Appends a change for every key whose line differs between `before` and
// `after` (maps key -> whole line), in key order.
void DiffLines(ManifestChange::Kind kind,
               const std::map<std::string, std::string>& before,
               const std::map<std::string, std::string>& after,
               std::vector<ManifestChange>* changes) {
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      changes->push_back({kind, b->first, b->second, ""});
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      changes->push_back({kind, a->first, "", a->second});
      ++a;
    } else {
      if (b->second != a->second) {
        changes->push_back({kind, b->first, b->second, a->second});
      }
      ++b;
      ++a;
    }
  }
}

}  // namespace

absl::StatusOr<ContextManifest> ParseContextManifest(absl::string_view text,
                                                     absl::string_view source) {
  ContextManifest manifest;
  if (text.empty()) return manifest;
  if (!absl::EndsWith(text, "\n")) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": the manifest does not end with a newline (truncated?)"));
  }
  text.remove_suffix(1);
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", number, ": ", what, ": \"", line.substr(0, 120), "\""));
    };
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "parent ")) {
      const size_t space = rest.find(' ');
      if (space == rest.npos || !IsLowerHex64(rest.substr(0, space)) ||
          space + 1 == rest.size()) {
        return error("not a parent line (parent <context hash> <name>)");
      }
      manifest.parents.push_back({std::string(rest.substr(0, space)),
                                  std::string(rest.substr(space + 1))});
    } else if (absl::ConsumePrefix(&rest, "arg ")) {
      const size_t eq = rest.find('=');
      if (eq == rest.npos || eq == 0) {
        return error("not an argument line (arg <NAME>=<value>)");
      }
      manifest.args.push_back(
          {std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 1))});
    } else {
      if (!manifest.parents.empty() || !manifest.args.empty()) {
        return error("a file line after parent or argument lines");
      }
      if (rest.size() < 64 + 5 + 1 || !IsLowerHex64(rest.substr(0, 64)) ||
          (rest.substr(64, 5) != " 644 " && rest.substr(64, 5) != " 755 ")) {
        return error(
            "not a manifest line (<sha256> <644|755> <path>, parent ... or "
            "arg ...)");
      }
      ManifestFile file;
      file.sha256_hex = std::string(rest.substr(0, 64));
      file.mode = rest.substr(65, 3) == "755" ? 0755 : 0644;
      file.path = std::string(rest.substr(69));
      if (!manifest.files.empty() && manifest.files.back().path >= file.path) {
        return error("files are not sorted by path, or a path is listed twice");
      }
      manifest.files.push_back(std::move(file));
    }
  }
  return manifest;
}

const ManifestFile* FindManifestFile(const ContextManifest& manifest,
                                     absl::string_view path) {
  auto it = std::lower_bound(manifest.files.begin(), manifest.files.end(), path,
                             [](const ManifestFile& file, absl::string_view p) {
                               return file.path < p;
                             });
  if (it == manifest.files.end() || it->path != path) return nullptr;
  return &*it;
}

std::vector<ManifestChange> DiffContextManifests(const ContextManifest& before,
                                                 const ContextManifest& after) {
  std::vector<ManifestChange> changes;
  auto files = [](const ContextManifest& m) {
    std::map<std::string, std::string> lines;
    for (const ManifestFile& file : m.files) lines[file.path] = FileLine(file);
    return lines;
  };
  auto parents = [](const ContextManifest& m) {
    std::map<std::string, std::string> lines;
    for (const ManifestParent& p : m.parents) lines[p.name] = ParentLine(p);
    return lines;
  };
  auto args = [](const ContextManifest& m) {
    std::map<std::string, std::string> lines;
    for (const ManifestArg& arg : m.args) lines[arg.name] = ArgLine(arg);
    return lines;
  };
  DiffLines(ManifestChange::Kind::kFile, files(before), files(after), &changes);
  DiffLines(ManifestChange::Kind::kParent, parents(before), parents(after),
            &changes);
  DiffLines(ManifestChange::Kind::kArg, args(before), args(after), &changes);
  return changes;
}

bool IsPathInsideFolder(absl::string_view path) {
  if (path.empty() || absl::StartsWith(path, "/")) return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

std::string RepositoryPathOfManifestFile(absl::string_view folder,
                                         absl::string_view path) {
  if (absl::ConsumePrefix(&path, kIncludePrefix)) return std::string(path);
  if (folder.empty() || folder == ".") return std::string(path);
  return absl::StrCat(folder, "/", path);
}

}  // namespace imagegraph
