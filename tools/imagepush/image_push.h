// Pushing one built image (NAME.tar.zst) to REGISTRY/NAME:VERSION, reading
// its manifest digest back from the registry and checking it against HASH.
#ifndef IMAGEGRAPH_TOOLS_IMAGEPUSH_IMAGE_PUSH_H_
#define IMAGEGRAPH_TOOLS_IMAGEPUSH_IMAGE_PUSH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/imagepush/push_settings.h"
#include "tools/imagepush/skopeo.h"

namespace imagegraph {

struct PushRequest {
  PushSources sources;
  std::string tarball;            // NAME.tar.zst (docker-archive, zstd)
  std::string context_hash_file;  // for the index tags; may be empty
  bool update_hash = false;
  // "registry://HOST[:PORT]/PATH" or empty; `index_level` picks the
  // docker.images.v2.level-N namespaces written there.
  std::string index;
  int index_level = 1;
  SkopeoOptions skopeo;
  // The command that ran this push, as the user would type it again
  // ("bazel run //images:lint.push -- --registry=..."), for the message that
  // says how to pin a build that differs from HASH; may be empty.
  std::string rerun_command;
};

struct PushResult {
  std::string digest;  // "sha256:..." as read back from the registry
  std::string pinned;  // REGISTRY/NAME@sha256:...
  std::vector<std::string> tagged;  // every REPOSITORY:TAG now pointing at it
  bool hash_updated = false;
};

// Pushes; on a digest that differs from HASH (without update_hash) returns a
// FailedPreconditionError whose payload "imagegraph/digest-mismatch" is set,
// after pointing the tag back at HASH's image when the registry has it. HASH is
// only ever rewritten atomically, and only with update_hash.
absl::StatusOr<PushResult> PushImage(const PushRequest& request);

// Whether `status` is PushImage's digest-mismatch error.
bool IsDigestMismatch(const absl::Status& status);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEPUSH_IMAGE_PUSH_H_
