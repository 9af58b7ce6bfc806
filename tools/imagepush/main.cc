// imagepush: pushes a built image to REGISTRY/NAME:VERSION (and index tags),
// reads its manifest digest back and checks it against the folder's HASH.
// `bazel run //images:NAME.push -- [flags]` runs it with the image's files.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "tools/common/command_line.h"
#include "tools/imagepush/image_push.h"
#include "tools/index/namespaces.h"

ABSL_FLAG(std::string, tarball, "", "The image, NAME.tar.zst (required).");
ABSL_FLAG(std::string, name, "", "The image name (required).");
ABSL_FLAG(std::string, folder, "",
          "The image folder relative to the workspace root, e.g. images/lint; "
          "its HASH is the one --update-hash rewrites.");
ABSL_FLAG(std::string, registry_file, "", "The REGISTRY file to read.");
ABSL_FLAG(std::string, version_file, "",
          "The VERSION file; without one the tag is `latest` (a warning).");
ABSL_FLAG(std::string, hash_file, "", "The HASH file the digest must match.");
ABSL_FLAG(std::string, context_hash_file, "",
          "The image's context hash file (for the index tags).");
ABSL_FLAG(std::string, registry, "",
          "HOST[:PORT][/PATH]: push there instead of the REGISTRY file's "
          "registry.");
ABSL_FLAG(bool, update_hash, false,
          "Write the pushed digest to the source tree's HASH (atomically) "
          "instead of failing when it differs.");
ABSL_FLAG(bool, tls_verify, true,
          "Require HTTPS with a verified certificate; false for plain-HTTP "
          "test registries.");
ABSL_FLAG(std::string, index, "",
          "registry://HOST[:PORT]/PATH: also tag the image there as "
          "docker.images.v2.level-L.NAME.hash.CONTEXT_HASH and "
          "docker.images.v2.level-L.NAME.latest.");
ABSL_FLAG(int, level, imagegraph::kDefaultLevel,
          "The index level L (1..3) for --index.");
ABSL_FLAG(std::string, authfile, "",
          "An auth.json with registry credentials; default: skopeo's search "
          "(REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json).");
ABSL_FLAG(std::string, workspace_dir, "",
          "The source tree root; default $BUILD_WORKSPACE_DIRECTORY.");
ABSL_FLAG(std::string, push_target, "",
          "The push target's label (set by the rule), so that messages can "
          "show the command that pushes again.");
ABSL_FLAG(int, attempts, 3,
          "Tries per registry command while the registry is unreachable "
          "(waits 0.5 s, 1 s, ... between them).");

namespace {

constexpr char kUsage[] = R"(pushes an image pinned by digest.

Usage (through Bazel):
  bazel run //images:NAME.push [-- --registry=HOST:PORT/PATH --update-hash
                                   --tls-verify=false --index=registry://...]

Pushes NAME.tar.zst to REGISTRY/NAME:VERSION (REGISTRY from the folder's file,
else the tree's; VERSION missing means `latest`), reads the manifest digest
back from the registry and compares it with the folder's HASH. Prints
REGISTRY/NAME@sha256:DIGEST on stdout. A failed push (registry unreachable
after retries, credentials refused, bad files) changes nothing in the source
tree.)";

}  // namespace

int main(int argc, char** argv) {
  imagegraph::ParseToolArgumentsOrExit(
      {"imagepush", kUsage,
       "the pushed digest differs from HASH; HASH is unchanged (use "
       "--update-hash to accept the new digest)"},
      argc, argv);
  if (absl::GetFlag(FLAGS_tarball).empty() ||
      absl::GetFlag(FLAGS_name).empty()) {
    absl::FPrintF(stderr,
                  "imagepush: --tarball and --name are required; run it "
                  "through `bazel run //images:NAME.push`\n");
    return imagegraph::kExitUsage;
  }

  imagegraph::PushRequest request;
  imagegraph::PushSources& sources = request.sources;
  sources.name = absl::GetFlag(FLAGS_name);
  sources.folder = absl::GetFlag(FLAGS_folder);
  sources.registry_override = absl::GetFlag(FLAGS_registry);
  sources.registry_file = absl::GetFlag(FLAGS_registry_file);
  sources.version_file = absl::GetFlag(FLAGS_version_file);
  sources.hash_file = absl::GetFlag(FLAGS_hash_file);
  std::string workspace_dir = absl::GetFlag(FLAGS_workspace_dir);
  if (workspace_dir.empty()) {
    const char* env = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    if (env != nullptr) workspace_dir = env;
  }
  if (!workspace_dir.empty() && !sources.folder.empty()) {
    sources.source_hash_path =
        absl::StrCat(workspace_dir, "/", sources.folder, "/HASH");
  }
  request.tarball = absl::GetFlag(FLAGS_tarball);
  request.context_hash_file = absl::GetFlag(FLAGS_context_hash_file);
  request.update_hash = absl::GetFlag(FLAGS_update_hash);
  request.index = absl::GetFlag(FLAGS_index);
  request.index_level = absl::GetFlag(FLAGS_level);
  request.skopeo.tls_verify = absl::GetFlag(FLAGS_tls_verify);
  request.skopeo.authfile = absl::GetFlag(FLAGS_authfile);
  request.skopeo.attempts = std::max(1, absl::GetFlag(FLAGS_attempts));
  if (!absl::GetFlag(FLAGS_push_target).empty()) {
    // The flags the push rule passes; everything else came from the user.
    const std::vector<std::string> rule_flags = {
        "tarball",           "name",         "folder",
        "registry_file",     "version_file", "hash_file",
        "context_hash_file", "push_target"};
    request.rerun_command = imagegraph::RerunCommand(
        absl::GetFlag(FLAGS_push_target),
        std::vector<std::string>(argv + 1, argv + argc), rule_flags);
  }

  absl::StatusOr<imagegraph::PushResult> result =
      imagegraph::PushImage(request);
  if (!result.ok()) {
    absl::FPrintF(stderr, "imagepush: error: %s\n", result.status().message());
    return imagegraph::IsDigestMismatch(result.status())
               ? imagegraph::kExitNegative
               : imagegraph::kExitError;
  }
  absl::PrintF("%s\n", result->pinned);
  return imagegraph::kExitSuccess;
}
