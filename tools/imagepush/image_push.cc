#include "tools/imagepush/image_push.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common/errno_status.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kMismatchPayload = "imagegraph/digest-mismatch";

std::string DigestOf(absl::string_view manifest) {
  return absl::StrCat("sha256:", Sha256Hex(manifest));
}

void Note(const absl::FormatSpec<std::string>& format, const std::string& arg) {
  absl::FPrintF(stderr, format, arg);
}

}  // namespace

bool IsDigestMismatch(const absl::Status& status) {
  return status.GetPayload(kMismatchPayload).has_value();
}

absl::StatusOr<PushResult> PushImage(const PushRequest& request) {
  IG_ASSIGN_OR_RETURN(PushSettings settings,
                      ResolvePushSettings(request.sources));
  const std::string& name = request.sources.name;
  std::vector<std::string> index_tags;
  std::string index_repository;
  if (!request.index.empty()) {
    IG_ASSIGN_OR_RETURN(index_repository, ParseRegistryIndexUrl(request.index));
    if (request.context_hash_file.empty()) {
      return absl::InvalidArgumentError(
          "--index needs the image's context hash; pass --context_hash_file");
    }
    IG_ASSIGN_OR_RETURN(std::string context_hash,
                        ReadFileToString(request.context_hash_file));
    IG_ASSIGN_OR_RETURN(index_tags,
                        IndexTags(request.index_level, name,
                                  absl::StripAsciiWhitespace(context_hash)));
  }
  if (request.update_hash && request.sources.source_hash_path.empty()) {
    return absl::FailedPreconditionError(
        "--update-hash rewrites the HASH file in the source tree, which "
        "needs BUILD_WORKSPACE_DIRECTORY (set by `bazel run`) or "
        "--workspace_dir=");
  }
  if (access(request.tarball.c_str(), R_OK) != 0) {
    return ErrnoToStatus(request.tarball, "cannot read the image tarball",
                         errno,
                         "build the image first, or push through `bazel run "
                         "//images:NAME.push`, which builds it");
  }
  if (absl::StrContains(request.tarball, ":")) {
    return absl::InvalidArgumentError(absl::StrCat(
        request.tarball,
        ": skopeo cannot read a docker-archive whose path contains ':'; move "
        "it"));
  }
  if (settings.tag_defaulted) {
    Note(
        "imagepush: warning: %s has no VERSION file; pushing the tag "
        "`latest`. Add a VERSION file to push a fixed version.\n",
        request.sources.folder.empty() ? name : request.sources.folder);
  }

  Skopeo skopeo(request.skopeo);
  const std::string tag_reference =
      absl::StrCat("docker://", settings.repository, ":", settings.tag);

  // skopeo reads the zstd docker-archive itself (it unpacks compressed
  // archives into $TMPDIR, without the fsync an atomic output would cost).
  IG_ASSIGN_OR_RETURN(ScopedTempDirectory work,
                      ScopedTempDirectory::Create("imagepush."));
  const std::string digest_file = absl::StrCat(work.path(), "/digest");
  absl::FPrintF(stderr, "imagepush: pushing %s to %s:%s\n", name,
                settings.repository, settings.tag);
  IG_RETURN_IF_ERROR(
      skopeo.Copy(absl::StrCat("docker-archive:", request.tarball),
                  tag_reference, digest_file));
  IG_ASSIGN_OR_RETURN(std::string written, ReadFileToString(digest_file));
  written = std::string(absl::StripAsciiWhitespace(written));

  // Read back what the registry now serves for the tag and hash it
  // ourselves: this is the digest that gets pinned.
  IG_ASSIGN_OR_RETURN(std::optional<std::string> served,
                      skopeo.InspectRawManifest(tag_reference));
  if (!served.has_value()) {
    return absl::DataLossError(absl::StrCat(
        "registry ", RegistryHostOf(tag_reference), " has no manifest for ",
        settings.repository, ":", settings.tag,
        " right after the push; check the registry's storage and logs"));
  }
  PushResult result;
  result.digest = DigestOf(*served);
  if (result.digest != written) {
    return absl::DataLossError(absl::StrCat(
        "registry ", RegistryHostOf(tag_reference), " serves ",
        settings.repository, ":", settings.tag, " with digest ", result.digest,
        " but the push wrote ", written,
        "; another push raced this one or the registry altered the manifest. "
        "Push again and check who else pushes this tag"));
  }
  result.pinned = absl::StrCat(settings.repository, "@", result.digest);
  result.tagged.push_back(absl::StrCat(settings.repository, ":", settings.tag));

  if (settings.hash.has_value() && *settings.hash != result.digest &&
      !request.update_hash) {
    // Point the tag back at the pinned image (what it held after the last
    // pinned push); the pushed blobs stay, addressed by digest and harmless.
    std::string tag_state;
    absl::Status restored = skopeo.Copy(
        absl::StrCat("docker://", settings.repository, "@", *settings.hash),
        tag_reference, "", {"--preserve-digests"});
    if (restored.ok()) {
      tag_state = absl::StrCat("the tag was put back to ", *settings.hash);
    } else if (absl::IsNotFound(restored)) {
      tag_state = absl::StrCat("the registry has no image ", *settings.hash,
                               " to put the tag back to, so it now points at ",
                               result.digest);
    } else {
      tag_state = absl::StrCat("putting the tag back to ", *settings.hash,
                               " failed (", restored.message(), ")");
    }
    // A new user meets this first on a fresh machine: say what differs,
    // why builds drift, and the one command that pins this build.
    const std::string rerun =
        request.rerun_command.empty()
            ? "push again with --update-hash"
            : absl::StrCat("run\n    ", request.rerun_command,
                           " --update-hash");
    absl::Status mismatch = absl::FailedPreconditionError(absl::StrCat(
        settings.hash_origin, ":1: pins ", *settings.hash,
        ", but this build of ", name,
        " is a different image: ", settings.repository, ":", settings.tag,
        " was pushed with manifest digest ", result.digest,
        ". HASH is unchanged and ", tag_state,
        ".\nA build differs from the pinned image when something that goes "
        "into it changed (a file of its folder, a parent, the builder), or "
        "when its build reads inputs nothing pins: packages from a live "
        "Debian mirror (mmdebstrap, apt-get in a RUN step) make a different "
        "image once the mirror has moved, even from unchanged files.\nTo pin "
        "this build instead, ",
        rerun));
    mismatch.SetPayload(kMismatchPayload, absl::Cord(result.digest));
    return mismatch;
  }

  if (request.update_hash &&
      (!settings.hash.has_value() || *settings.hash != result.digest)) {
    IG_RETURN_IF_ERROR(WriteFileAtomically(request.sources.source_hash_path,
                                           absl::StrCat(result.digest, "\n")));
    result.hash_updated = true;
    absl::FPrintF(stderr, "imagepush: wrote %s to %s\n", result.digest,
                  request.sources.source_hash_path);
  } else if (settings.hash.has_value()) {
    absl::FPrintF(stderr, "imagepush: digest %s matches %s\n", result.digest,
                  settings.hash_origin);
  } else {
    absl::FPrintF(
        stderr,
        "imagepush: warning: %s is not pinned (no HASH file); push "
        "with --update-hash to pin %s\n",
        request.sources.folder.empty() ? name : request.sources.folder,
        result.digest);
  }

  for (const std::string& index_tag : index_tags) {
    std::string destination =
        absl::StrCat("docker://", index_repository, ":", index_tag);
    IG_RETURN_IF_ERROR(skopeo.Copy(absl::StrCat("docker://", result.pinned),
                                   destination, "", {"--preserve-digests"}));
    result.tagged.push_back(absl::StrCat(index_repository, ":", index_tag));
  }
  for (const std::string& tagged : result.tagged) {
    absl::FPrintF(stderr, "imagepush: %s -> %s\n", tagged, result.digest);
  }
  return result;
}

}  // namespace imagegraph
