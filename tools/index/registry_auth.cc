#include "tools/index/registry_auth.h"

#include <errno.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

std::optional<AuthChallenge> ParseAuthChallenge(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  size_t space = header.find(' ');
  AuthChallenge challenge;
  challenge.scheme = absl::AsciiStrToLower(header.substr(0, space));
  if (challenge.scheme.empty()) return std::nullopt;
  absl::string_view rest =
      space == absl::string_view::npos ? "" : header.substr(space + 1);
  // key=value or key="quoted, value", separated by commas.
  while (true) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (rest.empty()) break;
    size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) return std::nullopt;
    std::string key =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(rest.substr(0, eq)));
    rest.remove_prefix(eq + 1);
    std::string value;
    if (absl::ConsumePrefix(&rest, "\"")) {
      size_t i = 0;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      if (i == rest.size()) return std::nullopt;  // unterminated
      rest.remove_prefix(i + 1);
    } else {
      size_t comma = rest.find(',');
      value = std::string(absl::StripAsciiWhitespace(rest.substr(0, comma)));
      rest.remove_prefix(comma == absl::string_view::npos ? rest.size()
                                                          : comma);
    }
    challenge.params[key] = value;
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, ",") && !rest.empty()) return std::nullopt;
  }
  return challenge;
}

absl::StatusOr<std::string> RegistryAuthenticator::Answer(
    const AuthChallenge& challenge) {
  if (challenge.scheme == "basic") {
    if (!credentials_.has_value()) {
      return absl::UnauthenticatedError(
          absl::StrCat("registry ", host_,
                       " requires a login and no credentials for it "
                       "are in ",
                       absl::StrJoin(RegistryAuthFiles(), ", "), ": ",
                       RegistryLoginHint(host_)));
    }
    return absl::StrCat("Basic ", credentials_->basic);
  }
  if (challenge.scheme != "bearer") {
    return absl::UnimplementedError(
        absl::StrCat("registry ", host_, " asks for \"", challenge.scheme,
                     "\" authentication; only Basic and Bearer are supported"));
  }
  auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end() || realm->second.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "registry ", host_, " asks for a token but names no realm to get it"));
  }
  HttpRequest token_request;
  token_request.url = realm->second;
  std::vector<std::string> query;
  for (const char* key : {"service", "scope"}) {
    auto param = challenge.params.find(key);
    if (param != challenge.params.end()) {
      query.push_back(absl::StrCat(key, "=", PercentEncode(param->second)));
    }
  }
  if (!query.empty()) {
    absl::StrAppend(&token_request.url,
                    absl::StrContains(token_request.url, "?") ? "&" : "?",
                    absl::StrJoin(query, "&"));
  }
  if (credentials_.has_value()) {
    token_request.headers.push_back(
        absl::StrCat("Authorization: Basic ", credentials_->basic));
  }
  IG_ASSIGN_OR_RETURN(HttpResponse response, PerformHttpRequest(token_request));
  if (response.status == 401 || response.status == 403) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the token service of registry ", host_, " (", realm->second,
        ") refused ",
        credentials_.has_value()
            ? absl::StrCat("the credentials from ", credentials_->source)
            : std::string("an anonymous request"),
        " (HTTP ", response.status, "): ", RegistryLoginHint(host_)));
  }
  google::protobuf::Struct token;
  if (response.status != 200 ||
      !google::protobuf::util::JsonStringToMessage(response.body, &token)
           .ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the token service of registry ", host_, " (", realm->second,
        ") answered HTTP ", response.status, " without a token"));
  }
  for (const char* key : {"token", "access_token"}) {
    auto value = token.fields().find(key);
    if (value != token.fields().end() &&
        !value->second.string_value().empty()) {
      return absl::StrCat("Bearer ", value->second.string_value());
    }
  }
  return absl::UnavailableError(absl::StrCat("the token service of registry ",
                                             host_, " (", realm->second,
                                             ") answered without a token"));
}

std::string RepositoryOfRegistryUrl(absl::string_view url) {
  const size_t v2 = url.find("/v2/");
  if (v2 == absl::string_view::npos) return "";
  absl::string_view rest = url.substr(v2 + 4);
  rest = rest.substr(0, rest.find('?'));
  size_t end = absl::string_view::npos;
  for (absl::string_view part : {"/blobs/", "/manifests/", "/tags/"}) {
    end = std::min(end, rest.find(part));
  }
  return end == absl::string_view::npos ? "" : std::string(rest.substr(0, end));
}

absl::StatusOr<HttpResponse> RegistryAuthenticator::Perform(
    HttpRequest request) {
  const std::vector<std::string> headers = request.headers;
  const std::string repository = RepositoryOfRegistryUrl(request.url);
  if (auto known = authorization_.find(repository);
      known != authorization_.end()) {
    request.headers.push_back("Authorization: " + known->second);
  }
  IG_ASSIGN_OR_RETURN(HttpResponse response, PerformHttpRequest(request));
  if (response.status != 401) return response;
  auto header = response.headers.find("www-authenticate");
  std::optional<AuthChallenge> challenge;
  if (header != response.headers.end()) {
    challenge = ParseAuthChallenge(header->second);
  }
  // A 401 without a challenge we understand is the caller's to report.
  if (!challenge.has_value()) return response;
  IG_ASSIGN_OR_RETURN(std::string authorization, Answer(*challenge));
  authorization_[repository] = authorization;
  request.headers = headers;
  request.headers.push_back("Authorization: " + authorization);
  IG_ASSIGN_OR_RETURN(response, PerformHttpRequest(request));
  if (response.status == 401) {
    authorization_.erase(repository);
    const std::string who =
        credentials_.has_value()
            ? absl::StrCat("the credentials from ", credentials_->source)
            : std::string("an anonymous token");
    auto scope = challenge->params.find("scope");
    if (challenge->scheme == "bearer" && scope != challenge->params.end()) {
      // The token service accepted the login but did not grant the scope:
      // an access rule, not a wrong password.
      return absl::PermissionDeniedError(absl::StrCat(
          "registry ", host_, " refused ", request.method, " ",
          request.url.substr(0, request.url.find('?')),
          ": the token its token service issued for ", who, " does not grant ",
          scope->second,
          " (HTTP 401); these credentials may not do that: use credentials "
          "that may, or ask the registry's administrator for access"));
    }
    return absl::UnauthenticatedError(
        absl::StrCat("registry ", host_, " rejected ", who,
                     " (HTTP 401): ", RegistryLoginHint(host_)));
  }
  return response;
}

}  // namespace imagegraph
