#include "tools/index/local_backend.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kEntrySuffix = ".json";

absl::StatusOr<std::string> EntryToJson(const IndexEntry& entry) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  auto status =
      google::protobuf::util::MessageToJsonString(entry, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode index entry: ", status.ToString()));
  }
  return json;
}

// Appends every namespace stored below `dir` (whose namespace prefix is
// `ns_prefix`, ending in '.' or empty) whose next component starts with
// `partial`.
absl::Status Collect(const std::string& dir, const std::string& ns_prefix,
                     absl::string_view partial, std::vector<std::string>* out) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return ErrnoToStatus(dir, "cannot list", errno);
  }
  std::vector<std::pair<std::string, bool>> children;  // name, is_directory
  while (struct dirent* child = readdir(handle)) {
    absl::string_view name = child->d_name;
    // Skips ".", ".." and temporary files of writers in flight.
    if (name.empty() || name[0] == '.') continue;
    if (!absl::StartsWith(name, partial)) continue;
    bool is_directory = child->d_type == DT_DIR;
    if (child->d_type == DT_UNKNOWN) {
      struct stat st;
      std::string path = absl::StrCat(dir, "/", name);
      is_directory = stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    children.emplace_back(std::string(name), is_directory);
  }
  closedir(handle);
  for (const auto& [name, is_directory] : children) {
    if (is_directory) {
      IG_RETURN_IF_ERROR(Collect(absl::StrCat(dir, "/", name),
                                 absl::StrCat(ns_prefix, name, "."), "", out));
    } else if (absl::EndsWith(name, kEntrySuffix)) {
      out->push_back(absl::StrCat(
          ns_prefix, name.substr(0, name.size() - kEntrySuffix.size())));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DefaultLocalIndexDirectory() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return absl::StrCat(xdg, "/imagegraph/index");
  }
  const std::optional<std::string> home = HomeDirectory();
  if (!home.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot find the default index directory: neither XDG_CACHE_HOME nor "
        "HOME is set and user ",
        getuid(),
        " has no home directory in the password database; name an index "
        "directory instead (--index=DIR, or --//rules:index=DIR for builds)"));
  }
  return absl::StrCat(*home, "/.cache/imagegraph/index");
}

LocalBackend::LocalBackend(std::string root, bool durable)
    : root_(std::move(root)), durable_(durable) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string LocalBackend::Describe() const {
  return absl::StrCat("local index ", root_);
}

std::string LocalBackend::EntryPath(absl::string_view ns) const {
  return absl::StrCat(root_, "/namespaces/",
                      absl::StrReplaceAll(ns, {{".", "/"}}), kEntrySuffix);
}

absl::Status LocalBackend::PutEntry(
    const IndexEntry& entry, const std::vector<std::string>& namespaces) {
  IG_ASSIGN_OR_RETURN(std::string json, EntryToJson(entry));
  for (const std::string& ns : namespaces) {
    std::string path = EntryPath(ns);
    IG_RETURN_IF_ERROR(MakeDirectories(path.substr(0, path.rfind('/'))));
    IG_RETURN_IF_ERROR(WriteFileAtomically(path, json, 0644, durable_));
  }
  return absl::OkStatus();
}

absl::StatusOr<IndexEntry> LocalBackend::Insert(
    const std::string& artifact_path, const IndexEntry& entry,
    const std::vector<std::string>& namespaces) {
  const std::string cas_dir = absl::StrCat(root_, "/cas/sha256");
  IG_RETURN_IF_ERROR(MakeDirectories(cas_dir));
  // The digest is known only after reading, so the copy is written under a
  // temporary name and then renamed to its content address.
  IG_ASSIGN_OR_RETURN(
      AtomicFileWriter writer,
      AtomicFileWriter::Open(cas_dir + "/artifact", 0644, durable_));
  IG_ASSIGN_OR_RETURN(CopiedFile copied, CopyFileInto(artifact_path, writer));
  IG_RETURN_IF_ERROR(
      writer.CommitAs(absl::StrCat(cas_dir, "/", copied.sha256_hex)));
  IndexEntry stored = entry;
  stored.set_digest(absl::StrCat("sha256:", copied.sha256_hex));
  stored.set_size_bytes(copied.size);
  stored.set_location(absl::StrCat("cas/sha256/", copied.sha256_hex));
  IG_RETURN_IF_ERROR(PutEntry(stored, namespaces));
  return stored;
}

absl::StatusOr<std::optional<IndexEntry>> LocalBackend::Find(
    absl::string_view ns) {
  const std::string path = EntryPath(ns);
  absl::StatusOr<std::string> json = ReadFileToString(path);
  if (absl::IsNotFound(json.status())) return std::nullopt;
  if (!json.ok()) return json.status();
  IndexEntry entry;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status =
      google::protobuf::util::JsonStringToMessage(*json, &entry, options);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": corrupt index entry (", status.ToString(),
                     "); delete the file or insert the image again"));
  }
  return entry;
}

absl::StatusOr<std::vector<std::string>> LocalBackend::List(
    absl::string_view prefix) {
  std::vector<std::string> namespaces;
  size_t dot = prefix.rfind('.');
  std::string dir = absl::StrCat(root_, "/namespaces");
  std::string ns_prefix;
  absl::string_view partial = prefix;
  if (dot != absl::string_view::npos) {
    ns_prefix = std::string(prefix.substr(0, dot + 1));
    partial = prefix.substr(dot + 1);
    absl::StrAppend(&dir, "/",
                    absl::StrReplaceAll(prefix.substr(0, dot), {{".", "/"}}));
  }
  IG_RETURN_IF_ERROR(Collect(dir, ns_prefix, partial, &namespaces));
  std::sort(namespaces.begin(), namespaces.end());
  return namespaces;
}

absl::StatusOr<std::string> LocalBackend::ArtifactPath(
    const IndexEntry& entry) const {
  absl::string_view hex = entry.digest();
  if (!absl::ConsumePrefix(&hex, "sha256:") || !IsSha256Hex(hex)) {
    return absl::DataLossError(absl::StrCat(
        "index entry for ", entry.name(), " has an invalid digest \"",
        entry.digest(), "\"; insert the image again"));
  }
  return absl::StrCat(root_, "/cas/sha256/", hex);
}

absl::Status LocalBackend::Fetch(const IndexEntry& entry,
                                 const std::string& dest_path) {
  IG_ASSIGN_OR_RETURN(std::string source, ArtifactPath(entry));
  if (!PathExists(source)) {
    return absl::NotFoundError(absl::StrCat(
        source, ": the artifact of ", entry.name(), " (", entry.digest(),
        ") is missing from ", Describe(), "; insert the image again"));
  }
  IG_ASSIGN_OR_RETURN(AtomicFileWriter writer,
                      AtomicFileWriter::Open(dest_path));
  IG_ASSIGN_OR_RETURN(CopiedFile copied, CopyFileInto(source, writer));
  if (absl::StrCat("sha256:", copied.sha256_hex) != entry.digest()) {
    return absl::DataLossError(absl::StrCat(
        source, ": content has sha256:", copied.sha256_hex,
        " but the index entry says ", entry.digest(),
        "; the stored artifact is corrupt, delete it and insert again"));
  }
  return writer.Commit();
}

}  // namespace imagegraph
