// why: what changed since the latest indexed build of one image, the full
// manifest difference (`bazel run //images:NAME.why`).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/decision/decision.h"
#include "tools/index/index.h"
#include "tools/index/namespaces.h"

ABSL_FLAG(std::string, name, "", "The image name (its folder's name).");
ABSL_FLAG(std::string, folder, "",
          "The image folder relative to the repository root "
          "(images/NAME): file paths are shown relative to the repository.");
ABSL_FLAG(std::string, context_manifest, "",
          "The image's NAME.context.manifest of this checkout.");
ABSL_FLAG(std::string, index, "default",
          "The index: default, a directory, or registry://HOST:PORT/REPO (the "
          "NAME.why target passes the builds' //rules:index).");
ABSL_FLAG(int, level, imagegraph::kDefaultLevel,
          "The requester's trust level, 1..3: the latest build of level 3 is "
          "compared with first, then each lower level down to this one.");

namespace imagegraph {
namespace {

constexpr char kUsage[] =
    R"(what changed since the latest indexed build of an image.

Usage:
  bazel run //images:NAME.why
  why --name=NAME --folder=images/NAME --context_manifest=NAME.context.manifest
      [--index=default|DIR|registry://HOST:PORT/REPO] [--level=N]

Prints whether this context is indexed (a build reuses it), and otherwise the
one-line reason the decision gives and every line of the context manifest
that differs from the one the latest indexed build of the image kept (level 3
first, then each lower level down to --level): files by path and content
digest, parents by context hash, build arguments.)";

int Run() {
  const std::string name = absl::GetFlag(FLAGS_name);
  const std::string manifest_path = absl::GetFlag(FLAGS_context_manifest);
  if (name.empty() || manifest_path.empty()) {
    std::cerr << "why: --name and --context_manifest are required (see "
                 "--help)\n";
    return kExitUsage;
  }
  absl::StatusOr<std::string> manifest = ReadFileToString(manifest_path);
  if (!manifest.ok()) {
    std::cerr << "why: cannot read the context manifest: "
              << manifest.status().message() << "\n";
    return kExitError;
  }
  const std::string index_spec = absl::GetFlag(FLAGS_index);
  if (index_spec == kNoIndex) {
    std::cerr << "why: --index=off (//rules:index is off): there is no "
                 "indexed build to compare with; set --//rules:index to the "
                 "index the builds use\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<Index>> index =
      Index::Open(index_spec, absl::GetFlag(FLAGS_level));
  if (!index.ok()) {
    std::cerr << "why: " << index.status().message() << "\n";
    return absl::IsInvalidArgument(index.status()) ? kExitUsage : kExitError;
  }
  std::vector<std::string> warnings;
  absl::StatusOr<Explanation> explanation = ExplainImage(
      **index, name, absl::GetFlag(FLAGS_folder), *manifest, &warnings);
  for (const std::string& warning : warnings) {
    std::cerr << "why: warning: " << warning << "\n";
  }
  if (!explanation.ok()) {
    std::cerr << "why: " << explanation.status().message() << "\n";
    return kExitError;
  }
  std::cout << explanation->text;
  return explanation->compared ? kExitSuccess : kExitNegative;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  imagegraph::ParseToolArgumentsOrExit(
      {"why", imagegraph::kUsage,
       "no build of the image is indexed: nothing to compare with"},
      argc, argv);
  return imagegraph::Run();
}
