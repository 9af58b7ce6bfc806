// A small blocking HTTP client over libcurl, enough for the registry API.
#ifndef IMAGEGRAPH_TOOLS_INDEX_HTTP_CLIENT_H_
#define IMAGEGRAPH_TOOLS_INDEX_HTTP_CLIENT_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/common/sha256.h"

namespace imagegraph {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // The request body: `body`, or the file at `body_file` when not empty.
  std::string body;
  std::string body_file;
  // When not empty, a 2xx response body goes to this file (and is hashed
  // into `HttpResponse::body_sha256_hex`) instead of into `body`.
  std::string response_file;
  bool follow_redirects = false;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string body_sha256_hex;  // only with HttpRequest::response_file
  // Header names in lowercase; the last value wins.
  absl::flat_hash_map<std::string, std::string> headers;
};

// Performs `request`. Transport failures (connection refused, timeouts) are
// UnavailableError naming the URL; any HTTP status is a successful response.
absl::StatusOr<HttpResponse> PerformHttpRequest(const HttpRequest& request);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_INDEX_HTTP_CLIENT_H_
