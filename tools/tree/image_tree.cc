#include "tools/tree/image_tree.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "tools/tree/folder_files.h"
#include "tools/tree/graph_order.h"
#include "tools/tree/kind_yml.h"
#include "tools/tree/resolver.h"

namespace imagegraph {
namespace {

namespace fs = std::filesystem;

std::string Join(absl::string_view a, absl::string_view b) {
  if (a.empty() || a == ".") return std::string(b);
  if (b.empty()) return std::string(a);
  return absl::StrCat(a, "/", b);
}

bool IsRegularFile(const std::string& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

bool IsDirectory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool IsBuildFileName(absl::string_view name) {
  return name == "BUILD" || name == "BUILD.bazel";
}

// Regular files (and symlinks to them) below `dir`, relative to it, sorted.
// Directory symlinks are not followed.
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir,
                                                   absl::string_view display) {
  std::vector<std::string> files;
  std::error_code error;
  fs::recursive_directory_iterator it(dir, error), end;
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat(display, ": cannot list: ", error.message()));
  }
  for (; it != end; it.increment(error)) {
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ": cannot list: ", error.message()));
    }
    const fs::directory_entry& entry = *it;
    std::error_code status_error;
    if (entry.is_directory(status_error) && !entry.is_symlink(status_error)) {
      continue;
    }
    if (!entry.is_regular_file(status_error)) continue;
    files.push_back(entry.path().lexically_relative(dir).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool IsSha256(absl::string_view digest) {
  if (!absl::ConsumePrefix(&digest, "sha256:") || digest.size() != 64) {
    return false;
  }
  return std::all_of(digest.begin(), digest.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

class Scanner {
 public:
  explicit Scanner(const ImageTreeOptions& options) : options_(options) {
    tree_.root = options.root;
    tree_.images_dir = options.images_dir;
  }

  absl::StatusOr<ImageTree> Scan() {
    const std::string images = Abs(options_.images_dir);
    if (!IsDirectory(images)) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.images_dir,
                       ": no such image tree (a directory holding one "
                       "folder per image)"));
    }
    const std::string registry = Join(images, "REGISTRY");
    if (IsRegularFile(registry)) {
      IG_ASSIGN_OR_RETURN(
          tree_.registry,
          ReadOneLineFile(registry, kRegistryFileHolds, Rel("REGISTRY")));
    }
    IG_RETURN_IF_ERROR(LoadKind());

    std::vector<std::string> names;
    std::error_code error;
    for (const fs::directory_entry& entry :
         fs::directory_iterator(images, error)) {
      if (!entry.is_directory()) continue;
      names.push_back(entry.path().filename().string());
    }
    if (error) {
      return absl::InvalidArgumentError(absl::StrCat(
          options_.images_dir, ": cannot list: ", error.message()));
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string folder = Join(images, name);
      if (IsRegularFile(Join(folder, "Dockerfile"))) {
        IG_RETURN_IF_ERROR(ScanImage(name));
      } else if (IsRegularFile(Join(folder, "HASH"))) {
        const std::string display = Rel(Join(name, "HASH"));
        IG_ASSIGN_OR_RETURN(
            std::string digest,
            ReadOneLineFile(Join(folder, "HASH"), kHashFileHolds, display));
        if (!IsSha256(digest)) {
          return absl::InvalidArgumentError(absl::StrCat(
              display, ": \"", digest,
              "\" is not a digest: write sha256:<64 lowercase hex digits>"));
        }
        tree_.pinned_digests[name] = digest;
      }
    }
    for (const auto& [task, unused] : kind_tasks_) {
      if (tree_.Find(task) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            tree_.kind_yml, ": task ", task, " has no image folder ", Rel(task),
            " with a Dockerfile: add the folder or remove the task"));
      }
    }
    IG_RETURN_IF_ERROR(ResolveParents());
    return std::move(tree_);
  }

 private:
  std::string Abs(absl::string_view relative) const {
    return Join(options_.root, relative);
  }
  // Display path of something in the images dir.
  std::string Rel(absl::string_view in_images) const {
    return Join(options_.images_dir, in_images);
  }

  absl::Status LoadKind() {
    std::string kind = options_.kind_yml;
    if (kind.empty() &&
        IsRegularFile(Abs(Join(options_.images_dir, "kind.yml")))) {
      kind = Join(options_.images_dir, "kind.yml");
    }
    if (kind.empty()) return absl::OkStatus();
    if (!IsRegularFile(Abs(kind))) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind, ": no such kind.yml"));
    }
    tree_.kind_yml = kind;
    IG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(Abs(kind)));
    IG_ASSIGN_OR_RETURN(kind_tasks_, ParseKindYml(text, kind));
    return absl::OkStatus();
  }

  absl::Status ScanImage(const std::string& name) {
    ImageFolder image;
    image.name = name;
    image.folder = Rel(name);
    const std::string folder = Abs(image.folder);
    const std::string dockerfile_path = Join(image.folder, "Dockerfile");
    IG_ASSIGN_OR_RETURN(std::string text,
                        ReadFileToString(Abs(dockerfile_path)));
    IG_ASSIGN_OR_RETURN(image.dockerfile,
                        ParseDockerfile(dockerfile_path, text));

    const std::string ignore_path = Join(folder, ".dockerignore");
    if (IsRegularFile(ignore_path)) {
      IG_ASSIGN_OR_RETURN(std::string ignore_text,
                          ReadFileToString(ignore_path));
      IG_ASSIGN_OR_RETURN(
          image.context_filter,
          ContextFilter::Parse(ignore_text,
                               Join(image.folder, ".dockerignore")));
    }
    std::vector<std::string> files;
    if (options_.list_files) {
      IG_ASSIGN_OR_RETURN(files, ListFiles(folder, image.folder));
    }
    for (const std::string& file : files) {
      if (IsBuildFileName(file.substr(file.rfind('/') + 1))) {
        return absl::InvalidArgumentError(absl::StrCat(
            Join(image.folder, file),
            ": a BUILD file inside an image folder makes it a separate Bazel "
            "package, which hides its files from the image: remove it"));
      }
      if (image.context_filter.Keeps(file)) {
        image.files.push_back(file);
      }
    }

    // Includes.
    absl::flat_hash_set<std::string> seen_paths;
    std::set<std::string> include_files;
    for (const Include& include : image.dockerfile.includes) {
      std::string path = CleanPath(include.path);
      if (!seen_paths.insert(path).second) continue;
      image.include_paths.push_back(path);
      const std::string where =
          absl::StrCat(dockerfile_path, ":", include.line);
      const std::string target = Abs(path);
      if (!options_.list_files) continue;
      if (IsRegularFile(target)) {
        include_files.insert(path);
      } else if (IsDirectory(target)) {
        IG_ASSIGN_OR_RETURN(std::vector<std::string> below,
                            ListFiles(target, where));
        for (const std::string& file : below) {
          include_files.insert(Join(path, file));
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": # %include ", include.path,
            " does not exist: fix the path (it is relative to the repository "
            "root)"));
      }
    }
    image.include_files.assign(include_files.begin(), include_files.end());
    for (const std::string& file : image.include_files) {
      image.include_labels.push_back(
          FileLabel(options_.root, options_.images_dir, file));
    }

    // Registry files.
    if (IsRegularFile(Join(folder, "REGISTRY"))) {
      image.registry_file = Join(name, "REGISTRY");
      IG_ASSIGN_OR_RETURN(
          image.registry,
          ReadOneLineFile(Join(folder, "REGISTRY"), kRegistryFileHolds,
                          Rel(image.registry_file)));
    } else if (!tree_.registry.empty()) {
      image.registry_file = "REGISTRY";
      image.registry = tree_.registry;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          Rel("REGISTRY"), " is missing (needed by ", image.folder,
          "): create it with one line naming the registry, or add ",
          Rel(Join(name, "REGISTRY"))));
    }
    if (IsRegularFile(Join(folder, "VERSION"))) {
      image.version_file = Join(name, "VERSION");
      IG_ASSIGN_OR_RETURN(
          image.version,
          ReadOneLineFile(Join(folder, "VERSION"), kVersionFileHolds,
                          Rel(image.version_file)));
    }
    if (IsRegularFile(Join(folder, "HASH"))) {
      image.hash_file = Join(name, "HASH");
      IG_ASSIGN_OR_RETURN(image.hash,
                          ReadOneLineFile(Join(folder, "HASH"), kHashFileHolds,
                                          Rel(image.hash_file)));
      if (!IsSha256(image.hash)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Rel(image.hash_file), ": \"", image.hash,
            "\" is not a digest: write sha256:<64 lowercase hex digits>"));
      }
    }

    const std::string extra_path = Join(folder, "extra-files");
    if (IsRegularFile(extra_path)) {
      IG_ASSIGN_OR_RETURN(std::string extra_text, ReadFileToString(extra_path));
      IG_ASSIGN_OR_RETURN(
          image.extra_files,
          ParseExtraFilesFile(extra_text, Join(image.folder, "extra-files")));
    }

    // Build arguments: the folder's build-args file and kind.yml args.
    std::map<std::string, std::string> args;
    std::map<std::string, std::string> arg_origin;
    const std::string args_path = Join(folder, "build-args");
    if (IsRegularFile(args_path)) {
      IG_ASSIGN_OR_RETURN(std::string args_text, ReadFileToString(args_path));
      const std::string display = Join(image.folder, "build-args");
      IG_ASSIGN_OR_RETURN(auto parsed, ParseBuildArgsFile(args_text, display));
      for (auto& [key, value] : parsed) {
        args[key] = value;
        arg_origin[key] = display;
      }
    }
    auto task = kind_tasks_.find(name);
    if (task != kind_tasks_.end()) {
      image.declared_parent = task->second.parent;
      for (const auto& [key, value] : task->second.args) {
        if (arg_origin.count(key) != 0 && args[key] != value) {
          return absl::InvalidArgumentError(
              absl::StrCat("build argument ", key, " of image ", name,
                           " is set both in ", arg_origin[key], " and in ",
                           tree_.kind_yml, " with different values: keep one"));
        }
        args[key] = value;
        arg_origin[key] = tree_.kind_yml;
      }
    }
    image.build_args.assign(args.begin(), args.end());
    for (const PercentArg& arg : image.dockerfile.percent_args) {
      if (args.count(arg.name) == 0) {
        std::string fix =
            tree_.kind_yml.empty()
                ? absl::StrCat("add a line ", arg.name, "=<value> to ",
                               Join(image.folder, "build-args"))
                : absl::StrCat("add it under tasks: ", name, ": args: in ",
                               tree_.kind_yml);
        return absl::InvalidArgumentError(
            absl::StrCat(dockerfile_path, ":", arg.line, ": # %ARG ", arg.name,
                         " has no value: ", fix));
      }
    }
    tree_.images.push_back(std::move(image));
    return absl::OkStatus();
  }

  absl::Status ResolveParents() {
    // One set of options for all images; only the per-image fields change.
    ResolveOptions options;
    options.registry = tree_.registry;
    options.pinned_digests = tree_.pinned_digests;
    for (const ImageFolder& image : tree_.images) {
      options.in_tree_names.insert(image.name);
      if (image.registry_file != "REGISTRY") {
        options.in_tree_registries[image.name] = image.registry;
      }
    }
    ParentMap graph;
    for (ImageFolder& image : tree_.images) {
      if (!image.declared_parent.empty() &&
          !options.in_tree_names.contains(image.declared_parent)) {
        return absl::InvalidArgumentError(absl::StrCat(
            tree_.kind_yml, ": task ", image.name, " has parent: ",
            image.declared_parent, ", which is not an image folder of ",
            options_.images_dir, ": name one of its folders"));
      }
      options.docker_image_parent = image.declared_parent;
      options.build_args.clear();
      for (const auto& [key, value] : image.build_args) {
        options.build_args[key] = value;
      }
      IG_ASSIGN_OR_RETURN(image.references,
                          ResolveImageReferences(image.dockerfile, options));
      image.parents = InTreeParents(image.references, image.declared_parent);
      graph[image.name] = image.parents;
    }
    return CheckAcyclic(graph);
  }

  const ImageTreeOptions& options_;
  ImageTree tree_;
  std::map<std::string, KindTask> kind_tasks_;
};

}  // namespace

const ImageFolder* ImageTree::Find(absl::string_view name) const {
  auto it = std::lower_bound(images.begin(), images.end(), name,
                             [](const ImageFolder& image, absl::string_view n) {
                               return image.name < n;
                             });
  return it != images.end() && it->name == name ? &*it : nullptr;
}

std::string ImageTree::ImageLabel(absl::string_view name) const {
  return absl::StrCat("//", images_dir, ":", name);
}

std::string FileLabel(absl::string_view root, absl::string_view images_dir,
                      absl::string_view path) {
  std::string dir(path.substr(
      0, path.rfind('/') == absl::string_view::npos ? 0 : path.rfind('/')));
  while (true) {
    bool is_package = dir == images_dir;
    if (!is_package) {
      std::string base = Join(std::string(root), dir);
      is_package = IsRegularFile(Join(base, "BUILD.bazel")) ||
                   IsRegularFile(Join(base, "BUILD"));
    }
    if (is_package || dir.empty()) {
      std::string name(dir.empty() ? path : path.substr(dir.size() + 1));
      if (dir == images_dir) return name;
      return absl::StrCat("//", dir, ":", name);
    }
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

absl::StatusOr<ImageTree> ScanImageTree(const ImageTreeOptions& options) {
  return Scanner(options).Scan();
}

std::vector<std::string> TopologicalOrder(const ImageTree& tree) {
  ParentMap parents;
  for (const ImageFolder& image : tree.images) {
    parents[image.name] = image.parents;
  }
  return imagegraph::TopologicalOrder(parents);
}

}  // namespace imagegraph
