// Logging in to a registry the way the container tools do: credentials from
// their auth files, and the registry's own challenge (HTTP 401 with
// WWW-Authenticate) deciding between Basic and Bearer token authentication.
//
// Secrets never appear in a message: errors name the file the credentials
// came from, never their content.
#ifndef IMAGEGRAPH_TOOLS_INDEX_REGISTRY_AUTH_H_
#define IMAGEGRAPH_TOOLS_INDEX_REGISTRY_AUTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/index/http_client.h"
#include "tools/index/registry_credentials.h"

namespace imagegraph {

// A parsed WWW-Authenticate challenge: `Basic realm="x"` or
// `Bearer realm="https://auth/token",service="registry",scope="..."`.
struct AuthChallenge {
  std::string scheme;  // lowercase: "basic" or "bearer"
  absl::flat_hash_map<std::string, std::string> params;  // keys lowercase
};
std::optional<AuthChallenge> ParseAuthChallenge(absl::string_view header);

// The repository a registry API URL addresses ("team/index/level-3" of
// http://h/v2/team/index/level-3/blobs/...), or "" for none (/v2/).
std::string RepositoryOfRegistryUrl(absl::string_view url);

// Performs registry requests, answering an authentication challenge once per
// request and keeping the Authorization it obtained for the next requests to
// the same repository (a token is scoped to one repository, and a writer may
// hold push access to one and only pull access to another).
class RegistryAuthenticator {
 public:
  RegistryAuthenticator(std::string host,
                        std::optional<RegistryCredentials> credentials)
      : host_(std::move(host)), credentials_(std::move(credentials)) {}

  absl::StatusOr<HttpResponse> Perform(HttpRequest request);

 private:
  // The Authorization header that answers `challenge`.
  absl::StatusOr<std::string> Answer(const AuthChallenge& challenge);

  std::string host_;
  std::optional<RegistryCredentials> credentials_;
  // Repository -> "Basic ..." or "Bearer ...", once known.
  absl::flat_hash_map<std::string, std::string> authorization_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_REGISTRY_AUTH_H_
