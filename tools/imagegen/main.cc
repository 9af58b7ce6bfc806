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
          "write: rewrite IMAGES/BUILD.bazel atomically; check: fail when it "
          "is stale; print: print the new text to stdout.");
ABSL_FLAG(std::string, defs_bzl, "//rules:defs.bzl",
          "Label of the .bzl file that exports docker_image and image_graph "
          "(used in a new BUILD file's load statement).");
ABSL_FLAG(std::vector<std::string>, image_tags, {},
          "Tags to set on every docker_image, comma-separated (e.g. manual).");
ABSL_FLAG(std::vector<std::string>, image_visibility, {},
          "Visibility of every docker_image, comma-separated (e.g. "
          "//visibility:public); default: the package's.");
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

  std::string display = absl::GetFlag(FLAGS_build_file);
  if (display.empty()) {
    display = absl::StrCat(tree_options.images_dir, "/BUILD.bazel");
  }
  const std::string path = absl::StrCat(root, "/", display);
  std::optional<std::string> existing;
  if (absl::StatusOr<std::string> text = ReadFileToString(path); text.ok()) {
    existing = *std::move(text);
  }
  BuildFileOptions options;
  options.defs_bzl = absl::GetFlag(FLAGS_defs_bzl);
  options.image_tags = absl::GetFlag(FLAGS_image_tags);
  options.image_visibility = absl::GetFlag(FLAGS_image_visibility);
  absl::StatusOr<std::string> updated =
      UpdateBuildFile(existing, *tree, options, display);
  if (!updated.ok()) {
    std::cerr << "imagegen: " << updated.status().message() << "\n";
    return kExitError;
  }

  if (mode == "print") {
    std::cout << *updated;
    return 0;
  }
  if (mode == "check") {
    if (existing.has_value() && *existing == *updated) return 0;
    std::string fix = absl::GetFlag(FLAGS_update_command);
    if (fix.empty()) {
      fix = absl::StrCat("bazel run //", tree_options.images_dir, ":update");
    }
    std::cerr << "imagegen: " << display
              << (existing.has_value() ? " is stale: it does not match the "
                                         "image folders"
                                       : " does not exist")
              << ".\nFix: " << fix << "\n\n"
              << ShortDiff(existing.value_or(""), *updated, display,
                           absl::StrCat(display, " (generated)"));
    return kExitNegative;
  }
  if (existing.has_value() && *existing == *updated) {
    std::cerr << "imagegen: " << display << " is up to date ("
              << tree->images.size() << " images)\n";
    return 0;
  }
  if (absl::Status written = WriteFileAtomically(path, *updated);
      !written.ok()) {
    std::cerr << "imagegen: " << written.message() << "\n";
    return kExitError;
  }
  std::cerr << "imagegen: wrote " << display << " (" << tree->images.size()
            << " images)\n";
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
