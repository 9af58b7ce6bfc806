#include "tools/imagepush/skopeo.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tools/common/subprocess.h"
#include "tools/index/registry_credentials.h"

namespace imagegraph {
namespace {

bool ContainsAny(absl::string_view text,
                 std::initializer_list<absl::string_view> needles) {
  for (absl::string_view needle : needles) {
    if (absl::StrContains(absl::AsciiStrToLower(text),
                          absl::AsciiStrToLower(needle))) {
      return true;
    }
  }
  return false;
}

}  // namespace

SkopeoFailure ClassifySkopeoFailure(absl::string_view message) {
  // Order matters: an auth failure message may also mention the blob it was
  // checking, a digest mismatch is never transient.
  if (ContainsAny(message, {"digest did not match", "digest mismatch",
                            "does not match digest",
                            "would not match destination reference"})) {
    return SkopeoFailure::kDigestMismatch;
  }
  if (ContainsAny(message, {"unauthorized", "authentication required", "denied",
                            "invalid username/password", "401 unauthorized",
                            "403 forbidden"})) {
    return SkopeoFailure::kUnauthorized;
  }
  if (ContainsAny(message, {"server gave HTTP response to HTTPS client",
                            "first record does not look like a TLS handshake",
                            "x509:", "certificate"})) {
    return SkopeoFailure::kTlsMismatch;
  }
  if (ContainsAny(message, {"manifest unknown", "name unknown", "not found",
                            "manifest_unknown"})) {
    return SkopeoFailure::kNotFound;
  }
  if (ContainsAny(message,
                  {"connection refused", "connection reset", "i/o timeout",
                   "no route to host", "network is unreachable", "EOF",
                   "TLS handshake timeout", "context deadline exceeded",
                   "503 Service Unavailable", "502 Bad Gateway",
                   "504 Gateway Timeout", "429 Too Many Requests",
                   "broken pipe", "timeout awaiting response"})) {
    return SkopeoFailure::kUnreachable;
  }
  return SkopeoFailure::kOther;
}

std::string SkopeoMessage(absl::string_view stderr_text) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    size_t msg = line.find("msg=\"");
    if (msg != absl::string_view::npos) {
      absl::string_view text = line.substr(msg + 5);
      absl::ConsumeSuffix(&text, "\"");
      last = std::string(text);
      // Unescape the quotes logrus escaped.
      absl::StrReplaceAll({{"\\\"", "\""}}, &last);
    } else {
      last = std::string(line);
    }
  }
  return last;
}

std::string RegistryHostOf(absl::string_view reference) {
  absl::string_view rest = reference;
  absl::ConsumePrefix(&rest, "docker://");
  return std::string(rest.substr(0, rest.find('/')));
}

std::string RepositoryOf(absl::string_view reference) {
  absl::string_view rest = reference;
  absl::ConsumePrefix(&rest, "docker://");
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return "";
  rest.remove_prefix(slash + 1);
  rest = rest.substr(0, rest.find('@'));
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      rest.find('/', colon) == absl::string_view::npos) {
    rest = rest.substr(0, colon);
  }
  return std::string(rest);
}

std::string Skopeo::UnauthorizedMessage(absl::string_view target,
                                        absl::string_view message) const {
  // skopeo searches the auth files as the registry index does; naming the
  // file tells a wrong password from a missing login.
  const std::string host = RegistryHostOf(target);
  const std::vector<std::string> files =
      options_.authfile.empty() ? RegistryAuthFiles()
                                : std::vector<std::string>{options_.authfile};
  const absl::StatusOr<std::optional<RegistryCredentials>> credentials =
      FindRegistryCredentials(host, RepositoryOf(target), files);
  std::string hint = RegistryLoginHint(host);
  if (options_.authfile.empty()) {
    absl::StrAppend(&hint, " (or pass --authfile=)");
  }
  if (!credentials.ok()) {
    return absl::StrFormat("registry %s refused access to %s (%s), and %s: %s",
                           host, target, message,
                           credentials.status().message(), hint);
  }
  if (credentials->has_value()) {
    return absl::StrFormat(
        "registry %s rejected the credentials from %s for %s (%s): the "
        "password or token there is wrong or expired; %s",
        host, (*credentials)->source, target, message, hint);
  }
  return absl::StrFormat(
      "registry %s requires a login for %s and no credentials for it are in "
      "%s (%s): %s",
      host, target,
      files.empty() ? "any auth file" : absl::StrJoin(files, ", "), message,
      hint);
}

absl::StatusOr<std::string> Skopeo::Run(const std::vector<std::string>& args,
                                        absl::string_view target,
                                        bool* not_found) const {
  std::vector<std::string> argv = {options_.skopeo};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::Duration backoff = options_.first_backoff;
  absl::Time start = absl::Now();
  std::string message;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    absl::StatusOr<SubprocessResult> result = RunSubprocess(argv);
    if (!result.ok()) {
      if (absl::IsNotFound(result.status())) {
        return absl::FailedPreconditionError(
            "skopeo is not installed; apt-get install skopeo (./bazelw "
            "installs it)");
      }
      return result.status();
    }
    if (result->exit_code == 0) return std::move(result->stdout_text);
    message = SkopeoMessage(result->stderr_text);
    std::string host = RegistryHostOf(target);
    switch (ClassifySkopeoFailure(message)) {
      case SkopeoFailure::kUnreachable:
        if (attempt < options_.attempts) {
          absl::FPrintF(stderr,
                        "imagepush: registry %s unreachable (%s); retrying in "
                        "%s (attempt %d of %d)\n",
                        host, message, absl::FormatDuration(backoff), attempt,
                        options_.attempts);
          absl::SleepFor(backoff);
          backoff *= 2;
          continue;
        }
        return absl::UnavailableError(absl::StrFormat(
            "cannot reach registry %s for %s after %d attempts in %s: %s. Is "
            "the registry running and is the address right (the REGISTRY "
            "file, or --registry=)?",
            host, target, options_.attempts,
            absl::FormatDuration(
                absl::Trunc(absl::Now() - start, absl::Milliseconds(100))),
            message));
      case SkopeoFailure::kUnauthorized:
        return absl::PermissionDeniedError(
            UnauthorizedMessage(target, message));
      case SkopeoFailure::kTlsMismatch:
        return absl::FailedPreconditionError(absl::StrFormat(
            "TLS with registry %s failed for %s: %s. For a plain-HTTP or "
            "self-signed test registry pass --tls-verify=false",
            host, target, message));
      case SkopeoFailure::kNotFound:
        if (not_found != nullptr) {
          *not_found = true;
          return std::string();
        }
        return absl::NotFoundError(absl::StrFormat("registry %s has no %s: %s",
                                                   host, target, message));
      case SkopeoFailure::kDigestMismatch:
        return absl::DataLossError(absl::StrFormat(
            "content from %s does not match its digest (a corrupt or tampered "
            "registry): %s",
            target, message));
      case SkopeoFailure::kOther:
        return absl::InternalError(
            absl::StrFormat("skopeo %s failed for %s: %s",
                            args.empty() ? "" : args.front(), target, message));
    }
  }
  return absl::InternalError(absl::StrCat("skopeo failed: ", message));
}

absl::StatusOr<std::optional<std::string>> Skopeo::InspectRawManifest(
    absl::string_view reference) const {
  std::vector<std::string> args = {
      "--command-timeout",
      absl::StrCat(absl::ToInt64Seconds(options_.inspect_timeout), "s"),
      "inspect", "--raw",
      absl::StrCat("--tls-verify=", options_.tls_verify ? "true" : "false")};
  if (!options_.authfile.empty()) {
    args.push_back(absl::StrCat("--authfile=", options_.authfile));
  }
  args.push_back(std::string(reference));
  bool not_found = false;
  absl::StatusOr<std::string> raw = Run(args, reference, &not_found);
  if (!raw.ok()) return raw.status();
  if (not_found) return std::nullopt;
  return *std::move(raw);
}

absl::Status Skopeo::Copy(absl::string_view source,
                          absl::string_view destination,
                          absl::string_view digest_file,
                          const std::vector<std::string>& extra_args) const {
  std::string tls = options_.tls_verify ? "true" : "false";
  std::vector<std::string> args = {"copy", "--quiet",
                                   absl::StrCat("--src-tls-verify=", tls),
                                   absl::StrCat("--dest-tls-verify=", tls)};
  if (!options_.authfile.empty()) {
    args.push_back(absl::StrCat("--authfile=", options_.authfile));
  }
  if (!digest_file.empty()) {
    args.push_back(absl::StrCat("--digestfile=", digest_file));
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(std::string(source));
  args.push_back(std::string(destination));
  // The registry side names the target in messages.
  absl::string_view target =
      absl::StartsWith(destination, "docker://") ? destination : source;
  return Run(args, target, nullptr).status();
}

}  // namespace imagegraph
