#include "tools/index/index.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/index/local_backend.h"
#include "tools/index/namespaces.h"
#include "tools/index/registry_backend.h"

namespace imagegraph {
namespace {

absl::Status ValidateImageId(absl::string_view image_id) {
  bool ok = !image_id.empty() && image_id.size() <= 200;
  for (char c : image_id) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == ':' || c == '-' || c == '_' || c == '.');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("image ID \"", image_id,
                     "\" is invalid: pass the ID from NAME.image.json, e.g. "
                     "sha256:<64 hex digits>"));
  }
  return absl::OkStatus();
}

}  // namespace

Index::Index(std::unique_ptr<IndexBackend> backend, int level)
    : backend_(std::move(backend)), level_(level) {}

absl::StatusOr<std::unique_ptr<Index>> Index::Open(absl::string_view spec,
                                                   int level) {
  IG_RETURN_IF_ERROR(ValidateLevel(level));
  std::unique_ptr<IndexBackend> backend;
  if (absl::StartsWith(spec, "registry")) {
    IG_ASSIGN_OR_RETURN(backend, RegistryBackend::Create(spec));
  } else if (spec.empty() || spec == kDefaultIndex) {
    IG_ASSIGN_OR_RETURN(std::string directory, DefaultLocalIndexDirectory());
    backend = std::make_unique<LocalBackend>(std::move(directory));
  } else if (spec == kNoIndex) {
    return absl::InvalidArgumentError(
        "index \"off\" names no index: give a directory, registry://"
        "HOST:PORT/REPO or default");
  } else if (absl::StrContains(spec, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("index \"", spec,
                     "\" is not supported: use a directory path or "
                     "registry://HOST:PORT/REPO"));
  } else {
    backend = std::make_unique<LocalBackend>(std::string(spec));
  }
  return std::make_unique<Index>(std::move(backend), level);
}

absl::StatusOr<std::vector<std::string>> Index::InsertNamespaces(
    const InsertImageRequest& request) const {
  IG_RETURN_IF_ERROR(ValidateImageName(request.name));
  IG_RETURN_IF_ERROR(ValidateContextHash(request.context_hash));
  std::vector<std::string> namespaces = {
      HashNamespace(level_, request.name, request.context_hash),
      LatestNamespace(level_, request.name),
      PushdateNamespace(level_, request.name, request.now),
  };
  for (const std::string& ns : request.extra_namespaces) {
    IG_RETURN_IF_ERROR(ValidateNamespace(ns));
    absl::StatusOr<int> ns_level = NamespaceLevel(ns);
    if (!ns_level.ok() || *ns_level != level_) {
      return absl::PermissionDeniedError(absl::StrCat(
          "namespace \"", ns, "\" is not a level-", level_,
          " namespace: a writer at level ", level_,
          " may write only namespaces starting with ", LevelPrefix(level_),
          " (run with --level matching the namespace, if you are trusted to)"));
    }
    namespaces.push_back(ns);
  }
  return namespaces;
}

absl::StatusOr<IndexEntry> Index::InsertImage(
    const InsertImageRequest& request) {
  IG_ASSIGN_OR_RETURN(std::vector<std::string> namespaces,
                      InsertNamespaces(request));
  IG_RETURN_IF_ERROR(ValidateImageId(request.image_id));
  if (request.context_manifest.has_value() &&
      Sha256Hex(*request.context_manifest) != request.context_hash) {
    return absl::InvalidArgumentError(
        absl::StrCat("the context manifest given for ", request.name,
                     " hashes to ", Sha256Hex(*request.context_manifest),
                     ", not to its context hash ", request.context_hash,
                     ": pass the NAME.context.manifest of the same build"));
  }
  IndexEntry entry;
  entry.set_image_id(request.image_id);
  entry.set_context_hash(request.context_hash);
  entry.set_level(level_);
  entry.set_name(request.name);
  entry.set_indexed_at(absl::ToUnixSeconds(request.now));
  entry.set_revision(request.revision);
  entry.set_metadata_json(request.metadata_json);
  if (request.expires_in != absl::InfiniteDuration()) {
    entry.set_expires_at(absl::ToUnixSeconds(request.now + request.expires_in));
  }
  return backend_->Insert(
      IndexBlobs{request.artifact_path, request.context_manifest}, entry,
      namespaces);
}

absl::StatusOr<std::vector<std::string>> Index::List(absl::string_view prefix) {
  return backend_->List(prefix);
}

namespace {

// Why the entry under `ns` must not be used: it disagrees with what its
// namespace says (a forged or misplaced entry), or it has expired; nullopt
// when it may be used.
std::optional<std::string> Unusable(const IndexBackend& backend,
                                    absl::string_view ns,
                                    const IndexEntry& entry, absl::Time now) {
  absl::StatusOr<NamespaceClaims> claims = ParseNamespaceClaims(ns);
  if (!claims.ok() || entry.level() != claims->level ||
      (!claims->name.empty() && entry.name() != claims->name) ||
      (!claims->context_hash.empty() &&
       entry.context_hash() != claims->context_hash)) {
    return absl::StrCat(backend.Describe(), ": entry ", ns, " records name \"",
                        entry.name(), "\", level ", entry.level(),
                        " and context hash ", entry.context_hash(),
                        ", which disagree with its namespace; ignored");
  }
  if (entry.expires_at() != 0 &&
      entry.expires_at() <= absl::ToUnixSeconds(now)) {
    return absl::StrCat(
        backend.Describe(), ": entry ", ns, " expired at ",
        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                         absl::FromUnixSeconds(entry.expires_at()),
                         absl::UTCTimeZone()),
        "; ignored (index gc removes it)");
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::optional<IndexEntry>> Index::Find(
    absl::string_view ns, std::vector<std::string>* warnings) {
  IG_RETURN_IF_ERROR(ValidateNamespace(ns));
  IG_ASSIGN_OR_RETURN(std::optional<IndexEntry> entry, backend_->Find(ns));
  if (!entry.has_value()) return std::nullopt;
  if (std::optional<std::string> why = Unusable(*backend_, ns, *entry, Now())) {
    if (warnings != nullptr) warnings->push_back(*std::move(why));
    return std::nullopt;
  }
  return entry;
}

absl::StatusOr<std::optional<IndexHit>> Index::LookupByHash(
    absl::string_view name, absl::string_view context_hash,
    std::vector<std::string>* warnings) {
  IG_RETURN_IF_ERROR(ValidateImageName(name));
  IG_RETURN_IF_ERROR(ValidateContextHash(context_hash));
  for (int level = kMaxLevel; level >= level_; --level) {
    std::string ns = HashNamespace(level, name, context_hash);
    IG_ASSIGN_OR_RETURN(std::optional<IndexEntry> entry, Find(ns, warnings));
    if (entry.has_value()) return IndexHit{std::move(ns), *std::move(entry)};
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<IndexHit>> Index::FetchByHash(
    absl::string_view name, absl::string_view context_hash,
    const std::string& dest_path, std::vector<std::string>* warnings) {
  IG_RETURN_IF_ERROR(ValidateImageName(name));
  IG_RETURN_IF_ERROR(ValidateContextHash(context_hash));
  for (int level = kMaxLevel; level >= level_; --level) {
    std::string ns = HashNamespace(level, name, context_hash);
    IG_ASSIGN_OR_RETURN(std::optional<IndexEntry> entry, Find(ns, warnings));
    if (!entry.has_value()) continue;
    absl::Status fetched = backend_->Fetch(*entry, dest_path);
    if (fetched.ok()) return IndexHit{std::move(ns), *std::move(entry)};
    if (warnings != nullptr) {
      warnings->push_back(absl::StrCat("cannot reuse ", ns, ": ",
                                       fetched.message(),
                                       "; the image will be built"));
    }
  }
  return std::nullopt;
}

absl::Status Index::Fetch(const IndexEntry& entry,
                          const std::string& dest_path) {
  return backend_->Fetch(entry, dest_path);
}

absl::StatusOr<std::string> Index::FetchContextManifest(
    const IndexEntry& entry) {
  IG_ASSIGN_OR_RETURN(std::string text, backend_->FetchContextManifest(entry));
  // The manifest is the text the context hash is the sha256 of: a stored one
  // that disagrees with its entry's hash would explain the wrong build.
  if (Sha256Hex(text) != entry.context_hash()) {
    return absl::DataLossError(absl::StrCat(
        backend_->Describe(), ": the context manifest of ", entry.name(),
        " hashes to ", Sha256Hex(text), ", not to the entry's context hash ",
        entry.context_hash(), "; the entry is not trusted"));
  }
  return text;
}

absl::StatusOr<std::optional<IndexHit>> Index::FindLatest(
    absl::string_view name, std::vector<std::string>* warnings) {
  IG_RETURN_IF_ERROR(ValidateImageName(name));
  for (int level = kMaxLevel; level >= level_; --level) {
    std::string ns = LatestNamespace(level, name);
    IG_ASSIGN_OR_RETURN(std::optional<IndexEntry> entry, Find(ns, warnings));
    if (entry.has_value()) return IndexHit{std::move(ns), *std::move(entry)};
  }
  return std::nullopt;
}

}  // namespace imagegraph
