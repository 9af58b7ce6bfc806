// imagebuild: builds one image of the tree from its context tar with buildah
// and writes NAME.tar.zst (docker-archive, zstd) and NAME.image.json.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/common/command_line.h"
#include "tools/common/subprocess.h"
#include "tools/imagebuild/buildah.h"
#include "tools/imagebuild/flags.h"
#include "tools/imagebuild/imagebuild.h"
#include "tools/imagebuild/layer_store.h"
#include "tools/imagebuild/parent_watch.h"
#include "tools/index/namespaces.h"
#include "tools/tree/reference_map.h"

ABSL_FLAG(std::string, name, "", "Image name (the image folder's name).");
ABSL_FLAG(std::string, context_tar, "", "The context tar made by ctxhash.");
ABSL_FLAG(std::string, context_hash_file, "",
          "File holding the context hash (hex).");
ABSL_FLAG(std::string, context_manifest, "",
          "The context manifest made by ctxhash (NAME.context.manifest): "
          "extra files are checked against it and index entries keep it.");
ABSL_FLAG(std::vector<std::string>, extra_file, {},
          "PATH=FILE: a Bazel-built file of the context that the context tar "
          "leaves out, placed at PATH in it (repeatable; needs "
          "--context_manifest).");
ABSL_FLAG(std::string, dockerfile, "Dockerfile",
          "Path of the Dockerfile inside the context.");
ABSL_FLAG(std::vector<std::string>, parent, {},
          "NAME=PATH.tar.zst of a direct in-tree parent (repeatable).");
ABSL_FLAG(std::vector<std::string>, parent_metadata, {},
          "NAME=PATH.image.json: the metadata written with the --parent's "
          "tarball (one for each --parent).");
ABSL_FLAG(std::vector<std::string>, base, {},
          "REPOSITORY@sha256:<hex>=PATH.tar[.zst]: an external base pinned by "
          "digest and its docker-archive (repeatable).");
ABSL_FLAG(std::vector<std::string>, build_arg, {},
          "KEY=VALUE build argument (repeatable).");
ABSL_FLAG(std::string, registry, "",
          "Registry: tags are REGISTRY/NAME:VERSION and "
          "REGISTRY/NAME:<context hash> (localhost/NAME:... without one).");
ABSL_FLAG(std::string, version, "latest", "Version tag.");
ABSL_FLAG(std::string, registry_file, "",
          "A REGISTRY file: its one line takes the place of --registry.");
ABSL_FLAG(std::string, version_file, "",
          "A VERSION file: its one line takes the place of --version.");
ABSL_FLAG(std::vector<std::string>, reference, {},
          "WRITTEN=TARGET: what a reference of the Dockerfile names (WRITTEN "
          "as written after ARG expansion, TARGET :NAME of a --parent or a "
          "pinned reference of a --base); repeatable.");
ABSL_FLAG(std::string, docker_image_parent, "",
          "The declared parent, which $DOCKER_IMAGE_PARENT names.");
ABSL_FLAG(std::string, output, "", "Output NAME.tar.zst.");
ABSL_FLAG(std::string, metadata, "", "Output NAME.image.json.");
ABSL_FLAG(int, zstd_level, 3, "zstd compression level.");
ABSL_FLAG(int, zstd_threads, 0, "zstd worker threads (0 = all cores).");
ABSL_FLAG(std::string, buildah, "buildah", "The buildah binary.");
ABSL_FLAG(std::string, index, "",
          "The image index to reuse images from and insert built images "
          "into: empty or `off` (no index), `default` "
          "(${XDG_CACHE_HOME:-$HOME/.cache}/imagegraph/index), an absolute "
          "directory, or registry://HOST:PORT/REPO.");
ABSL_FLAG(
    std::string, layer_store, "",
    "Where parents' layers are kept between builds: empty or `off` (none: "
    "each parent is imported into the build's private storage), "
    "`default` (layers/ beside the default index directory) or an "
    "absolute directory.");
ABSL_FLAG(std::string, storage_driver, "auto",
          "The storage driver of the build's storages and of the layer "
          "store: `auto` (overlay where the build's user namespace can mount "
          "it, else vfs), `overlay` or `vfs`. Image IDs are the same with "
          "either.");
ABSL_FLAG(int, index_level, imagegraph::kDefaultLevel,
          "The build's index level (1..3): lookups try level 3 down to this "
          "one; inserts write this level's namespaces.");
ABSL_FLAG(std::string, revision, "",
          "The source revision recorded in index entries this build inserts.");

namespace {

constexpr char kUsage[] =
    R"(builds one image of the tree with buildah.

Usage:
  imagebuild --name=NAME --context_tar=X.context.tar --context_hash_file=X.context_hash
  [--context_manifest=X.context.manifest] [--extra_file=PATH=FILE]...
  [--dockerfile=Dockerfile] [--parent=NAME=PATH.tar.zst --parent_metadata=NAME=PATH.image.json]...
  [--base=REF@sha256:...=PATH.tar]...
  [--build_arg=K=V]... [--registry=REG | --registry_file=F]
  [--version=V | --version_file=F] [--reference=WRITTEN=TARGET]...
  [--docker_image_parent=NAME]
  --output=NAME.tar.zst --metadata=NAME.image.json
  [--zstd_level=3] [--zstd_threads=0] [--buildah=PATH]
  [--index=off|default|DIR|registry://HOST:PORT/REPO] [--index_level=1] [--revision=R]
  [--layer_store=off|default|DIR] [--storage_driver=auto|overlay|vfs]

Builds one image with buildah (chroot isolation, a private storage in a
temporary directory under $TMPDIR, timestamp 0, no identity label:
deterministic Dockerfiles give the same image ID anywhere, whoever builds).
The storage driver (--storage_driver) is overlay where the build's user
namespace can mount it, else vfs, chosen once per build and shown in the
progress; layers are computed the same way with both (by comparing trees),
so image IDs do not depend on it.
buildah and every RUN step run in a user namespace (with its own PID
namespace) whose root is the invoking user's first range of 65536 subordinate
IDs (/etc/subuid, /etc/subgid; ./bazelw sets them up): never host root, never
the invoking user. A build stops when its parent dies; directories left by
killed builds are removed by the next one. In-tree FROM / COPY --from
references are rewritten to the parents' loaded images, pinned ones to the
loaded bases; each reference must be listed by --reference (the generator's
map): nothing is resolved by guessing. Writes the docker-archive, zstd
compressed, and the image metadata (JSON); progress goes to stderr.

With --index, the image is first looked up by its context hash (level 3 down
to --index_level): an entry whose tarball verifies is written to the outputs
and nothing is built (buildah is not even looked for); a corrupt or
mismatching one is a warning and the image is built. A built image is then
indexed (hash, latest and pushdate routes). Index problems are warnings.

With --layer_store, parents are kept in a persistent store (per user; by
default layers/ beside the default index directory): a parent is imported
there once, verified (its configuration read back must hash to its image ID),
and later builds reuse its layers instead of extracting them again. The store
is a cache: the image built is the same with or without it.

On any error, SIGINT and SIGTERM included, no output and no temporary file is
left behind.)";

int Fail(const std::string& message, int code) {
  fprintf(stderr, "imagebuild: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Cancellation (Bazel sends SIGTERM) must still remove the temporary
  // storage, which holds hundreds of megabytes.
  imagegraph::InstallInterruptHandler();
  // kill -9 of the Bazel server or of the process wrapper must not leave
  // this build running.
  imagegraph::StopWhenParentDies();
  const imagegraph::ToolArguments arguments =
      imagegraph::ParseToolArgumentsOrExit(
          {"imagebuild", kUsage}, argc, argv,
          {"parent", "parent_metadata", "base", "build_arg", "reference",
           "extra_file"});
  const std::vector<std::string>& parents = arguments.Repeated("parent");
  const std::vector<std::string>& bases = arguments.Repeated("base");
  const std::vector<std::string>& build_args = arguments.Repeated("build_arg");

  imagegraph::BuildRequest request;
  request.name = absl::GetFlag(FLAGS_name);
  request.context_tar = absl::GetFlag(FLAGS_context_tar);
  request.context_hash_file = absl::GetFlag(FLAGS_context_hash_file);
  request.context_manifest = absl::GetFlag(FLAGS_context_manifest);
  request.dockerfile = absl::GetFlag(FLAGS_dockerfile);
  request.registry = absl::GetFlag(FLAGS_registry);
  request.version = absl::GetFlag(FLAGS_version);
  request.registry_file = absl::GetFlag(FLAGS_registry_file);
  request.version_file = absl::GetFlag(FLAGS_version_file);
  request.declared_parent = absl::GetFlag(FLAGS_docker_image_parent);
  request.output = absl::GetFlag(FLAGS_output);
  request.metadata = absl::GetFlag(FLAGS_metadata);
  request.zstd.level = absl::GetFlag(FLAGS_zstd_level);
  request.zstd.threads = absl::GetFlag(FLAGS_zstd_threads);
  request.buildah = absl::GetFlag(FLAGS_buildah);
  request.layer_store = absl::GetFlag(FLAGS_layer_store);
  request.storage_driver = absl::GetFlag(FLAGS_storage_driver);
  request.index.spec = absl::GetFlag(FLAGS_index);
  request.index.level = absl::GetFlag(FLAGS_index_level);
  request.index.revision = absl::GetFlag(FLAGS_revision);
  const std::pair<const char*, const std::string*> required_flags[] = {
      {"name", &request.name},
      {"context_tar", &request.context_tar},
      {"context_hash_file", &request.context_hash_file},
      {"output", &request.output},
      {"metadata", &request.metadata}};
  for (const auto& [flag, value] : required_flags) {
    if (value->empty()) {
      return Fail(absl::StrCat("--", flag, " is required (see --help)"),
                  imagegraph::kExitUsage);
    }
  }
  for (const std::string& value : parents) {
    auto parent = imagegraph::ParseParentFlag(value);
    if (!parent.ok())
      return Fail(std::string(parent.status().message()),
                  imagegraph::kExitUsage);
    request.parents.push_back(*parent);
  }
  for (const std::string& value : arguments.Repeated("parent_metadata")) {
    if (absl::Status added =
            imagegraph::AddParentMetadata(value, &request.parents);
        !added.ok()) {
      return Fail(std::string(added.message()), imagegraph::kExitUsage);
    }
  }
  if (absl::Status complete =
          imagegraph::CheckParentsHaveMetadata(request.parents);
      !complete.ok()) {
    return Fail(std::string(complete.message()), imagegraph::kExitUsage);
  }
  for (const std::string& value : bases) {
    auto base = imagegraph::ParseBaseFlag(value);
    if (!base.ok())
      return Fail(std::string(base.status().message()), imagegraph::kExitUsage);
    request.bases.push_back(*base);
  }
  for (const std::string& value : arguments.Repeated("reference")) {
    auto entry = imagegraph::ParseReferenceFlag(value);
    if (!entry.ok()) {
      return Fail(std::string(entry.status().message()),
                  imagegraph::kExitUsage);
    }
    if (!request.references.insert(*std::move(entry)).second) {
      return Fail(absl::StrCat("--reference=", value, " is given twice"),
                  imagegraph::kExitUsage);
    }
  }
  for (const std::string& value : arguments.Repeated("extra_file")) {
    auto extra = imagegraph::ParseExtraFileFlag(value);
    if (!extra.ok()) {
      return Fail(std::string(extra.status().message()),
                  imagegraph::kExitUsage);
    }
    request.extra_files.push_back(*std::move(extra));
  }
  for (const std::string& value : build_args) {
    auto arg = imagegraph::ParseBuildArgFlag(value);
    if (!arg.ok())
      return Fail(std::string(arg.status().message()), imagegraph::kExitUsage);
    request.build_args.push_back(*arg);
  }

  if (auto spec = imagegraph::ResolveIndexSpec(request.index); !spec.ok()) {
    return Fail(std::string(spec.status().message()), imagegraph::kExitUsage);
  }
  if (auto store = imagegraph::ResolveLayerStoreSpec(request.layer_store);
      !store.ok()) {
    return Fail(std::string(store.status().message()), imagegraph::kExitUsage);
  }
  if (auto driver = imagegraph::ParseStorageDriverSpec(request.storage_driver);
      !driver.ok()) {
    return Fail(std::string(driver.status().message()), imagegraph::kExitUsage);
  }
  auto metadata = imagegraph::BuildImage(request);
  if (!metadata.ok()) {
    return Fail(std::string(metadata.status().message()),
                imagegraph::kExitError);
  }
  return 0;
}
