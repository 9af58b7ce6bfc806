#include "tools/index/registry_backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/index/http_client.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";

bool IsLoopback(absl::string_view host) {
  absl::string_view name = host;
  if (absl::StartsWith(name, "[")) {
    name = name.substr(0, name.find(']') + 1);
  } else {
    name = name.substr(0, name.find(':'));
  }
  return name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

template <typename Message>
absl::StatusOr<std::string> ToJson(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("JSON encoding failed: ", status.ToString()));
  }
  return json;
}

template <typename Message>
absl::Status FromJson(absl::string_view json, Message* message,
                      absl::string_view what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json),
                                                            message, options);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat(what, " is not valid: ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::Status HttpError(const HttpRequest& request,
                       const HttpResponse& response) {
  return absl::UnavailableError(
      absl::StrCat(request.method, " ", request.url, " returned HTTP ",
                   response.status, ": ", response.body.substr(0, 400)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryBackend>> RegistryBackend::Create(
    absl::string_view spec) {
  absl::string_view rest = spec;
  std::string scheme;
  if (absl::ConsumePrefix(&rest, "registry+http://")) {
    scheme = "http";
  } else if (absl::ConsumePrefix(&rest, "registry+https://")) {
    scheme = "https";
  } else if (!absl::ConsumePrefix(&rest, "registry://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("index \"", spec,
                     "\" is not a registry: use registry://HOST:PORT/REPO"));
  }
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash == 0 ||
      slash + 1 >= rest.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("registry index \"", spec,
                     "\" needs a host and a repository: use "
                     "registry://HOST:PORT/REPO, e.g. "
                     "registry://127.0.0.1:5000/imagegraph/index"));
  }
  std::string host(rest.substr(0, slash));
  std::string repo(rest.substr(slash + 1));
  for (char c : repo) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
          c == '.' || c == '_' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "registry index \"", spec, "\": repository \"", repo,
          "\" may contain only lowercase letters, digits, '/', '.', '_', '-'"));
    }
  }
  if (scheme.empty()) scheme = IsLoopback(host) ? "http" : "https";
  std::string base_url = absl::StrCat(scheme, "://", host);
  IG_ASSIGN_OR_RETURN(std::optional<RegistryCredentials> credentials,
                      FindRegistryCredentials(host, repo, RegistryAuthFiles()));
  return std::unique_ptr<RegistryBackend>(
      new RegistryBackend(std::move(base_url), std::move(host), std::move(repo),
                          std::move(credentials)));
}

RegistryBackend::RegistryBackend(std::string base_url, std::string host,
                                 std::string repo,
                                 std::optional<RegistryCredentials> credentials)
    : base_url_(std::move(base_url)),
      host_(std::move(host)),
      repo_(std::move(repo)),
      auth_(host_, std::move(credentials)) {}

std::string RegistryBackend::Describe() const {
  return absl::StrCat("registry index ", host_, "/", repo_);
}

std::string RegistryBackend::Url(const std::string& repository,
                                 absl::string_view path) const {
  return absl::StrCat(base_url_, "/v2/", repository, "/", path);
}

std::string RegistryBackend::RepositoryFor(absl::string_view ns) const {
  absl::StatusOr<int> level = NamespaceLevel(ns);
  if (!level.ok()) return repo_;
  return LevelRepository(repo_, *level);
}

absl::StatusOr<std::string> RegistryBackend::RepositoryOfLocation(
    const IndexEntry& entry) const {
  // HOST/REPO[/level-N]@sha256:<hex>
  absl::string_view location = entry.location();
  const size_t at = location.rfind('@');
  absl::string_view repository;
  if (at != absl::string_view::npos &&
      location.substr(at + 1) == entry.digest() &&
      absl::ConsumePrefix(&location, absl::StrCat(host_, "/"))) {
    repository = location.substr(0, at - host_.size() - 1);
  }
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    if (repository == LevelRepository(repo_, level)) {
      return std::string(repository);
    }
  }
  if (!repository.empty() && repository == repo_) return repo_;
  return absl::DataLossError(absl::StrCat(
      Describe(), ": the entry of ", entry.name(),
      " locates its artifact at \"", entry.location(),
      "\", which is not a blob ", entry.digest(),
      " of this index's repositories; the entry is not trusted, insert the "
      "image again"));
}

absl::Status RegistryBackend::EnsureBlob(const std::string& repository,
                                         absl::string_view digest,
                                         const std::string& body,
                                         const std::string& body_file) {
  HttpRequest head;
  head.method = "HEAD";
  head.url = Url(repository, absl::StrCat("blobs/", digest));
  IG_ASSIGN_OR_RETURN(HttpResponse exists, auth_.Perform(head));
  if (exists.status == 200) return absl::OkStatus();

  HttpRequest start;
  start.method = "POST";
  start.url = Url(repository, "blobs/uploads/");
  IG_ASSIGN_OR_RETURN(HttpResponse started, auth_.Perform(start));
  auto location = started.headers.find("location");
  if (started.status != 202 || location == started.headers.end()) {
    return HttpError(start, started);
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = location->second;
  if (absl::StartsWith(put.url, "/")) put.url = base_url_ + put.url;
  absl::StrAppend(&put.url, absl::StrContains(put.url, "?") ? "&" : "?",
                  "digest=", digest);
  put.headers.push_back("Content-Type: application/octet-stream");
  put.body = body;
  put.body_file = body_file;
  IG_ASSIGN_OR_RETURN(HttpResponse stored, auth_.Perform(put));
  if (stored.status != 201) return HttpError(put, stored);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RegistryBackend::GetBlob(
    const std::string& repository, absl::string_view digest) {
  HttpRequest get;
  get.url = Url(repository, absl::StrCat("blobs/", digest));
  get.follow_redirects = true;
  IG_ASSIGN_OR_RETURN(HttpResponse response, auth_.Perform(get));
  if (response.status != 200) return HttpError(get, response);
  if (absl::StrCat("sha256:", Sha256Hex(response.body)) != digest) {
    return absl::DataLossError(absl::StrCat(Describe(), ": blob ", digest,
                                            " does not match its digest"));
  }
  return std::move(response.body);
}

absl::StatusOr<std::optional<std::string>> RegistryBackend::GetManifest(
    const std::string& repository, absl::string_view tag) {
  HttpRequest get;
  get.url = Url(repository, absl::StrCat("manifests/", tag));
  get.headers.push_back(absl::StrCat("Accept: ", kManifestMediaType));
  IG_ASSIGN_OR_RETURN(HttpResponse response, auth_.Perform(get));
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) return HttpError(get, response);
  return std::move(response.body);
}

absl::StatusOr<std::vector<std::string>> RegistryBackend::ListTags(
    const std::string& repository) {
  std::vector<std::string> tags;
  std::string url = Url(repository, "tags/list?n=1000");
  while (!url.empty()) {
    HttpRequest get;
    get.url = url;
    IG_ASSIGN_OR_RETURN(HttpResponse response, auth_.Perform(get));
    // A repository nobody pushed to yet has no tags.
    if (response.status == 404) break;
    if (response.status != 200) return HttpError(get, response);
    index::RegistryTagList page;
    IG_RETURN_IF_ERROR(FromJson(response.body, &page, "tag list of " + url));
    tags.insert(tags.end(), page.tags().begin(), page.tags().end());
    url.clear();
    // Link: </v2/REPO/tags/list?last=X&n=1000>; rel="next"
    auto link = response.headers.find("link");
    if (link != response.headers.end() &&
        absl::StrContains(link->second, "rel=\"next\"")) {
      size_t open = link->second.find('<');
      size_t close = link->second.find('>');
      if (open != std::string::npos && close != std::string::npos) {
        url = absl::StrCat(base_url_,
                           link->second.substr(open + 1, close - open - 1));
      }
    }
  }
  return tags;
}

absl::StatusOr<IndexEntry> RegistryBackend::Insert(
    const IndexBlobs& blobs, const IndexEntry& entry,
    const std::vector<std::string>& namespaces) {
  if (namespaces.empty()) {
    return absl::InvalidArgumentError("an insert needs at least one namespace");
  }
  const std::string& artifact_path = blobs.artifact_path;
  IG_ASSIGN_OR_RETURN(std::string artifact_hex, Sha256FileHex(artifact_path));
  const std::string artifact_digest = absl::StrCat("sha256:", artifact_hex);
  // The artifact lives in the repository of the first namespace (the hash
  // route); a tag in another repository needs its layer there too.
  const std::string home = RepositoryFor(namespaces.front());
  IndexEntry stored = entry;
  stored.set_digest(artifact_digest);
  struct stat st;
  if (stat(artifact_path.c_str(), &st) == 0) stored.set_size_bytes(st.st_size);
  stored.set_location(absl::StrCat(host_, "/", home, "@", artifact_digest));
  std::string manifest_layer;
  if (blobs.context_manifest.has_value()) {
    stored.set_context_manifest_digest(
        absl::StrCat("sha256:", Sha256Hex(*blobs.context_manifest)));
    stored.set_context_manifest_size(blobs.context_manifest->size());
    manifest_layer =
        absl::StrCat(R"(,{"mediaType":")", kContextManifestMediaType,
                     R"(","digest":")", stored.context_manifest_digest(),
                     R"(","size":)", stored.context_manifest_size(), "}");
  }
  IG_ASSIGN_OR_RETURN(std::string entry_json, ToJson(stored));
  const std::string entry_digest =
      absl::StrCat("sha256:", Sha256Hex(entry_json));

  std::vector<std::string> uploaded;
  for (const std::string& ns : namespaces) {
    const std::string repository = RepositoryFor(ns);
    if (std::find(uploaded.begin(), uploaded.end(), repository) ==
        uploaded.end()) {
      IG_RETURN_IF_ERROR(
          EnsureBlob(repository, artifact_digest, "", artifact_path));
      if (blobs.context_manifest.has_value()) {
        IG_RETURN_IF_ERROR(EnsureBlob(repository,
                                      stored.context_manifest_digest(),
                                      *blobs.context_manifest, ""));
      }
      IG_RETURN_IF_ERROR(EnsureBlob(repository, entry_digest, entry_json, ""));
      uploaded.push_back(repository);
    }
    // Written by hand: proto3 JSON would quote the int64 sizes, which
    // registries reject. Every string here is a digest, a media type or a
    // validated namespace, none of which needs escaping.
    const std::string manifest_json = absl::StrCat(
        R"({"schemaVersion":2,"mediaType":")", kManifestMediaType,
        R"(","config":{"mediaType":")", kEntryMediaType, R"(","digest":")",
        entry_digest, R"(","size":)", entry_json.size(),
        R"(},"layers":[{"mediaType":")", kArtifactMediaType, R"(","digest":")",
        artifact_digest, R"(","size":)", stored.size_bytes(), "}",
        manifest_layer, R"(],"annotations":{")", kNamespaceAnnotation, R"(":")",
        ns, R"("}})");
    HttpRequest put;
    put.method = "PUT";
    put.url = Url(repository,
                  absl::StrCat("manifests/", RegistryTagForNamespace(ns)));
    put.headers.push_back(absl::StrCat("Content-Type: ", kManifestMediaType));
    put.body = manifest_json;
    IG_ASSIGN_OR_RETURN(HttpResponse response, auth_.Perform(put));
    if (response.status != 201) return HttpError(put, response);
  }
  return stored;
}

absl::StatusOr<std::optional<IndexEntry>> RegistryBackend::Find(
    absl::string_view ns) {
  const std::string repository = RepositoryFor(ns);
  IG_ASSIGN_OR_RETURN(std::optional<std::string> manifest_json,
                      GetManifest(repository, RegistryTagForNamespace(ns)));
  if (!manifest_json.has_value()) return std::nullopt;
  index::OciManifest manifest;
  IG_RETURN_IF_ERROR(FromJson(*manifest_json, &manifest,
                              absl::StrCat(Describe(), ": manifest of ", ns)));
  auto annotated =
      manifest.annotations().find(std::string(kNamespaceAnnotation));
  if (manifest.config().media_type() != kEntryMediaType ||
      annotated == manifest.annotations().end()) {
    return absl::DataLossError(
        absl::StrCat(Describe(), ": tag ", RegistryTagForNamespace(ns), " of ",
                     repository, " is not an index entry (config media type \"",
                     manifest.config().media_type(),
                     "\"); use a repository that holds only index entries"));
  }
  // A shortened tag shared by two long namespaces holds only one of them.
  if (annotated->second != ns) return std::nullopt;
  IG_ASSIGN_OR_RETURN(std::string entry_json,
                      GetBlob(repository, manifest.config().digest()));
  IndexEntry entry;
  IG_RETURN_IF_ERROR(FromJson(entry_json, &entry,
                              absl::StrCat(Describe(), ": entry of ", ns)));
  return entry;
}

absl::StatusOr<std::vector<std::string>> RegistryBackend::ListRepository(
    const std::string& repository, absl::string_view prefix) {
  IG_ASSIGN_OR_RETURN(std::vector<std::string> tags, ListTags(repository));
  std::vector<std::string> namespaces;
  const absl::string_view short_prefix =
      prefix.substr(0, kShortenedTagPrefixLength);
  for (const std::string& tag : tags) {
    if (tag.size() < kMaxRegistryTagLength) {
      if (absl::StartsWith(tag, prefix)) namespaces.push_back(tag);
      continue;
    }
    // A full-length tag may be a shortened namespace: its manifest names it.
    if (!absl::StartsWith(tag, short_prefix)) continue;
    IG_ASSIGN_OR_RETURN(std::optional<std::string> manifest_json,
                        GetManifest(repository, tag));
    if (!manifest_json.has_value()) continue;
    index::OciManifest manifest;
    IG_RETURN_IF_ERROR(FromJson(*manifest_json, &manifest,
                                absl::StrCat(Describe(), ": manifest ", tag)));
    auto annotated =
        manifest.annotations().find(std::string(kNamespaceAnnotation));
    if (annotated != manifest.annotations().end() &&
        absl::StartsWith(annotated->second, prefix)) {
      namespaces.push_back(annotated->second);
    }
  }
  return namespaces;
}

absl::StatusOr<std::vector<std::string>> RegistryBackend::List(
    absl::string_view prefix) {
  // Only the repositories that can hold a namespace with this prefix are
  // listed: a level-1 writer may have no access to another level's. (Inserts
  // write level namespaces only, so REPO itself holds none.)
  std::vector<std::string> repositories;
  for (int level = kMaxLevel; level >= kMinLevel; --level) {
    const std::string level_prefix = LevelPrefix(level);
    if (absl::StartsWith(level_prefix, prefix) ||
        absl::StartsWith(prefix, level_prefix)) {
      repositories.push_back(LevelRepository(repo_, level));
    }
  }
  std::vector<std::string> namespaces;
  for (const std::string& repository : repositories) {
    IG_ASSIGN_OR_RETURN(std::vector<std::string> found,
                        ListRepository(repository, prefix));
    namespaces.insert(namespaces.end(), found.begin(), found.end());
  }
  std::sort(namespaces.begin(), namespaces.end());
  return namespaces;
}

absl::Status RegistryBackend::Fetch(const IndexEntry& entry,
                                    const std::string& dest_path) {
  IG_ASSIGN_OR_RETURN(const std::string repository,
                      RepositoryOfLocation(entry));
  // The download goes to the writer's temporary file, which is renamed into
  // place only once its digest is verified (and removed otherwise).
  IG_ASSIGN_OR_RETURN(AtomicFileWriter writer,
                      AtomicFileWriter::Open(dest_path));
  HttpRequest get;
  get.url = Url(repository, absl::StrCat("blobs/", entry.digest()));
  get.follow_redirects = true;
  get.response_file = writer.temp_path();
  absl::StatusOr<HttpResponse> response = auth_.Perform(get);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpError(get, *response);
  if (absl::StrCat("sha256:", response->body_sha256_hex) != entry.digest()) {
    return absl::DataLossError(absl::StrCat(
        Describe(), ": artifact ", entry.digest(), " of ", entry.name(),
        " has sha256:", response->body_sha256_hex,
        " when downloaded; the registry's copy is corrupt, insert again"));
  }
  return writer.Commit();
}

absl::StatusOr<std::string> RegistryBackend::FetchContextManifest(
    const IndexEntry& entry) {
  if (entry.context_manifest_digest().empty()) {
    return absl::NotFoundError(absl::StrCat(
        "the index entry of ", entry.name(), " (context ",
        entry.context_hash().substr(0, 12),
        ") records no context manifest: it was inserted without one"));
  }
  if (!IsSha256Digest(entry.context_manifest_digest())) {
    return absl::DataLossError(
        absl::StrCat("the index entry of ", entry.name(),
                     " has an invalid context manifest digest \"",
                     entry.context_manifest_digest(), "\""));
  }
  IG_ASSIGN_OR_RETURN(const std::string repository,
                      RepositoryOfLocation(entry));
  absl::StatusOr<std::string> text =
      GetBlob(repository, entry.context_manifest_digest());
  if (!text.ok()) {
    return absl::DataLossError(
        absl::StrCat(Describe(), ": the context manifest of ", entry.name(),
                     " (", entry.context_manifest_digest(),
                     ") cannot be read: ", text.status().message()));
  }
  return *std::move(text);
}

}  // namespace imagegraph
