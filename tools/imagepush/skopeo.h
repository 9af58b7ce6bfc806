// Talking to registries through skopeo: copies and manifest reads with
// bounded retries, and skopeo's failures turned into errors that say what to
// do. Credentials stay skopeo's business (REGISTRY_AUTH_FILE, containers
// auth.json, ~/.docker/config.json, or --authfile); they never pass through
// this code and are never printed. When a registry refuses them, the error
// names the auth file they came from (the same search as skopeo's and the
// registry index's), or the files searched when none has any.
#ifndef IMAGEGRAPH_TOOLS_IMAGEPUSH_SKOPEO_H_
#define IMAGEGRAPH_TOOLS_IMAGEPUSH_SKOPEO_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace imagegraph {

// Why a skopeo command failed, judged from its message.
enum class SkopeoFailure {
  kUnreachable,     // connection refused/reset, timeout, 5xx: worth retrying
  kUnauthorized,    // 401/403: the credentials are missing or wrong
  kNotFound,        // the manifest or repository does not exist
  kTlsMismatch,     // an HTTP registry spoken to with TLS
  kDigestMismatch,  // content did not match its digest
  kOther,
};

SkopeoFailure ClassifySkopeoFailure(absl::string_view message);

// skopeo's last "level=fatal msg=..." message (unquoted), or its last line.
std::string SkopeoMessage(absl::string_view stderr_text);

struct SkopeoOptions {
  std::string skopeo = "skopeo";
  bool tls_verify = true;
  std::string authfile;  // empty: skopeo's standard search
  // Tries per command when the registry is unreachable; the waits between
  // tries are `first_backoff`, doubled each time.
  int attempts = 3;
  absl::Duration first_backoff = absl::Milliseconds(500);
  // Limit for commands that only read a manifest, so a registry that
  // accepts connections but never answers cannot hang a push.
  absl::Duration inspect_timeout = absl::Seconds(10);
};

class Skopeo {
 public:
  explicit Skopeo(SkopeoOptions options) : options_(std::move(options)) {}

  // The raw manifest bytes of `reference` ("docker://host/name:tag" or
  // "...@sha256:..."); nullopt when the registry answers that it has no such
  // manifest.
  absl::StatusOr<std::optional<std::string>> InspectRawManifest(
      absl::string_view reference) const;

  // skopeo copy SOURCE DESTINATION; when `digest_file` is set, skopeo writes
  // the manifest digest of what it wrote there. `extra_args` go before the
  // references (e.g. "--preserve-digests").
  absl::Status Copy(absl::string_view source, absl::string_view destination,
                    absl::string_view digest_file = "",
                    const std::vector<std::string>& extra_args = {}) const;

 private:
  // Runs skopeo with retries on kUnreachable; `target` names the registry
  // reference for messages.
  absl::StatusOr<std::string> Run(const std::vector<std::string>& args,
                                  absl::string_view target,
                                  bool* not_found) const;

  // Why the registry of `target` refused access (skopeo said `message`):
  // the auth file whose credentials it rejected, or the files searched in
  // vain.
  std::string UnauthorizedMessage(absl::string_view target,
                                  absl::string_view message) const;

  SkopeoOptions options_;
};

// The registry host of "docker://host[:port]/path..." (for messages).
std::string RegistryHostOf(absl::string_view reference);

// The repository path of "docker://host[:port]/path[:tag|@digest]".
std::string RepositoryOf(absl::string_view reference);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEPUSH_SKOPEO_H_
