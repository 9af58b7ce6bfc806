// ctxhash: computes the context hash (v1) of an image folder and writes its
// manifest and deterministic context tar. See docs/context-hash.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/command_line.h"
#include "tools/ctxhash/context_hash.h"
#include "tools/tree/reference_map.h"

ABSL_FLAG(std::string, root, ".", "The repository root R.");
ABSL_FLAG(std::string, context, "",
          "Image folder F, relative to R unless absolute.");
ABSL_FLAG(std::string, file_list, "",
          "Bazel mode: file listing every declared input, one per line, the "
          "list and the paths relative to Bazel's execution root. Every file "
          "must resolve inside the repository or Bazel's output tree: a "
          "symlink to anywhere else is refused, as in the CLI mode.");
ABSL_FLAG(std::string, source_root, "",
          "Bazel mode: the repository the sources belong to, relative to the "
          "execution root (\".\" or external/NAME), when R is a staged root of "
          "links. Default: R.");
ABSL_FLAG(std::string, run_task_dir, "",
          "The directory (relative to R) of taskgraph's run-task files, which "
          "`# %include-run-task` adds at run-task/NAME (the image's run_task "
          "files).");
ABSL_FLAG(std::string, docker_image_parent, "",
          "The image's declared parent (taskgraph's parent:), which "
          "$DOCKER_IMAGE_PARENT names; a parent even when the Dockerfile never "
          "names it.");
ABSL_FLAG(std::string, manifest, "", "Write the manifest here.");
ABSL_FLAG(std::string, tar, "", "Write the context tar here.");
ABSL_FLAG(std::string, hash_out, "", "Write the hash (and a newline) here.");
ABSL_FLAG(int, jobs, 0, "Hashing threads; 0 means one per core.");
ABSL_FLAG(std::vector<std::string>, parent, {},
          "NAME=HASH: an in-tree parent and its context hash, in any order "
          "(parent lines follow the order the Dockerfile first names them).");
ABSL_FLAG(std::vector<std::string>, parent_hash_file, {},
          "NAME=PATH: like --parent, the hash read from PATH.");
ABSL_FLAG(std::vector<std::string>, build_arg, {},
          "K=V: a build argument the target sets.");
ABSL_FLAG(std::vector<std::string>, extra_file, {},
          "PATH=FILE (Bazel mode): a Bazel-built file placed at PATH in the "
          "image folder (docker_image's `extra_files`); hashed like the "
          "folder's files but not written to the context tar: the build "
          "receives it as an input of its own.");
ABSL_FLAG(std::vector<std::string>, reference, {},
          "WRITTEN=TARGET: what a reference of the Dockerfile names: WRITTEN "
          "as written after ARG expansion ($DOCKER_IMAGE_PARENT as is), "
          "TARGET :NAME (the in-tree image NAME) or a reference pinned by "
          "digest (docker_image's `references`, which the BUILD generator "
          "writes).");

namespace imagegraph {
namespace {

constexpr char kUsage[] = R"(computes the context hash of an image folder.

CLI mode:
  ctxhash --root=R --context=F [--parent=NAME=HASH]... [--build_arg=K=V]...
          [--reference=WRITTEN=TARGET]... [--docker_image_parent=NAME]
          [--run_task_dir=DIR] [--manifest=OUT] [--tar=OUT] [--hash_out=OUT]
          [--jobs=N]
Bazel mode (reads only the listed files, never lists directories):
  ctxhash --root=R --context=F --file_list=LIST [--source_root=S]
          [--extra_file=PATH=FILE]...
          [--parent_hash_file=NAME=PATH]... [--build_arg=K=V]...
          [--reference=WRITTEN=TARGET]... [--docker_image_parent=NAME]
          [--run_task_dir=DIR] --manifest=OUT --tar=OUT --hash_out=OUT

The Dockerfile is parsed and its FROM / COPY --from references resolved
through --reference only: each must be scratch, a build stage or listed
there, every listed one must be used, and the parents given must be exactly
the in-tree images the references name (plus the declared parent).

Prints the context hash (lowercase hex) and a newline on stdout. Outputs are
written to temporary files and renamed into place only on success. A context
that cannot be hashed is an error: "ctxhash: <path>: <problem>".
)";

int UsageError(absl::string_view message) {
  std::cerr << "ctxhash: " << message << " (see --help)\n";
  return kExitUsage;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path,
                                         absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read ", what));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Splits "NAME=VALUE"; false if there is no '=' or NAME is empty.
bool SplitAssignment(absl::string_view text, std::string* name,
                     std::string* value) {
  const size_t eq = text.find('=');
  if (eq == text.npos || eq == 0) return false;
  *name = std::string(text.substr(0, eq));
  *value = std::string(text.substr(eq + 1));
  return true;
}

int Run(int argc, char** argv) {
  // Under `bazel run`, relative paths mean the user's directory.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
      dir != nullptr && chdir(dir) != 0) {
    std::cerr << "ctxhash: " << dir << ": cannot enter the working directory\n";
    return kExitError;
  }
  const ToolArguments parsed = ParseToolArgumentsOrExit(
      {"ctxhash", kUsage}, argc, argv,
      {"parent", "parent_hash_file", "build_arg", "reference", "extra_file"});
  const ToolArguments* arguments = &parsed;
  const std::vector<std::string>& parents = arguments->Repeated("parent");
  const std::vector<std::string>& parent_hash_files =
      arguments->Repeated("parent_hash_file");
  const std::vector<std::string>& build_args = arguments->Repeated("build_arg");
  if (absl::GetFlag(FLAGS_context).empty()) {
    return UsageError("--context=F (the image folder) is required");
  }
  if (!parents.empty() && !parent_hash_files.empty()) {
    return UsageError(
        "give parents either as --parent or as --parent_hash_file, not both");
  }

  ContextOptions options;
  options.spec.root = absl::GetFlag(FLAGS_root);
  options.spec.context = absl::GetFlag(FLAGS_context);
  options.jobs = absl::GetFlag(FLAGS_jobs);
  for (const std::string& text : parents) {
    ParentHash parent;
    if (!SplitAssignment(text, &parent.name, &parent.hash)) {
      return UsageError(
          absl::StrCat("--parent=", text, ": expected NAME=HASH"));
    }
    options.parents.push_back(std::move(parent));
  }
  for (const std::string& text : parent_hash_files) {
    ParentHash parent;
    std::string path;
    if (!SplitAssignment(text, &parent.name, &path)) {
      return UsageError(
          absl::StrCat("--parent_hash_file=", text, ": expected NAME=PATH"));
    }
    absl::StatusOr<std::string> hash = ReadTextFile(path, "parent hash file");
    if (!hash.ok()) {
      std::cerr << "ctxhash: " << hash.status().message() << "\n";
      return kExitError;
    }
    parent.hash = std::string(absl::StripAsciiWhitespace(*hash));
    options.parents.push_back(std::move(parent));
  }
  for (const std::string& text : build_args) {
    std::string name, value;
    if (!SplitAssignment(text, &name, &value)) {
      return UsageError(absl::StrCat("--build_arg=", text, ": expected K=V"));
    }
    options.build_args.emplace_back(std::move(name), std::move(value));
  }
  for (const std::string& text : arguments->Repeated("reference")) {
    absl::StatusOr<std::pair<std::string, std::string>> entry =
        ParseReferenceFlag(text);
    if (!entry.ok()) return UsageError(entry.status().message());
    if (!options.references.insert(*std::move(entry)).second) {
      return UsageError(
          absl::StrCat("--reference=", text, ": the reference is given twice"));
    }
  }
  options.declared_parent = absl::GetFlag(FLAGS_docker_image_parent);
  options.spec.run_task_dir = absl::GetFlag(FLAGS_run_task_dir);
  if (const std::string list_path = absl::GetFlag(FLAGS_file_list);
      !list_path.empty()) {
    absl::StatusOr<std::string> list = ReadTextFile(list_path, "file list");
    if (!list.ok()) {
      std::cerr << "ctxhash: " << list.status().message() << "\n";
      return kExitError;
    }
    options.spec.file_list.emplace();
    options.spec.file_list_path = list_path;
    options.spec.source_root = absl::GetFlag(FLAGS_source_root);
    for (absl::string_view line : absl::StrSplit(*list, '\n')) {
      if (!line.empty()) options.spec.file_list->emplace_back(line);
    }
  }
  for (const std::string& text : arguments->Repeated("extra_file")) {
    if (!options.spec.file_list.has_value()) {
      return UsageError(absl::StrCat(
          "--extra_file=", text,
          ": extra files are Bazel-built; give them with --file_list"));
    }
    std::string path, file;
    if (!SplitAssignment(text, &path, &file) || file.empty()) {
      return UsageError(
          absl::StrCat("--extra_file=", text, ": expected PATH=FILE"));
    }
    options.spec.extra_files.emplace_back(std::move(path), std::move(file));
  }

  absl::StatusOr<ContextResult> result = ComputeContext(options);
  absl::Status status = result.status();
  if (status.ok()) {
    status = WriteOutputs(*result, OutputPaths{absl::GetFlag(FLAGS_manifest),
                                               absl::GetFlag(FLAGS_tar),
                                               absl::GetFlag(FLAGS_hash_out)});
  }
  if (!status.ok()) {
    std::cerr << "ctxhash: " << status.message() << "\n";
    return kExitError;
  }
  std::cout << result->hash << "\n";
  std::cout.flush();
  return std::cout ? 0 : kExitError;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) { return imagegraph::Run(argc, argv); }
