#include "tools/imagegen/build_file.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/tree/reference_map.h"

namespace imagegraph {
namespace {

int SortPhase(absl::string_view s) {
  if (absl::StartsWith(s, ":")) return 1;
  if (absl::StartsWith(s, "//")) return 2;
  if (absl::StartsWith(s, "@")) return 3;
  return 0;
}

std::vector<std::string> SortSplit(absl::string_view s) {
  return absl::StrSplit(s, absl::ByAnyChar(".:"));
}

std::vector<std::string> BuildifierSorted(std::vector<std::string> values) {
  std::stable_sort(values.begin(), values.end(),
                   [](const std::string& a, const std::string& b) {
                     return BuildifierLess(a, b);
                   });
  return values;
}

// `    name = [...]` formatted as buildifier formats a list in a BUILD call:
// one element on the line, more one per line.
void AppendList(std::string* out, absl::string_view name,
                const std::vector<std::string>& values) {
  if (values.empty()) return;
  if (values.size() == 1) {
    absl::StrAppend(out, "    ", name, " = [", StarlarkString(values[0]),
                    "],\n");
    return;
  }
  absl::StrAppend(out, "    ", name, " = [\n");
  for (const std::string& value : values) {
    absl::StrAppend(out, "        ", StarlarkString(value), ",\n");
  }
  absl::StrAppend(out, "    ],\n");
}

void AppendDict(std::string* out, absl::string_view name,
                const std::vector<std::pair<std::string, std::string>>& items) {
  if (items.empty()) return;
  if (items.size() == 1) {
    absl::StrAppend(out, "    ", name, " = {", StarlarkString(items[0].first),
                    ": ", StarlarkString(items[0].second), "},\n");
    return;
  }
  absl::StrAppend(out, "    ", name, " = {\n");
  for (const auto& [key, value] : items) {
    absl::StrAppend(out, "        ", StarlarkString(key), ": ",
                    StarlarkString(value), ",\n");
  }
  absl::StrAppend(out, "    },\n");
}

void AppendString(std::string* out, absl::string_view name,
                  absl::string_view value) {
  if (value.empty()) return;
  absl::StrAppend(out, "    ", name, " = ", StarlarkString(value), ",\n");
}

std::string RenderImage(const ImageFolder& image,
                        const BuildFileOptions& options) {
  std::string out = "docker_image(\n";
  // Arguments in buildifier's order: name, srcs, then alphabetical.
  AppendString(&out, "name", image.name);
  std::vector<std::string> srcs;
  for (const std::string& file : image.files) {
    srcs.push_back(absl::StrCat(image.name, "/", file));
  }
  AppendList(&out, "srcs", BuildifierSorted(srcs));
  AppendDict(&out, "build_args", image.build_args);
  AppendString(&out, "dockerfile", absl::StrCat(image.name, "/Dockerfile"));
  AppendDict(&out, "extra_files", image.extra_files);
  AppendString(&out, "hash", image.hash_file);
  AppendList(&out, "includes", BuildifierSorted(image.include_labels));
  if (!image.declared_parent.empty()) {
    AppendString(&out, "parent", absl::StrCat(":", image.declared_parent));
  }
  const ReferenceMap references = MakeReferenceMap(image.references);
  AppendDict(&out, "references",
             std::vector<std::pair<std::string, std::string>>(
                 references.begin(), references.end()));
  AppendString(&out, "registry", image.registry_file);
  AppendList(&out, "tags", BuildifierSorted(options.image_tags));
  AppendString(&out, "version", image.version_file);
  AppendList(&out, "visibility", BuildifierSorted(options.image_visibility));
  absl::StrAppend(&out, ")\n");
  return out;
}

std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

bool BuildifierLess(absl::string_view a, absl::string_view b) {
  int phase_a = SortPhase(a), phase_b = SortPhase(b);
  if (phase_a != phase_b) return phase_a < phase_b;
  std::vector<std::string> split_a = SortSplit(a), split_b = SortSplit(b);
  for (size_t i = 0; i < split_a.size() && i < split_b.size(); ++i) {
    if (split_a[i] != split_b[i]) return split_a[i] < split_b[i];
  }
  if (split_a.size() != split_b.size()) return split_a.size() < split_b.size();
  return a < b;
}

std::string StarlarkString(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string RenderGeneratedRegion(const ImageTree& tree,
                                  const BuildFileOptions& options) {
  std::string out =
      absl::StrCat(kBeginMarker, " by `bazel run //", tree.images_dir,
                   ":update` from the image folders; do not edit\n");
  for (const ImageFolder& image : tree.images) {
    absl::StrAppend(&out, RenderImage(image, options), "\n");
  }
  std::vector<std::string> labels;
  for (const ImageFolder& image : tree.images) {
    labels.push_back(absl::StrCat(":", image.name));
  }
  absl::StrAppend(&out, "image_graph(\n");
  AppendString(&out, "name", options.graph_name);
  if (labels.empty()) {
    absl::StrAppend(&out, "    images = [],\n");
  } else {
    AppendList(&out, "images", BuildifierSorted(labels));
  }
  absl::StrAppend(&out, ")\n\n", kEndMarker, "\n");
  return out;
}

absl::StatusOr<std::string> UpdateBuildFile(
    const std::optional<std::string>& existing, const ImageTree& tree,
    const BuildFileOptions& options, absl::string_view display_path) {
  const std::string region = RenderGeneratedRegion(tree, options);
  if (!existing.has_value()) {
    return absl::StrCat(
        "# The image tree: one docker_image per image folder, and the graph.\n"
        "# `bazel run //",
        tree.images_dir,
        ":update` regenerates the region between the BEGIN and\n"
        "# END lines from the folders; write other targets outside it.\n"
        "\n"
        "load(",
        StarlarkString(options.defs_bzl),
        ", \"docker_image\", \"image_graph\")\n"
        "\n",
        region);
  }
  const std::string& text = *existing;
  size_t begin = std::string::npos, end = std::string::npos;
  int begin_count = 0, end_count = 0;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    size_t next = line_end == std::string::npos ? text.size() : line_end + 1;
    absl::string_view line(text.data() + line_start, next - line_start);
    if (absl::StartsWith(line, kBeginMarker)) {
      ++begin_count;
      begin = line_start;
    } else if (absl::StartsWith(line, kEndMarker)) {
      ++end_count;
      end = next;
    }
    line_start = next;
  }
  if (begin_count == 0 && end_count == 0) {
    std::string out = text;
    if (!out.empty() && out.back() != '\n') out += "\n";
    if (!out.empty()) out += "\n";
    return absl::StrCat(out, region);
  }
  if (begin_count != 1 || end_count != 1 || end < begin) {
    return absl::InvalidArgumentError(absl::StrCat(
        display_path, ": the generated region is damaged (", begin_count,
        " lines starting \"", kBeginMarker, "\", ", end_count, " starting \"",
        kEndMarker,
        "\", in that order expected once each): delete the region, then run "
        "`bazel run //",
        tree.images_dir, ":update` to write it again"));
  }
  return absl::StrCat(text.substr(0, begin), region, text.substr(end));
}

std::string ShortDiff(absl::string_view old_text, absl::string_view new_text,
                      absl::string_view old_name, absl::string_view new_name) {
  std::vector<absl::string_view> a = Lines(old_text), b = Lines(new_text);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
    ++prefix;
  }
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  // The edit script: ' ' keeps a line, '-' drops a[i], '+' adds b[j].
  struct Edit {
    char op;
    absl::string_view line;
    size_t old_line;  // 1-based line in `a` where it applies
  };
  std::vector<Edit> edits;
  for (size_t i = 0; i < prefix; ++i) edits.push_back({' ', a[i], i + 1});
  const size_t m = a.size() - prefix - suffix, n = b.size() - prefix - suffix;
  if (m * n <= 4000000) {
    // Longest common subsequence of the differing middle.
    std::vector<std::vector<int>> lcs(m + 1, std::vector<int>(n + 1, 0));
    for (size_t i = m; i-- > 0;) {
      for (size_t j = n; j-- > 0;) {
        lcs[i][j] = a[prefix + i] == b[prefix + j]
                        ? lcs[i + 1][j + 1] + 1
                        : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    size_t i = 0, j = 0;
    while (i < m || j < n) {
      if (i < m && j < n && a[prefix + i] == b[prefix + j]) {
        edits.push_back({' ', a[prefix + i], prefix + i + 1});
        ++i, ++j;
      } else if (i < m && (j == n || lcs[i + 1][j] >= lcs[i][j + 1])) {
        // Removals first, as diff -u shows them.
        edits.push_back({'-', a[prefix + i], prefix + i + 1});
        ++i;
      } else {
        edits.push_back({'+', b[prefix + j], prefix + i + 1});
        ++j;
      }
    }
  } else {
    for (size_t i = 0; i < m; ++i) {
      edits.push_back({'-', a[prefix + i], prefix + i + 1});
    }
    for (size_t j = 0; j < n; ++j) {
      edits.push_back({'+', b[prefix + j], prefix + m + 1});
    }
  }
  for (size_t i = a.size() - suffix; i < a.size(); ++i) {
    edits.push_back({' ', a[i], i + 1});
  }

  constexpr size_t kContext = 3;
  constexpr int kMaxChanged = 40;
  std::vector<bool> shown(edits.size(), false);
  for (size_t k = 0; k < edits.size(); ++k) {
    if (edits[k].op == ' ') continue;
    size_t from = k > kContext ? k - kContext : 0;
    size_t to = std::min(edits.size(), k + kContext + 1);
    for (size_t x = from; x < to; ++x) shown[x] = true;
  }
  std::string out = absl::StrCat("--- ", old_name, "\n+++ ", new_name, "\n");
  int changed = 0;
  bool in_hunk = false;
  for (size_t k = 0; k < edits.size(); ++k) {
    if (!shown[k]) {
      in_hunk = false;
      continue;
    }
    if (!in_hunk) {
      absl::StrAppendFormat(&out, "@@ line %d @@\n", edits[k].old_line);
      in_hunk = true;
    }
    if (edits[k].op != ' ' && ++changed > kMaxChanged) {
      absl::StrAppend(&out, "...\n");
      break;
    }
    absl::StrAppend(&out, std::string(1, edits[k].op), edits[k].line, "\n");
  }
  return out;
}

}  // namespace imagegraph
