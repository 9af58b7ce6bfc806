#include "tools/decision/rebuild_reason.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace imagegraph {
namespace {

// "" (changed), " (new)" or " (removed)".
absl::string_view Side(const ManifestChange& change) {
  if (change.before.empty()) return " (new)";
  if (change.after.empty()) return " (removed)";
  return "";
}

std::string Plural(size_t count, absl::string_view one,
                   absl::string_view many) {
  return absl::StrCat(count, " ", count == 1 ? one : many);
}

}  // namespace

RebuildChanges SummarizeChanges(const std::vector<ManifestChange>& changes,
                                absl::string_view folder) {
  RebuildChanges summary;
  for (const ManifestChange& change : changes) {
    switch (change.kind) {
      case ManifestChange::Kind::kFile:
        summary.files.push_back(absl::StrCat(
            RepositoryPathOfManifestFile(folder, change.key), Side(change)));
        break;
      case ManifestChange::Kind::kParent:
        if (change.before.empty()) {
          summary.added_parents.push_back(change.key);
        } else if (change.after.empty()) {
          summary.removed_parents.push_back(change.key);
        } else {
          summary.changed_parents.push_back(change.key);
        }
        break;
      case ManifestChange::Kind::kArg:
        summary.args.push_back(absl::StrCat(change.key, Side(change)));
        break;
    }
  }
  return summary;
}

std::string DescribeRebuild(
    const RebuildChanges& changes, absl::string_view since,
    const std::function<bool(absl::string_view)>& parent_builds) {
  std::vector<std::string> parts;
  if (!changes.files.empty()) {
    std::vector<std::string> named(
        changes.files.begin(),
        changes.files.begin() +
            std::min<size_t>(changes.files.size(), kMaxListedFiles));
    std::string list = absl::StrJoin(named, ", ");
    if (changes.files.size() > named.size()) {
      absl::StrAppend(&list, " and ", changes.files.size() - named.size(),
                      " more");
    }
    parts.push_back(absl::StrCat(Plural(changes.files.size(), "file", "files"),
                                 " changed since ", since, ": ", list));
  }
  std::vector<std::string> rebuilt, changed;
  for (const std::string& parent : changes.changed_parents) {
    (parent_builds(parent) ? rebuilt : changed).push_back(parent);
  }
  if (!rebuilt.empty()) {
    parts.push_back(absl::StrCat(rebuilt.size() == 1 ? "parent " : "parents ",
                                 absl::StrJoin(rebuilt, ", "), " rebuilt"));
  }
  if (!changed.empty()) {
    parts.push_back(absl::StrCat(changed.size() == 1 ? "parent " : "parents ",
                                 absl::StrJoin(changed, ", "),
                                 " changed (already indexed)"));
  }
  if (!changes.added_parents.empty()) {
    parts.push_back(absl::StrCat("new parent ",
                                 absl::StrJoin(changes.added_parents, ", ")));
  }
  if (!changes.removed_parents.empty()) {
    parts.push_back(absl::StrCat("parent ",
                                 absl::StrJoin(changes.removed_parents, ", "),
                                 " no longer used"));
  }
  if (!changes.args.empty()) {
    parts.push_back(absl::StrCat(
        changes.args.size() == 1 ? "build argument " : "build arguments ",
        absl::StrJoin(changes.args, ", "), " changed"));
  }
  if (parts.empty()) {
    // Same manifest, hence the same context hash, yet not indexed under it:
    // the entry was removed while `latest` still names it.
    return absl::StrCat("nothing changed since ", since,
                        ", but its hash entry is gone");
  }
  return absl::StrJoin(parts, "; ");
}

std::string FormatManifestDiff(const std::vector<ManifestChange>& changes) {
  std::string text;
  for (const ManifestChange& change : changes) {
    if (!change.before.empty())
      absl::StrAppend(&text, "- ", change.before, "\n");
    if (!change.after.empty()) absl::StrAppend(&text, "+ ", change.after, "\n");
  }
  return text;
}

}  // namespace imagegraph
