// imagegen: writes the BUILD file of an image tree from its folders.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/imagegen/build_file.h"
#include "tools/tree/image_tree.h"

ABSL_FLAG(std::string, workspace, "",
          "Repository root; default $BUILD_WORKSPACE_DIRECTORY (set by bazel "
          "run), else the current directory.");
ABSL_FLAG(std::string, images, "images",
          "The image tree relative to the root; its BUILD.bazel is written.");
ABSL_FLAG(std::string, kind_yml, "",
          "A taskgraph kind.yml relative to the root (default: IMAGES/kind.yml "
          "when present) giving each task's parent: and args:.");
ABSL_FLAG(std::string, mode, "write",
          "write: rewrite IMAGES/BUILD.bazel and the files beside it (see "
          "--exports), each atomically; check: fail when one is stale; print: "
          "print the new IMAGES/BUILD.bazel to stdout.");
ABSL_FLAG(std::string, defs_bzl, "//rules:defs.bzl",
          "Label of the .bzl file that exports docker_image and image_graph "
          "(used in a new BUILD file's load statement).");
ABSL_FLAG(std::vector<std::string>, image_tags, {},
          "Tags to set on every docker_image, comma-separated (e.g. manual).");
ABSL_FLAG(std::vector<std::string>, image_visibility, {},
          "Visibility of every docker_image, comma-separated (e.g. "
          "//visibility:public); default: the package's.");
ABSL_FLAG(bool, exports, true,
          "Also write the files beside the tree's BUILD file: IMAGES/bases.bzl "
          "(the external bases) and the regions that export the tree's inputs "
          "outside its package (kind.yml, includes, run-task files) from the "
          "BUILD files of their packages; --noexports for a tree that is no "
          "Bazel package.");
ABSL_FLAG(std::string, build_file, "",
          "The generated file relative to the root (default: "
          "IMAGES/BUILD.bazel).");
ABSL_FLAG(std::string, update_command, "",
          "The command that fixes a stale file, shown by --mode=check "
          "(default: bazel run //IMAGES:update).");

namespace imagegraph {
namespace {

constexpr char kUsage[] =
    R"(writes the BUILD file of an image tree: one docker_image per folder with a Dockerfile, and the image_graph.

Usage:
  bazel run //images:update            rewrite images/BUILD.bazel
  imagegen --workspace=. --mode=check  fail when it is stale)";

int Run() {
  std::string root = absl::GetFlag(FLAGS_workspace);
  if (root.empty()) {
    const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    root = workspace != nullptr ? workspace : ".";
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "write" && mode != "check" && mode != "print") {
    std::cerr << "imagegen: --mode=" << mode
              << " is not one of write, check, print\n";
    return kExitUsage;
  }
  ImageTreeOptions tree_options;
  tree_options.root = root;
  tree_options.images_dir = absl::GetFlag(FLAGS_images);
  tree_options.kind_yml = absl::GetFlag(FLAGS_kind_yml);
  absl::StatusOr<ImageTree> tree = ScanImageTree(tree_options);
  if (!tree.ok()) {
    std::cerr << "imagegen: " << tree.status().message() << "\n";
    return kExitError;
  }

  for (const std::string& warning : tree->warnings) {
    std::cerr << "imagegen: warning: " << warning << "\n";
  }

  std::string build_file = absl::GetFlag(FLAGS_build_file);
  if (build_file.empty()) {
    build_file = absl::StrCat(tree_options.images_dir, "/BUILD.bazel");
  }
  BuildFileOptions options;
  options.defs_bzl = absl::GetFlag(FLAGS_defs_bzl);
  options.image_tags = absl::GetFlag(FLAGS_image_tags);
  options.image_visibility = absl::GetFlag(FLAGS_image_visibility);
  options.exports = absl::GetFlag(FLAGS_exports);
  const FileReader read =
      [&root](const std::string& path) -> std::optional<std::string> {
    absl::StatusOr<std::string> text =
        ReadFileToString(absl::StrCat(root, "/", path));
    if (!text.ok()) return std::nullopt;
    return *std::move(text);
  };
  absl::StatusOr<std::vector<GeneratedFile>> files =
      GenerateFiles(*tree, options, build_file, read);
  if (!files.ok()) {
    std::cerr << "imagegen: " << files.status().message() << "\n";
    return kExitError;
  }

  if (mode == "print") {
    // The tree's BUILD file (the files beside it: --mode=write).
    std::cout << files->front().text;
    return 0;
  }
  if (mode == "check") {
    int stale = 0;
    for (const GeneratedFile& file : *files) {
      if (file.existing.has_value() && *file.existing == file.text) continue;
      if (stale++ == 0) {
        std::string fix = absl::GetFlag(FLAGS_update_command);
        if (fix.empty()) {
          fix =
              absl::StrCat("bazel run //", tree_options.images_dir, ":update");
        }
        std::cerr << "imagegen: " << file.path
                  << (file.existing.has_value()
                          ? " is stale: it does not match the image folders"
                          : " does not exist")
                  << ".\nFix: " << fix << "\n\n";
      } else {
        std::cerr << "imagegen: " << file.path << " is stale too\n";
      }
      std::cerr << ShortDiff(file.existing.value_or(""), file.text, file.path,
                             absl::StrCat(file.path, " (generated)"));
    }
    return stale == 0 ? 0 : kExitNegative;
  }
  int written = 0;
  for (size_t i = 0; i < files->size(); ++i) {
    const GeneratedFile& file = (*files)[i];
    if (file.existing.has_value() && *file.existing == file.text) continue;
    if (absl::Status status =
            WriteFileAtomically(absl::StrCat(root, "/", file.path), file.text);
        !status.ok()) {
      std::cerr << "imagegen: " << status.message() << "\n";
      return kExitError;
    }
    std::cerr << "imagegen: wrote " << file.path
              << (i == 0 ? absl::StrCat(" (", tree->images.size(), " images)")
                         : "")
              << "\n";
    ++written;
  }
  if (written == 0) {
    std::cerr << "imagegen: " << build_file << " is up to date ("
              << tree->images.size() << " images)\n";
  }
  return 0;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  imagegraph::ParseToolArgumentsOrExit(
      {"imagegen", imagegraph::kUsage,
       "--mode=check: the BUILD file is stale (the message shows the fix and "
       "the difference)"},
      argc, argv);
  return imagegraph::Run();
}
