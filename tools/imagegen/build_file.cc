#include "tools/imagegen/build_file.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/status_macros.h"
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

// Where the tree's inputs outside its package live, by package.
struct OutsideInputs {
  // package ("" for the root) -> files and included directories, relative
  // to the package.
  std::map<std::string, std::set<std::string>> files;
  std::map<std::string, std::set<std::string>> dirs;
};

std::string RelativeTo(absl::string_view package, absl::string_view path) {
  return std::string(package.empty() ? path : path.substr(package.size() + 1));
}

std::string DirTarget(absl::string_view dir) {
  return absl::StrCat("imagegraph/", dir);
}

// The BUILD file of `package` as it is named on disk (BUILD.bazel when there
// is none yet: the generator writes one).
std::string BuildFileName(absl::string_view root, absl::string_view package) {
  const std::string dir =
      package.empty() ? std::string(root) : absl::StrCat(root, "/", package);
  std::error_code error;
  if (!std::filesystem::exists(dir + "/BUILD.bazel", error) &&
      std::filesystem::exists(dir + "/BUILD", error)) {
    return "BUILD";
  }
  return "BUILD.bazel";
}

// A word of a repository name: [A-Za-z0-9_], others become '_'.
std::string RepositoryWord(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

}  // namespace

std::string BaseRepositoryName(const ImageTree& tree,
                               absl::string_view pinned) {
  const size_t at = pinned.rfind('@');
  absl::string_view repository = pinned.substr(0, at);
  repository = repository.substr(repository.rfind('/') + 1);
  repository = repository.substr(0, repository.find(':'));
  const absl::string_view hex = pinned.substr(at + 1 + 7, 12);
  return absl::StrCat("base_", RepositoryWord(tree.images_dir), "_",
                      RepositoryWord(repository), "_", hex);
}

namespace {

class Labels {
 public:
  explicit Labels(const ImageTree& tree) : tree_(tree) {}

  // The label of a file (or, `dir`, of an included directory) relative to
  // the root, as the tree's package writes it; outside files are recorded.
  std::string Of(const std::string& path, bool dir) {
    const std::string package = FilePackage(tree_.root, tree_.images_dir, path);
    const std::string relative = RelativeTo(package, path);
    if (package == tree_.images_dir) return relative;
    (dir ? outside_.dirs : outside_.files)[package].insert(relative);
    return absl::StrCat("//", package, ":",
                        dir ? DirTarget(relative) : relative);
  }

  const OutsideInputs& outside() const { return outside_; }

 private:
  const ImageTree& tree_;
  OutsideInputs outside_;
};

bool IsDirectoryInclude(const TreeImage& image, const std::string& include) {
  // A file include pulls in exactly itself.
  return !std::binary_search(image.include_files.begin(),
                             image.include_files.end(), include);
}

std::vector<std::string> IncludeLabels(const ImageTree& tree,
                                       const TreeImage& image, Labels* labels) {
  std::set<std::string> out;
  for (const std::string& include : image.include_paths) {
    if (!IsDirectoryInclude(image, include)) {
      out.insert(labels->Of(include, false));
      continue;
    }
    if (FilePackage(tree.root, tree.images_dir, include + "/x") !=
        tree.images_dir) {
      // Outside: one glob in the directory's package, so that a new file
      // there is seen.
      out.insert(labels->Of(include, true));
      continue;
    }
    for (const std::string& file : image.include_files) {
      if (absl::StartsWith(file, include + "/")) {
        out.insert(labels->Of(file, false));
      }
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

std::string RenderImage(const ImageTree& tree, const TreeImage& image,
                        const BuildFileOptions& options, Labels* labels) {
  std::string out = "docker_image(\n";
  // Arguments in buildifier's order: name, srcs, then alphabetical.
  AppendString(&out, "name", image.name);
  std::map<std::string, std::string> bases;
  for (const ImageReference& ref : image.references) {
    if (ref.kind == ImageReference::Kind::kPinned) {
      bases.emplace(
          ref.pinned,
          absl::StrCat("@", BaseRepositoryName(tree, ref.pinned), "//:image"));
    }
  }
  std::vector<std::string> srcs;
  for (const std::string& file : image.files) {
    srcs.push_back(absl::StrCat(image.folder_name, "/", file));
  }
  AppendList(&out, "srcs", BuildifierSorted(srcs));
  AppendDict(&out, "bases",
             std::vector<std::pair<std::string, std::string>>(bases.begin(),
                                                              bases.end()));
  AppendDict(&out, "build_args", image.build_args);
  AppendString(&out, "dockerfile",
               absl::StrCat(image.folder_name, "/Dockerfile"));
  AppendDict(&out, "extra_files", image.extra_files);
  AppendString(&out, "hash", image.hash_file);
  AppendList(&out, "includes",
             BuildifierSorted(IncludeLabels(tree, image, labels)));
  if (!image.declared_parent.empty()) {
    AppendString(&out, "parent", absl::StrCat(":", image.declared_parent));
  }
  const ReferenceMap references = MakeReferenceMap(image.references);
  AppendDict(&out, "references",
             std::vector<std::pair<std::string, std::string>>(
                 references.begin(), references.end()));
  AppendString(&out, "registry", image.registry_file);
  if (image.run_task) {
    std::vector<std::string> run_task;
    for (const std::string& file : tree.run_task_files) {
      run_task.push_back(labels->Of(file, false));
    }
    AppendList(&out, "run_task", BuildifierSorted(run_task));
  }
  AppendList(&out, "tags", BuildifierSorted(options.image_tags));
  AppendString(&out, "version", image.version_file);
  AppendList(&out, "visibility", BuildifierSorted(options.image_visibility));
  absl::StrAppend(&out, ")\n");
  return out;
}

// The BUILD file of `package`: the one that exists, else BUILD.bazel.
std::string PackageBuildFile(absl::string_view package,
                             const FileReader& read) {
  const std::string dir = package.empty() ? "" : absl::StrCat(package, "/");
  const std::string bazel = absl::StrCat(dir, "BUILD.bazel");
  if (read(bazel).has_value()) return bazel;
  const std::string plain = absl::StrCat(dir, "BUILD");
  if (read(plain).has_value()) return plain;
  return bazel;
}

// Replaces the region between the lines starting `begin` and `end` (both
// kept in `region`); appends it when there is none; `fix` says how to write
// it again when it is damaged.
absl::StatusOr<std::string> ReplaceRegion(absl::string_view text,
                                          absl::string_view begin_marker,
                                          absl::string_view end_marker,
                                          absl::string_view region,
                                          absl::string_view display_path,
                                          absl::string_view fix) {
  size_t begin = std::string::npos, end = std::string::npos;
  int begin_count = 0, end_count = 0;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    size_t next = line_end == std::string::npos ? text.size() : line_end + 1;
    absl::string_view line = text.substr(line_start, next - line_start);
    if (absl::StartsWith(line, begin_marker)) {
      ++begin_count;
      begin = line_start;
    } else if (absl::StartsWith(line, end_marker)) {
      ++end_count;
      end = next;
    }
    line_start = next;
  }
  if (begin_count == 0 && end_count == 0) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out += "\n";
    if (!out.empty()) out += "\n";
    return absl::StrCat(out, region);
  }
  if (begin_count != 1 || end_count != 1 || end < begin) {
    return absl::InvalidArgumentError(absl::StrCat(
        display_path, ": the generated region is damaged (", begin_count,
        " lines starting \"", begin_marker, "\", ", end_count, " starting \"",
        end_marker,
        "\", in that order expected once each): delete the region, then run ",
        fix, " to write it again"));
  }
  return absl::StrCat(text.substr(0, begin), region, text.substr(end));
}

std::string UpdateCommand(const ImageTree& tree) {
  return absl::StrCat("`bazel run //", tree.images_dir, ":update`");
}

std::string RenderExports(const ImageTree& tree, absl::string_view package,
                          absl::string_view build_file_name,
                          const std::set<std::string>& files,
                          const std::set<std::string>& dirs) {
  std::string out =
      absl::StrCat("# BEGIN imagegraph exports for //", tree.images_dir, ": ",
                   UpdateCommand(tree),
                   " writes this region from the image tree; do not edit\n");
  std::vector<std::string> exported(files.begin(), files.end());
  exported.emplace_back(build_file_name);
  absl::StrAppend(&out, "exports_files(");
  if (exported.size() == 1) {
    absl::StrAppend(&out, "[", StarlarkString(exported[0]), "])\n");
  } else {
    absl::StrAppend(&out, "[\n");
    for (const std::string& file : BuildifierSorted(exported)) {
      absl::StrAppend(&out, "    ", StarlarkString(file), ",\n");
    }
    absl::StrAppend(&out, "])\n");
  }
  for (const std::string& dir : dirs) {
    absl::StrAppend(&out, "\nfilegroup(\n");
    AppendString(&out, "name", DirTarget(dir));
    absl::StrAppend(&out, "    srcs = glob([",
                    StarlarkString(absl::StrCat(dir, "/**")), "]),\n");
    AppendList(&out, "visibility",
               {absl::StrCat("//", tree.images_dir, ":__pkg__")});
    absl::StrAppend(&out, ")\n");
  }
  absl::StrAppend(&out, "# END imagegraph exports for //", tree.images_dir,
                  "\n");
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

namespace {

// The region and the outside inputs its labels name.
std::string RenderRegion(const ImageTree& tree, const BuildFileOptions& options,
                         Labels* labels) {
  std::string out = absl::StrCat(kBeginMarker, " by ", UpdateCommand(tree),
                                 " from the image folders; do not edit\n");
  for (const TreeImage& image : tree.images) {
    absl::StrAppend(&out, RenderImage(tree, image, options, labels), "\n");
  }
  std::vector<std::string> images;
  for (const TreeImage& image : tree.images) {
    images.push_back(absl::StrCat(":", image.name));
  }
  absl::StrAppend(&out, "image_graph(\n");
  AppendString(&out, "name", options.graph_name);
  if (images.empty()) {
    absl::StrAppend(&out, "    images = [],\n");
  } else {
    AppendList(&out, "images", BuildifierSorted(images));
  }
  absl::StrAppend(&out, ")\n\n");

  // What the staleness test reads besides this package's files: kind.yml
  // and, through the labels above, the outside includes and run-task files
  // with the BUILD files of their packages.
  if (!tree.kind_yml.empty()) labels->Of(tree.kind_yml, false);
  std::vector<std::string> inputs;
  for (const auto& [package, files] : labels->outside().files) {
    for (const std::string& file : files) {
      inputs.push_back(absl::StrCat("//", package, ":", file));
    }
  }
  std::set<std::string> packages;
  for (const auto& [package, dirs] : labels->outside().dirs) {
    packages.insert(package);
    for (const std::string& dir : dirs) {
      inputs.push_back(absl::StrCat("//", package, ":", DirTarget(dir)));
    }
  }
  for (const auto& [package, files] : labels->outside().files) {
    packages.insert(package);
  }
  // Their BUILD files: the test compares their regions, and their presence
  // decides the packages.
  for (const std::string& package : packages) {
    inputs.push_back(
        absl::StrCat("//", package, ":", BuildFileName(tree.root, package)));
  }
  if (!tree.kind_yml.empty() && FilePackage(tree.root, tree.images_dir,
                                            tree.kind_yml) == tree.images_dir) {
    inputs.push_back(RelativeTo(tree.images_dir, tree.kind_yml));
  }
  absl::StrAppend(&out,
                  "# Inputs of the generator outside this package, for the "
                  "staleness test.\nfilegroup(\n");
  AppendString(&out, "name", kTreeInputsTarget);
  if (inputs.empty()) {
    absl::StrAppend(&out, "    srcs = [],\n");
  } else {
    AppendList(&out, "srcs", BuildifierSorted(inputs));
  }
  absl::StrAppend(&out, ")\n\n", kEndMarker, "\n");
  return out;
}

}  // namespace

std::string RenderGeneratedRegion(const ImageTree& tree,
                                  const BuildFileOptions& options) {
  Labels labels(tree);
  return RenderRegion(tree, options, &labels);
}

absl::StatusOr<std::string> UpdateBuildFile(
    const std::optional<std::string>& existing, const ImageTree& tree,
    const BuildFileOptions& options, absl::string_view display_path) {
  Labels labels(tree);
  const std::string region = RenderRegion(tree, options, &labels);
  if (!existing.has_value()) {
    return absl::StrCat(
        "# The image tree: one docker_image per image, and the graph.\n"
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
  IG_ASSIGN_OR_RETURN(std::string text,
                      ReplaceRegion(*existing, kBeginMarker, kEndMarker, region,
                                    display_path, UpdateCommand(tree)));
  return EnsureLoad(text, options.defs_bzl, {"docker_image", "image_graph"});
}

std::string RenderBases(const ImageTree& tree,
                        const BuildFileOptions& options) {
  std::map<std::string, std::string> repositories;  // name -> pinned
  for (const TreeImage& image : tree.images) {
    for (const ImageReference& ref : image.references) {
      if (ref.kind == ImageReference::Kind::kPinned) {
        repositories.emplace(BaseRepositoryName(tree, ref.pinned), ref.pinned);
      }
    }
  }
  std::string repositories_bzl = options.defs_bzl;
  if (absl::EndsWith(repositories_bzl, "defs.bzl")) {
    repositories_bzl.resize(repositories_bzl.size() - 8);
    repositories_bzl += "repositories.bzl";
  }
  const std::string package = absl::StrCat("//", tree.images_dir);
  std::string out = absl::StrCat(
      "\"\"\"The external bases of the image tree ", package,
      ", pinned by digest where it names them.\n\n"
      "`bazel run ",
      package,
      ":update` writes this file; do not edit it. WORKSPACE declares\n"
      "the bases with:\n\n"
      "    load(\"",
      package, ":", kBasesFileName,
      "\", \"image_bases\")\n\n"
      "    image_bases()\n"
      "\"\"\"\n\n");
  if (!repositories.empty()) {
    absl::StrAppend(&out, "load(", StarlarkString(repositories_bzl),
                    ", \"image_pull\")\n\n");
  }
  absl::StrAppend(
      &out,
      "def image_bases(**kwargs):\n"
      "    \"\"\"Declares one image_pull repository per external base.\n\n"
      "    Args:\n"
      "      **kwargs: image_pull attributes for every base (tls_verify,\n"
      "        authfile, registry_mirrors).\n"
      "    \"\"\"\n");
  if (repositories.empty()) absl::StrAppend(&out, "    pass\n");
  bool first = true;
  for (const auto& [name, pinned] : repositories) {
    if (!first) absl::StrAppend(&out, "\n");
    first = false;
    absl::StrAppend(&out,
                    "    image_pull(\n        name = ", StarlarkString(name),
                    ",\n        image = ", StarlarkString(pinned),
                    ",\n        **kwargs\n    )\n");
  }
  return out;
}

absl::StatusOr<std::vector<GeneratedFile>> GenerateFiles(
    const ImageTree& tree, const BuildFileOptions& options,
    absl::string_view build_file, const FileReader& read) {
  std::vector<GeneratedFile> files;
  GeneratedFile main;
  main.path = std::string(build_file);
  main.existing = read(main.path);
  IG_ASSIGN_OR_RETURN(main.text,
                      UpdateBuildFile(main.existing, tree, options, main.path));
  files.push_back(std::move(main));

  if (!options.exports) return files;
  // The external bases: one image_pull repository each, declared by a
  // macro the WORKSPACE calls. Written when there are bases, and kept (empty)
  // once it exists, since the WORKSPACE loads it.
  GeneratedFile bases;
  bases.path = absl::StrCat(tree.images_dir, "/", kBasesFileName);
  bases.existing = read(bases.path);
  bases.text = RenderBases(tree, options);
  if (bases.existing.has_value() ||
      absl::StrContains(bases.text, "image_pull(")) {
    files.push_back(std::move(bases));
  }
  Labels labels(tree);
  RenderRegion(tree, options, &labels);
  std::set<std::string> packages;
  for (const auto& [package, unused] : labels.outside().files) {
    packages.insert(package);
  }
  for (const auto& [package, unused] : labels.outside().dirs) {
    packages.insert(package);
  }
  static const std::set<std::string> kNone;
  for (const std::string& package : packages) {
    GeneratedFile exports;
    exports.path = PackageBuildFile(package, read);
    exports.existing = read(exports.path);
    const std::string name(exports.path.substr(exports.path.rfind('/') + 1));
    auto files_of = labels.outside().files.find(package);
    auto dirs_of = labels.outside().dirs.find(package);
    const std::string region = RenderExports(
        tree, package, name,
        files_of == labels.outside().files.end() ? kNone : files_of->second,
        dirs_of == labels.outside().dirs.end() ? kNone : dirs_of->second);
    const std::string begin =
        absl::StrCat("# BEGIN imagegraph exports for //", tree.images_dir, ":");
    const std::string end =
        absl::StrCat("# END imagegraph exports for //", tree.images_dir);
    if (!exports.existing.has_value()) {
      exports.text =
          absl::StrCat("# Files of this package that the image tree //",
                       tree.images_dir, " uses.\n\n", region);
    } else {
      IG_ASSIGN_OR_RETURN(exports.text,
                          ReplaceRegion(*exports.existing, begin, end, region,
                                        exports.path, UpdateCommand(tree)));
    }
    files.push_back(std::move(exports));
  }
  return files;
}

std::string EnsureLoad(absl::string_view text, absl::string_view module,
                       const std::vector<std::string>& symbols) {
  const std::string quoted = StarlarkString(module);
  // An existing load of the module: add what it lacks.
  const std::string start = absl::StrCat("load(", quoted);
  size_t at = 0;
  while ((at = text.find(start, at)) != absl::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') break;
    at += start.size();
  }
  if (at != absl::string_view::npos) {
    const size_t close = text.find(')', at);
    if (close == absl::string_view::npos) return std::string(text);
    std::set<std::string> present;
    absl::string_view args =
        text.substr(at + start.size(), close - at - start.size());
    size_t quote = 0;
    while ((quote = args.find('"', quote)) != absl::string_view::npos) {
      const size_t end_quote = args.find('"', quote + 1);
      if (end_quote == absl::string_view::npos) break;
      present.insert(
          std::string(args.substr(quote + 1, end_quote - quote - 1)));
      quote = end_quote + 1;
    }
    bool missing = false;
    for (const std::string& symbol : symbols) {
      missing = present.insert(symbol).second || missing;
    }
    if (!missing) return std::string(text);
    std::string load = start;
    for (const std::string& symbol : present) {
      absl::StrAppend(&load, ", ", StarlarkString(symbol));
    }
    absl::StrAppend(&load, ")");
    return absl::StrCat(text.substr(0, at), load, text.substr(close + 1));
  }
  // None: a new load after the leading loads, else after the leading
  // comment block.
  std::string load = absl::StrCat("load(", quoted);
  for (const std::string& symbol : symbols) {
    absl::StrAppend(&load, ", ", StarlarkString(symbol));
  }
  absl::StrAppend(&load, ")\n");
  size_t after_comments = 0, after_loads = 0, pos = 0;
  bool comments_done = false, in_load = false;
  while (pos < text.size()) {
    const size_t line_end = text.find('\n', pos);
    const size_t next =
        line_end == absl::string_view::npos ? text.size() : line_end + 1;
    const absl::string_view line =
        absl::StripAsciiWhitespace(text.substr(pos, next - pos));
    if (in_load || absl::StartsWith(line, "load(")) {
      in_load = line.empty() || line.back() != ')';
      after_loads = next;
      comments_done = true;
    } else if (absl::StartsWith(line, "#")) {
      if (!comments_done) after_comments = next;
    } else if (line.empty()) {
      comments_done = true;
    } else {
      break;
    }
    pos = next;
  }
  if (after_loads > 0) {
    return absl::StrCat(text.substr(0, after_loads), load,
                        text.substr(after_loads));
  }
  if (after_comments == 0) return absl::StrCat(load, "\n", text);
  return absl::StrCat(text.substr(0, after_comments), "\n", load,
                      text.substr(after_comments));
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
