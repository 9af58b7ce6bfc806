// Builds one image of the tree from its context tar with buildah, in a
// private temporary storage, and writes NAME.tar.zst (docker-archive, zstd)
// and NAME.image.json.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGEBUILD_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGEBUILD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/imagebuild/extra_files.h"
#include "tools/imagebuild/image_metadata.h"
#include "tools/imagebuild/index_reuse.h"
#include "tools/imagebuild/zstd_stream.h"
#include "tools/tree/reference_map.h"

namespace imagegraph {

// A direct in-tree parent and the tarball this tool made for it.
struct ParentImage {
  std::string name;
  std::string tarball;  // docker-archive, zstd-compressed or plain
  // Its NAME.image.json, written with the tarball: the image ID and where
  // each member's frame lies (framed_archive.h).
  std::string metadata;
};

// An external base pinned by digest and its docker-archive tarball.
struct ExternalBase {
  std::string reference;  // REPOSITORY@sha256:<hex>
  std::string digest;     // sha256:<hex>
  std::string tarball;    // docker-archive, zstd-compressed or plain
};

struct BuildRequest {
  std::string name;
  std::string context_tar;
  std::string context_hash_file;
  // The hashed text of the context (NAME.context.manifest): extra files are
  // checked against it, and index entries keep it. Optional unless
  // extra_files is set.
  std::string context_manifest;
  // Bazel-built files of the context that the tar leaves out.
  std::vector<ExtraFile> extra_files;
  std::string dockerfile = "Dockerfile";  // path inside the context
  std::vector<ParentImage> parents;
  std::vector<ExternalBase> bases;
  std::vector<std::pair<std::string, std::string>> build_args;
  std::string registry;  // "" tags the image localhost/NAME
  std::string version;   // "" means "latest"
  // One-line REGISTRY and VERSION files; when set, they give `registry` and
  // `version` (the image rule passes files, which Starlark cannot read).
  std::string registry_file;
  std::string version_file;
  // What each reference of the Dockerfile names (docker_image's
  // `references`), and the declared parent ($DOCKER_IMAGE_PARENT; "" for
  // none). The build resolves through them only.
  ReferenceMap references;
  std::string declared_parent;
  std::string output;
  std::string metadata;
  ZstdOptions zstd;
  std::string buildah = "buildah";
  // Where parents' layers are kept between builds (layer_store.h): "" or
  // "off" (none: each parent is imported into the build's private storage),
  // "default" or an absolute directory.
  std::string layer_store;
  // The storage driver of the build's storages (buildah.h): "auto" (overlay
  // where the build's namespace can mount it, else vfs), "overlay" or "vfs".
  // Image IDs do not depend on it.
  std::string storage_driver = "auto";
  // Off unless set: an indexed image with the same context hash is reused
  // instead of built, and a built image is indexed.
  IndexSettings index;
};

// The two tags of a build: REPOSITORY:VERSION and REPOSITORY:<context hash>,
// where REPOSITORY is REGISTRY/NAME (localhost/NAME without a registry).
std::vector<std::string> ImageTags(absl::string_view registry,
                                   absl::string_view name,
                                   absl::string_view version,
                                   absl::string_view context_hash);

// Runs the whole build. With an index configured, first looks the context
// hash up there: a verified hit is written to both outputs and buildah is
// never run (nor looked for); after a real build the image is inserted.
// Index problems are warnings. On success both outputs exist; on any error
// neither does, and the message names what failed and how to fix it. The
// temporary directory (context, buildah storage, archives) is removed either
// way. Progress lines go to stderr.
absl::StatusOr<ImageMetadata> BuildImage(const BuildRequest& request);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_IMAGEBUILD_H_
