#include "tools/index/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/common/subprocess.h"

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

constexpr absl::string_view kLockName = ".lock";

absl::Status SymlinkRefused(absl::string_view path, absl::string_view root) {
  return absl::FailedPreconditionError(absl::StrCat(
      path, " is a symlink: the local index ", root,
      " refuses symlinks under namespaces/, since one lets a namespace of one "
      "level be written or read as another level's (a level-1 insert would "
      "replace level-3 entries); remove it, then insert the images again"));
}

bool IsSymlink(const std::string& dir, const struct dirent* child) {
  if (child->d_type == DT_LNK) return true;
  if (child->d_type != DT_UNKNOWN) return false;
  struct stat st;
  const std::string path = absl::StrCat(dir, "/", child->d_name);
  return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A writer's temporary file: ".NAME.tmp.SUFFIX" (see the atomic writers).
bool IsTemporaryName(absl::string_view name) {
  return absl::StartsWith(name, ".") && absl::StrContains(name, ".tmp.");
}

// Removes the temporary files directly in `dir`; returns how many.
int RemoveTemporaries(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return 0;
  std::vector<std::string> names;
  while (struct dirent* child = readdir(handle)) {
    if (IsTemporaryName(child->d_name)) names.emplace_back(child->d_name);
  }
  closedir(handle);
  int removed = 0;
  for (const std::string& name : names) {
    if (unlink(absl::StrCat(dir, "/", name).c_str()) == 0) ++removed;
  }
  return removed;
}

// The index's lock (flock on ROOT/.lock), held while the object lives.
class IndexLock {
 public:
  // The lock exclusively if nobody holds it now, else nullopt.
  static std::optional<IndexLock> TryExclusive(const std::string& root) {
    auto file = OpenFile::Open(absl::StrCat(root, "/", kLockName),
                               O_RDWR | O_CREAT, 0644);
    if (!file.ok() || !file->Lock(LOCK_EX | LOCK_NB).ok()) return std::nullopt;
    return IndexLock(*std::move(file));
  }

  // Waits for the lock. Without `exclusive` it is shared. A reader that
  // cannot create the lock file and finds none, or may not open it (a
  // read-only index), goes on without it.
  static absl::StatusOr<IndexLock> Acquire(const std::string& root,
                                           bool exclusive) {
    const std::string path = absl::StrCat(root, "/", kLockName);
    auto file = OpenFile::Open(path, O_RDWR | O_CREAT, 0644);
    if (!file.ok()) {
      // flock needs no write access: a lock file another user made will do.
      auto readable = OpenFile::Open(path, O_RDONLY);
      if (readable.ok()) {
        file = std::move(readable);
      } else if (!exclusive && (absl::IsNotFound(readable.status()) ||
                                absl::IsPermissionDenied(readable.status()))) {
        return IndexLock(std::nullopt);
      }
      // Otherwise the first error stands: it says why the index cannot be
      // written.
    }
    if (!file.ok()) return file.status();
    IG_RETURN_IF_ERROR(file->Lock(exclusive ? LOCK_EX : LOCK_SH));
    return IndexLock(*std::move(file));
  }

 private:
  explicit IndexLock(std::optional<OpenFile> file) : file_(std::move(file)) {}
  std::optional<OpenFile> file_;
};

// Appends every namespace stored below `dir` (whose namespace prefix is
// `ns_prefix`, ending in '.' or empty) whose next component starts with
// `partial`.
absl::Status Collect(const std::string& root, const std::string& dir,
                     const std::string& ns_prefix, absl::string_view partial,
                     std::vector<std::string>* out) {
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
    if (IsSymlink(dir, child)) {
      const std::string path = absl::StrCat(dir, "/", name);
      closedir(handle);
      return SymlinkRefused(path, root);
    }
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
      IG_RETURN_IF_ERROR(Collect(root, absl::StrCat(dir, "/", name),
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

absl::Status LocalBackend::RefuseSymlinks(absl::string_view ns) const {
  std::string path = absl::StrCat(root_, "/namespaces");
  const std::vector<absl::string_view> parts =
      ns.empty() ? std::vector<absl::string_view>() : absl::StrSplit(ns, '.');
  for (size_t i = 0;; ++i) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
      return ErrnoToStatus(path, "cannot inspect", errno);
    }
    if (S_ISLNK(st.st_mode)) return SymlinkRefused(path, root_);
    if (i == parts.size()) return absl::OkStatus();
    absl::StrAppend(&path, "/", parts[i]);
    // The last component is a file when it holds an entry.
    if (i + 1 == parts.size() && lstat(path.c_str(), &st) != 0) {
      absl::StrAppend(&path, kEntrySuffix);
    }
  }
}

absl::Status LocalBackend::PutEntry(
    const IndexEntry& entry, const std::vector<std::string>& namespaces) {
  IG_RETURN_IF_ERROR(MakeDirectories(root_));
  IG_ASSIGN_OR_RETURN(IndexLock lock, IndexLock::Acquire(root_, false));
  return WriteEntries(entry, namespaces);
}

absl::Status LocalBackend::WriteEntries(
    const IndexEntry& entry, const std::vector<std::string>& namespaces) {
  IG_ASSIGN_OR_RETURN(std::string json, EntryToJson(entry));
  for (const std::string& ns : namespaces) {
    IG_RETURN_IF_ERROR(RefuseSymlinks(ns));
    std::string path = EntryPath(ns);
    IG_RETURN_IF_ERROR(MakeDirectories(path.substr(0, path.rfind('/'))));
    IG_RETURN_IF_ERROR(WriteFileAtomically(path, json, 0644, durable_));
  }
  return absl::OkStatus();
}

absl::StatusOr<IndexEntry> LocalBackend::Insert(
    const IndexBlobs& blobs, const IndexEntry& entry,
    const std::vector<std::string>& namespaces) {
  const std::string cas_dir = absl::StrCat(root_, "/cas/sha256");
  IG_RETURN_IF_ERROR(MakeDirectories(cas_dir));
  // When nobody else uses the index, any temporary file in the store is
  // left by a writer that was killed: remove it.
  if (std::optional<IndexLock> alone = IndexLock::TryExclusive(root_)) {
    RemoveTemporaries(cas_dir);
  }
  // Held until the entries are written: garbage collection must not take
  // the artifact for unreferenced in between.
  IG_ASSIGN_OR_RETURN(IndexLock lock, IndexLock::Acquire(root_, false));
  // The digest is known only after reading, so the copy is written under a
  // temporary name and then renamed to its content address.
  IG_ASSIGN_OR_RETURN(
      AtomicFileWriter writer,
      AtomicFileWriter::Open(cas_dir + "/artifact", 0644, durable_));
  // Interrupted (SIGINT, SIGTERM, SIGHUP, with InstallInterruptHandler):
  // the copy stops, and the writer removes its temporary file.
  IG_ASSIGN_OR_RETURN(
      CopiedFile copied,
      CopyFileInto(blobs.artifact_path, writer, [&blobs]() -> absl::Status {
        if (InterruptSignal() == 0) return absl::OkStatus();
        return absl::CancelledError(absl::StrCat(
            "interrupted by signal ", InterruptSignal(), " while copying ",
            blobs.artifact_path, "; nothing was stored"));
      }));
  IG_RETURN_IF_ERROR(
      writer.CommitAs(absl::StrCat(cas_dir, "/", copied.sha256_hex)));
  IndexEntry stored = entry;
  stored.set_digest(absl::StrCat("sha256:", copied.sha256_hex));
  stored.set_size_bytes(copied.size);
  stored.set_location(absl::StrCat("cas/sha256/", copied.sha256_hex));
  if (blobs.context_manifest.has_value()) {
    const std::string hex = Sha256Hex(*blobs.context_manifest);
    const std::string path = absl::StrCat(cas_dir, "/", hex);
    if (!PathExists(path)) {
      IG_RETURN_IF_ERROR(
          WriteFileAtomically(path, *blobs.context_manifest, 0644, durable_));
    }
    stored.set_context_manifest_digest(absl::StrCat("sha256:", hex));
    stored.set_context_manifest_size(blobs.context_manifest->size());
  }
  // An interrupted writer (a cancelled build) records nothing; the artifact
  // it stored is unreferenced, and gc removes it.
  if (InterruptSignal() != 0) {
    return absl::CancelledError(absl::StrCat(
        "interrupted by signal ", InterruptSignal(), "; nothing was indexed"));
  }
  IG_RETURN_IF_ERROR(WriteEntries(stored, namespaces));
  return stored;
}

absl::StatusOr<std::optional<IndexEntry>> LocalBackend::Find(
    absl::string_view ns) {
  IG_RETURN_IF_ERROR(RefuseSymlinks(ns));
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
  IG_RETURN_IF_ERROR(RefuseSymlinks(
      prefix.substr(0, dot == absl::string_view::npos ? 0 : dot)));
  IG_RETURN_IF_ERROR(Collect(root_, dir, ns_prefix, partial, &namespaces));
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
  // Garbage collection waits until the copy is done.
  IG_ASSIGN_OR_RETURN(IndexLock lock, IndexLock::Acquire(root_, false));
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

namespace {

bool Expired(const IndexEntry& entry, absl::Time now) {
  return entry.expires_at() != 0 &&
         entry.expires_at() <= absl::ToUnixSeconds(now);
}

// Walks the namespace directory `dir`: removes expired entries and the
// temporaries of dead writers, records the artifacts that the remaining
// entries reference, and removes directories left empty (not `dir` itself
// when `keep_dir`).
absl::Status SweepNamespaces(const std::string& root, const std::string& dir,
                             bool keep_dir, absl::Time now,
                             absl::flat_hash_set<std::string>* referenced,
                             LocalBackend::GarbageReport* report) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(dir, "cannot list", errno);
  }
  std::vector<std::pair<std::string, bool>> children;  // name, is_directory
  absl::Status status = absl::OkStatus();
  while (struct dirent* child = readdir(handle)) {
    absl::string_view name = child->d_name;
    if (name == "." || name == "..") continue;
    if (IsSymlink(dir, child)) {
      status = SymlinkRefused(absl::StrCat(dir, "/", name), root);
      break;
    }
    bool is_directory = child->d_type == DT_DIR;
    if (child->d_type == DT_UNKNOWN) {
      struct stat st;
      const std::string path = absl::StrCat(dir, "/", name);
      is_directory = lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    children.emplace_back(std::string(name), is_directory);
  }
  closedir(handle);
  IG_RETURN_IF_ERROR(status);
  for (const auto& [name, is_directory] : children) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (is_directory) {
      IG_RETURN_IF_ERROR(SweepNamespaces(root, path, /*keep_dir=*/false, now,
                                         referenced, report));
      continue;
    }
    if (IsTemporaryName(name)) {
      if (unlink(path.c_str()) == 0) ++report->temporaries_removed;
      continue;
    }
    if (!absl::EndsWith(name, kEntrySuffix)) continue;
    absl::StatusOr<std::string> json = ReadFileToString(path);
    IndexEntry entry;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!json.ok() ||
        !google::protobuf::util::JsonStringToMessage(*json, &entry, options)
             .ok()) {
      report->warnings.push_back(
          absl::StrCat(path,
                       ": not a readable index entry; kept (delete it if it is "
                       "not needed)"));
      continue;
    }
    if (Expired(entry, now)) {
      if (unlink(path.c_str()) != 0) {
        return ErrnoToStatus(path, "cannot remove the expired entry", errno);
      }
      ++report->entries_removed;
      continue;
    }
    ++report->entries_kept;
    // The artifact and the context manifest an entry keeps stay.
    for (absl::string_view hex :
         {absl::string_view(entry.digest()),
          absl::string_view(entry.context_manifest_digest())}) {
      if (absl::ConsumePrefix(&hex, "sha256:")) {
        referenced->insert(std::string(hex));
      }
    }
  }
  // Only empty directories go; a busy one stays (ENOTEMPTY).
  if (!keep_dir) rmdir(dir.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LocalBackend::GarbageReport> LocalBackend::CollectGarbage(
    absl::Time now) {
  GarbageReport report;
  struct stat st;
  if (stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat(root_, ": no local index there (nothing to collect)"));
  }
  // No insert or fetch runs while this holds the lock, so every temporary
  // file is a killed writer's and every unreferenced artifact is garbage.
  IG_ASSIGN_OR_RETURN(IndexLock lock, IndexLock::Acquire(root_, true));
  absl::flat_hash_set<std::string> referenced;
  IG_RETURN_IF_ERROR(SweepNamespaces(root_, absl::StrCat(root_, "/namespaces"),
                                     /*keep_dir=*/true, now, &referenced,
                                     &report));
  const std::string cas_dir = absl::StrCat(root_, "/cas/sha256");
  report.temporaries_removed += RemoveTemporaries(cas_dir);
  DIR* handle = opendir(cas_dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return report;
    return ErrnoToStatus(cas_dir, "cannot list", errno);
  }
  std::vector<std::string> artifacts;
  while (struct dirent* child = readdir(handle)) {
    if (IsSha256Hex(child->d_name)) artifacts.emplace_back(child->d_name);
  }
  closedir(handle);
  for (const std::string& hex : artifacts) {
    if (referenced.contains(hex)) {
      ++report.artifacts_kept;
      continue;
    }
    const std::string path = absl::StrCat(cas_dir, "/", hex);
    struct stat artifact;
    const int64_t size =
        lstat(path.c_str(), &artifact) == 0 ? artifact.st_size : 0;
    if (unlink(path.c_str()) != 0) {
      return ErrnoToStatus(path, "cannot remove the unreferenced artifact",
                           errno);
    }
    ++report.artifacts_removed;
    report.bytes_freed += size;
  }
  return report;
}

absl::StatusOr<std::string> LocalBackend::FetchContextManifest(
    const IndexEntry& entry) {
  if (entry.context_manifest_digest().empty()) {
    return absl::NotFoundError(absl::StrCat(
        "the index entry of ", entry.name(), " (context ",
        entry.context_hash().substr(0, 12),
        ") records no context manifest: it was inserted without one"));
  }
  absl::string_view hex = entry.context_manifest_digest();
  if (!absl::ConsumePrefix(&hex, "sha256:") || !IsSha256Hex(hex)) {
    return absl::DataLossError(absl::StrCat("the index entry of ", entry.name(),
                                            " has an invalid context manifest "
                                            "digest \"",
                                            entry.context_manifest_digest(),
                                            "\""));
  }
  const std::string path = absl::StrCat(root_, "/cas/sha256/", hex);
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": the context manifest of ", entry.name(), " (",
                     entry.context_manifest_digest(), ") is missing from ",
                     Describe(), ": ", text.status().message()));
  }
  if (Sha256Hex(*text) != hex) {
    return absl::DataLossError(absl::StrCat(
        path, ": the context manifest of ", entry.name(),
        " does not match its digest ", entry.context_manifest_digest(),
        "; the stored copy is corrupt"));
  }
  return *std::move(text);
}

}  // namespace imagegraph
