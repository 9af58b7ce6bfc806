// Where the container tools keep registry credentials, and which file holds
// those for a registry: one search, used by the registry index and by push,
// so that both name the same file in their errors.
#ifndef IMAGEGRAPH_TOOLS_INDEX_REGISTRY_CREDENTIALS_H_
#define IMAGEGRAPH_TOOLS_INDEX_REGISTRY_CREDENTIALS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct RegistryCredentials {
  std::string basic;   // base64 of "user:password", as auth.json keeps it
  std::string source;  // the file it came from, for messages
};

// The auth files searched, in order (containers-auth.json(5), then Docker's):
// $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
// $HOME/.config/containers/auth.json, $HOME/.docker/config.json (HOME as
// HomeDirectory() finds it).
std::vector<std::string> RegistryAuthFiles();

// The credentials for `host` (HOST[:PORT]) and repository `repo` in the first
// of `files` that has any: an entry for "HOST/REPO" or one of its parent
// paths wins over one for "HOST" ("https://HOST" as Docker writes it is the
// same). nullopt when no file has an entry; an unreadable or malformed file
// is an error naming it.
absl::StatusOr<std::optional<RegistryCredentials>> FindRegistryCredentials(
    absl::string_view host, absl::string_view repo,
    const std::vector<std::string>& files);

// What to do when a registry wants credentials it was not given: log in.
std::string RegistryLoginHint(absl::string_view host);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_REGISTRY_CREDENTIALS_H_
