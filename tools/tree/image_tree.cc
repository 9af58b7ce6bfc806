#include "tools/tree/image_tree.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/image_name.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/tree/folder_files.h"
#include "tools/tree/graph_order.h"
#include "tools/tree/kind_yml.h"
#include "tools/tree/resolver.h"
#include "tools/tree/taskgraph_syntax.h"

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

// A file name Bazel cannot take as a label.
absl::Status CheckLabelName(absl::string_view display) {
  if (display.find('\n') == absl::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", absl::CEscape(display),
      "\": a file name holding a newline cannot be a Bazel label, so its "
      "package would not load: rename the file"));
}

// What a folder with a Dockerfile holds, shared by the images built from it.
struct Folder {
  std::string name;  // relative to the images dir
  std::string path;  // relative to the root
  std::string dockerfile_text;
  std::vector<std::string> files;
  ContextFilter context_filter;
  std::vector<std::pair<std::string, std::string>> build_args;
  std::vector<std::pair<std::string, std::string>> extra_files;
  std::string registry_file, registry;
  std::string version_file, version;
  std::string hash_file, hash;
  std::vector<std::string> users;  // the images built from it
};

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
    if (IsRegularFile(Join(images, "REGISTRY"))) {
      IG_ASSIGN_OR_RETURN(tree_.registry,
                          ReadOneLineFile(Join(images, "REGISTRY"),
                                          kRegistryFileHolds, Rel("REGISTRY")));
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
        IG_RETURN_IF_ERROR(CheckLabelName(Rel(name)));
        IG_ASSIGN_OR_RETURN(Folder scanned, ScanFolder(name));
        folders_.emplace(name, std::move(scanned));
      } else if (IsRegularFile(Join(folder, "HASH"))) {
        const std::string display = Rel(Join(name, "HASH"));
        IG_ASSIGN_OR_RETURN(
            std::string digest,
            ReadOneLineFile(Join(folder, "HASH"), kHashFileHolds, display));
        IG_RETURN_IF_ERROR(CheckDigest(digest, display));
        tree_.pinned_digests[name] = digest;
      }
    }

    if (kind_.has_value()) {
      for (const KindTask& task : kind_->tasks) {
        auto folder = folders_.find(task.definition);
        if (folder == folders_.end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              tree_.kind_yml, ":", task.line, ": task ", task.name,
              task.definition == task.name
                  ? ""
                  : absl::StrCat(" (definition: ", task.definition, ")"),
              " has no image folder ", Rel(task.definition),
              " with a Dockerfile: add the folder or remove the task"));
        }
        IG_RETURN_IF_ERROR(AddImage(task.name, &folder->second, &task));
      }
      std::vector<std::string> unused;
      for (const auto& [name, folder] : folders_) {
        if (folder.users.empty()) unused.push_back(Rel(name));
      }
      if (!unused.empty()) {
        tree_.warnings.push_back(absl::StrCat(
            tree_.kind_yml, ": no task uses ", absl::StrJoin(unused, ", "),
            ": ", unused.size() == 1 ? "it is" : "they are",
            " not built (taskgraph builds only the folders its tasks name)"));
      }
    } else {
      for (auto& [name, folder] : folders_) {
        IG_RETURN_IF_ERROR(AddImage(name, &folder, nullptr));
      }
    }
    for (const auto& [name, folder] : folders_) {
      if (!folder.hash_file.empty() && folder.users.size() > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            Rel(folder.hash_file), ": pins one pushed image, but tasks ",
            absl::StrJoin(folder.users, ", "),
            " build this folder: remove the HASH file (pin each task's image "
            "where it is used instead)"));
      }
    }
    std::sort(
        tree_.images.begin(), tree_.images.end(),
        [](const TreeImage& a, const TreeImage& b) { return a.name < b.name; });
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

  static absl::Status CheckDigest(absl::string_view digest,
                                  absl::string_view display) {
    if (IsSha256Digest(digest)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        display, ": \"", digest,
        "\" is not a digest: write sha256:<64 lowercase hex digits>"));
  }

  // The kind.yml the options name, or the one taskgraph's layout puts
  // beside the tree; "" for none.
  std::string FindKindYml() const {
    if (!options_.kind_yml.empty()) return options_.kind_yml;
    std::vector<std::string> candidates = {
        Join(options_.images_dir, "kind.yml")};
    const absl::string_view images = options_.images_dir;
    if (images == "docker" || absl::EndsWith(images, "/docker")) {
      const std::string parent(images.substr(0, images.size() - 6));
      candidates.push_back(absl::StrCat(parent, "kinds/docker-image/kind.yml"));
      candidates.push_back(absl::StrCat(parent, "ci/docker-image/kind.yml"));
    }
    for (const std::string& candidate : candidates) {
      if (IsRegularFile(Abs(candidate))) return candidate;
    }
    return "";
  }

  absl::Status LoadKind() {
    const std::string kind = FindKindYml();
    if (kind.empty()) return absl::OkStatus();
    if (!IsRegularFile(Abs(kind))) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind, ": no such kind.yml"));
    }
    tree_.kind_yml = kind;
    IG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(Abs(kind)));
    KindYmlOptions kind_options;
    kind_options.build_arch = MachineArch();
    IG_ASSIGN_OR_RETURN(kind_, ParseKindYml(text, kind, kind_options));
    for (const std::string& warning : kind_->warnings) {
      tree_.warnings.push_back(warning);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Folder> ScanFolder(const std::string& name) {
    Folder folder;
    folder.name = name;
    folder.path = Rel(name);
    const std::string abs = Abs(folder.path);
    IG_ASSIGN_OR_RETURN(folder.dockerfile_text,
                        ReadFileToString(Join(abs, "Dockerfile")));
    const std::string ignore_path = Join(abs, ".dockerignore");
    if (IsRegularFile(ignore_path)) {
      IG_ASSIGN_OR_RETURN(std::string ignore_text,
                          ReadFileToString(ignore_path));
      IG_ASSIGN_OR_RETURN(folder.context_filter,
                          ContextFilter::Parse(
                              ignore_text, Join(folder.path, ".dockerignore")));
    }
    if (options_.list_files) {
      IG_ASSIGN_OR_RETURN(std::vector<std::string> files,
                          ListFiles(abs, folder.path));
      for (const std::string& file : files) {
        IG_RETURN_IF_ERROR(CheckLabelName(Join(folder.path, file)));
        if (IsBuildFileName(file.substr(file.rfind('/') + 1))) {
          return absl::InvalidArgumentError(absl::StrCat(
              Join(folder.path, file),
              ": a BUILD file inside an image folder makes it a separate "
              "Bazel package, which hides its files from the image: remove "
              "it"));
        }
        if (folder.context_filter.Keeps(file)) folder.files.push_back(file);
      }
    }

    // Registry files.
    if (IsRegularFile(Join(abs, "REGISTRY"))) {
      folder.registry_file = Join(name, "REGISTRY");
      IG_ASSIGN_OR_RETURN(
          folder.registry,
          ReadOneLineFile(Join(abs, "REGISTRY"), kRegistryFileHolds,
                          Rel(folder.registry_file)));
    } else if (!tree_.registry.empty()) {
      folder.registry_file = "REGISTRY";
      folder.registry = tree_.registry;
    }
    if (IsRegularFile(Join(abs, "VERSION"))) {
      folder.version_file = Join(name, "VERSION");
      IG_ASSIGN_OR_RETURN(
          folder.version,
          ReadOneLineFile(Join(abs, "VERSION"), kVersionFileHolds,
                          Rel(folder.version_file)));
    }
    if (IsRegularFile(Join(abs, "HASH"))) {
      folder.hash_file = Join(name, "HASH");
      IG_ASSIGN_OR_RETURN(folder.hash,
                          ReadOneLineFile(Join(abs, "HASH"), kHashFileHolds,
                                          Rel(folder.hash_file)));
      IG_RETURN_IF_ERROR(CheckDigest(folder.hash, Rel(folder.hash_file)));
    }
    const std::string extra_path = Join(abs, "extra-files");
    if (IsRegularFile(extra_path)) {
      IG_ASSIGN_OR_RETURN(std::string extra_text, ReadFileToString(extra_path));
      IG_ASSIGN_OR_RETURN(
          folder.extra_files,
          ParseExtraFilesFile(extra_text, Join(folder.path, "extra-files")));
    }
    const std::string args_path = Join(abs, "build-args");
    if (IsRegularFile(args_path)) {
      IG_ASSIGN_OR_RETURN(std::string args_text, ReadFileToString(args_path));
      IG_ASSIGN_OR_RETURN(
          folder.build_args,
          ParseBuildArgsFile(args_text, Join(folder.path, "build-args")));
    }
    return folder;
  }

  // The image `name` built from `folder`, with the task's parent: and args:
  // when there is a kind.yml.
  absl::Status AddImage(const std::string& name, Folder* folder,
                        const KindTask* task) {
    absl::Status valid = ValidateImageName(name);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          task == nullptr ? absl::StrCat(folder->path, ": ", valid.message(),
                                         ": rename the folder")
                          : absl::StrCat(tree_.kind_yml, ":", task->line,
                                         ": task ", absl::CEscape(name), ": ",
                                         valid.message(), ": rename the task"));
    }
    folder->users.push_back(name);
    TreeImage image;
    image.name = name;
    image.folder_name = folder->name;
    image.folder = folder->path;
    image.files = folder->files;
    image.context_filter = folder->context_filter;
    image.extra_files = folder->extra_files;
    image.registry_file = folder->registry_file;
    image.registry = folder->registry;
    image.version_file = folder->version_file;
    image.version = folder->version;
    image.hash_file = folder->hash_file;
    image.hash = folder->hash;

    // Build arguments: the folder's build-args file and the task's args:.
    const std::string args_display = Join(folder->path, "build-args");
    std::map<std::string, std::string> args(folder->build_args.begin(),
                                            folder->build_args.end());
    if (task != nullptr) {
      image.declared_parent = task->parent;
      for (const auto& [key, value] : task->args) {
        auto given = args.find(key);
        if (given != args.end() && given->second != value) {
          return absl::InvalidArgumentError(
              absl::StrCat("build argument ", key, " of image ", name,
                           " is set both in ", args_display, " and in ",
                           tree_.kind_yml, " with different values: keep one"));
        }
        args[key] = value;
      }
    }
    image.build_args.assign(args.begin(), args.end());

    // taskgraph's # %ARG, then the Dockerfile as the build reads it.
    const std::string dockerfile_path = Join(folder->path, "Dockerfile");
    const auto fix = [&](absl::string_view arg) {
      return task == nullptr ? absl::StrCat("add a line ", arg, "=<value> to ",
                                            args_display)
                             : absl::StrCat("add it under tasks: ", name,
                                            ": args: in ", tree_.kind_yml);
    };
    IG_ASSIGN_OR_RETURN(
        std::string text,
        SubstitutePercentArgs(dockerfile_path, folder->dockerfile_text,
                              absl::flat_hash_map<std::string, std::string>(
                                  args.begin(), args.end()),
                              !image.declared_parent.empty(), fix));
    IG_ASSIGN_OR_RETURN(image.dockerfile,
                        ParseDockerfile(dockerfile_path, text));

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
    for (const std::string& file : include_files) {
      IG_RETURN_IF_ERROR(CheckLabelName(file));
    }
    image.include_files.assign(include_files.begin(), include_files.end());

    const std::vector<int> run_task_lines = RunTaskIncludeLines(text);
    if (!run_task_lines.empty()) {
      image.run_task = true;
      IG_RETURN_IF_ERROR(
          LoadRunTask(absl::StrCat(dockerfile_path, ":", run_task_lines[0])));
    }
    tree_.images.push_back(std::move(image));
    return absl::OkStatus();
  }

  // Reads IMAGES/RUN_TASK once, for the first `# %include-run-task` (named
  // by `where`), and checks that its directory holds the files.
  absl::Status LoadRunTask(absl::string_view where) {
    if (run_task_loaded_) return absl::OkStatus();
    const std::string file = Rel(kRunTaskFileName);
    if (!IsRegularFile(Abs(file))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": # %include-run-task adds taskgraph's run-task files (",
          absl::StrJoin(kRunTaskFiles, ", "), "), but ", file,
          " does not say where they are: write into it the directory that "
          "holds them, relative to the repository root"));
    }
    IG_ASSIGN_OR_RETURN(
        std::string dir,
        ReadOneLineFile(Abs(file),
                        "the directory holding taskgraph's run-task files, "
                        "relative to the repository root, e.g. "
                        "third_party/taskgraph/run-task",
                        file));
    dir = CleanPath(dir);
    if (dir.empty() || dir.front() == '/' || dir == "." ||
        absl::StartsWith(dir, "../") || dir == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": \"", dir,
          "\" must be a directory inside the repository, relative to its "
          "root"));
    }
    for (absl::string_view name : kRunTaskFiles) {
      const std::string path = Join(dir, name);
      if (!IsRegularFile(Abs(path))) {
        return absl::InvalidArgumentError(absl::StrCat(
            file, ": the run-task directory ", dir, " has no ", name,
            " (it must hold ", absl::StrJoin(kRunTaskFiles, ", "), ")"));
      }
      tree_.run_task_files.push_back(path);
    }
    tree_.run_task_dir = dir;
    run_task_loaded_ = true;
    return absl::OkStatus();
  }

  absl::Status ResolveParents() {
    // One set of options for all images; only the per-image fields change.
    ResolveOptions options;
    options.registry = tree_.registry;
    options.pinned_digests = tree_.pinned_digests;
    for (const auto& [name, unused] : tree_.pinned_digests) {
      const std::string own = Abs(Rel(Join(name, "REGISTRY")));
      if (IsRegularFile(own)) {
        IG_ASSIGN_OR_RETURN(options.in_tree_registries[name],
                            ReadOneLineFile(own, kRegistryFileHolds,
                                            Rel(Join(name, "REGISTRY"))));
      }
    }
    for (const TreeImage& image : tree_.images) {
      options.in_tree_names.insert(image.name);
      if (!image.registry_file.empty() && image.registry_file != "REGISTRY") {
        options.in_tree_registries[image.name] = image.registry;
      }
    }
    ParentMap graph;
    // Every image's first reference that does not resolve (say, each
    // external base not yet pinned), in image order, without repeats: one
    // run names them all.
    std::vector<std::string> errors;
    absl::StatusCode error_code = absl::StatusCode::kOk;
    for (TreeImage& image : tree_.images) {
      if (!image.declared_parent.empty() &&
          !options.in_tree_names.contains(image.declared_parent)) {
        return absl::InvalidArgumentError(absl::StrCat(
            tree_.kind_yml, ": task ", image.name,
            " has parent: ", image.declared_parent, ", which is not a task of ",
            tree_.kind_yml, ": name one of its tasks"));
      }
      options.docker_image_parent = image.declared_parent;
      options.build_args.clear();
      for (const auto& [key, value] : image.build_args) {
        options.build_args[key] = value;
      }
      absl::StatusOr<std::vector<ImageReference>> references =
          ResolveImageReferences(image.dockerfile, options);
      if (!references.ok()) {
        std::string message(references.status().message());
        if (std::find(errors.begin(), errors.end(), message) == errors.end()) {
          errors.push_back(std::move(message));
        }
        if (error_code == absl::StatusCode::kOk) {
          error_code = references.status().code();
        }
        continue;
      }
      image.references = *std::move(references);
      image.parents = InTreeParents(image.references, image.declared_parent);
      if (!image.declared_parent.empty() &&
          std::none_of(image.references.begin(), image.references.end(),
                       [](const ImageReference& ref) {
                         return ref.kind == ImageReference::Kind::kParentArg;
                       })) {
        tree_.warnings.push_back(absl::StrCat(
            image.folder, "/Dockerfile: task ", image.name,
            " has parent: ", image.declared_parent,
            " but the Dockerfile never uses $DOCKER_IMAGE_PARENT: ",
            image.declared_parent,
            " stays a parent (built first, and a change to it rebuilds ",
            image.name, ", as in taskgraph)"));
      }
      graph[image.name] = image.parents;
    }
    if (errors.size() == 1) return absl::Status(error_code, errors[0]);
    if (!errors.empty()) {
      return absl::Status(error_code,
                          absl::StrCat(errors.size(),
                                       " references do not resolve, one line "
                                       "each:\n",
                                       absl::StrJoin(errors, "\n")));
    }
    return CheckAcyclic(graph);
  }

  const ImageTreeOptions& options_;
  ImageTree tree_;
  std::optional<KindFile> kind_;
  std::map<std::string, Folder> folders_;
  bool run_task_loaded_ = false;
};

}  // namespace

const TreeImage* ImageTree::Find(absl::string_view name) const {
  auto it = std::lower_bound(images.begin(), images.end(), name,
                             [](const TreeImage& image, absl::string_view n) {
                               return image.name < n;
                             });
  return it != images.end() && it->name == name ? &*it : nullptr;
}

std::string ImageTree::ImageLabel(absl::string_view name) const {
  return absl::StrCat("//", images_dir, ":", name);
}

std::string FilePackage(absl::string_view root, absl::string_view images_dir,
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
    if (is_package || dir.empty()) return dir;
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

std::string FileLabel(absl::string_view root, absl::string_view images_dir,
                      absl::string_view path) {
  const std::string package = FilePackage(root, images_dir, path);
  const absl::string_view name =
      package.empty() ? path : path.substr(package.size() + 1);
  if (package == images_dir) return std::string(name);
  return absl::StrCat("//", package, ":", name);
}

absl::StatusOr<ImageTree> ScanImageTree(const ImageTreeOptions& options) {
  return Scanner(options).Scan();
}

std::vector<std::string> TopologicalOrder(const ImageTree& tree) {
  ParentMap parents;
  for (const TreeImage& image : tree.images) {
    parents[image.name] = image.parents;
  }
  return imagegraph::TopologicalOrder(parents);
}

}  // namespace imagegraph
