#include "tools/ctxhash/entries.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tools/common/errno_status.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/manifest.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/tree/context_filter.h"
#include "tools/tree/ignore_matcher.h"
#include "tools/tree/taskgraph_syntax.h"

namespace imagegraph {
namespace {

std::string JoinFs(absl::string_view dir, absl::string_view name) {
  if (absl::StartsWith(name, "/") || dir.empty() || dir == ".") {
    return std::string(name);
  }
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

}  // namespace

DirectoryHandle::~DirectoryHandle() { close(fd_); }

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoToStatus(path, "cannot read", errno);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return ErrnoToStatus(path, "cannot read", err);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

namespace {

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool InsideRoot(absl::string_view real_path, absl::string_view real_root) {
  if (real_root == "/") return true;
  return real_path == real_root || (absl::StartsWith(real_path, real_root) &&
                                    real_path[real_root.size()] == '/');
}

// The one message for a context file that resolves outside the repository,
// in both modes.
absl::Status LeavesRepository(absl::string_view path, absl::string_view real) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": symlink leads outside the repository (to ", real,
      "); copy the file into the repository or point the link inside it"));
}

// Walks directories of the repository (CLI mode), applying the symlink
// policy: links are followed while their targets stay inside the root.
class TreeWalker {
 public:
  explicit TreeWalker(std::string real_root)
      : real_root_(std::move(real_root)) {
    // Keeps at most half of the descriptors left after a reserve (for the
    // files being hashed, the outputs and the caller) for directories.
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur > 256 &&
        limit.rlim_cur != RLIM_INFINITY) {
      max_kept_directories_ = (limit.rlim_cur - 256) / 2;
    }
  }

  // Resolves `path` (a symlink) to its real path inside the repository.
  absl::StatusOr<std::string> ResolveLink(const std::string& path) {
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr) {
      const int err = errno;
      if (err == ELOOP) {
        return absl::InvalidArgumentError(
            absl::StrCat(path,
                         ": symlink loops (it resolves to itself through other "
                         "links); point it at a real file or remove it"));
      }
      if (err == ENOENT || err == ENOTDIR) {
        char target[PATH_MAX];
        const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
        const std::string shown = n >= 0 ? std::string(target, n) : "?";
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": symlink is dangling (its target ", shown,
                         " does not exist); fix the link or remove it"));
      }
      return ErrnoToStatus(path, "cannot resolve symlink", err);
    }
    std::string real(resolved);
    if (!InsideRoot(real, real_root_)) return LeavesRepository(path, real);
    return real;
  }

  // Adds every regular file below the directory `dir` as `prefix` + its
  // relative path. `filter` (may be null) keeps the image folder's context.
  absl::Status WalkDirectory(const std::string& dir, const std::string& prefix,
                             const ContextFilter* filter,
                             std::vector<ContextEntry>* out) {
    // The flags opendir() uses.
    const int fd =
        open(dir.c_str(), O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(dir, "cannot list directory", errno);
    // A second descriptor stays open for the files' opens while the
    // descriptor budget lasts; without one they are opened by path.
    std::shared_ptr<const DirectoryHandle> kept;
    if (kept_directories_ < max_kept_directories_) {
      const int kept_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (kept_fd >= 0) {
        kept = std::make_shared<const DirectoryHandle>(kept_fd);
        ++kept_directories_;
      }
    }
    DIR* handle = fdopendir(fd);
    if (handle == nullptr) {
      const int err = errno;
      close(fd);
      return ErrnoToStatus(dir, "cannot list directory", err);
    }
    struct stat dir_stat;
    if (fstat(dirfd(handle), &dir_stat) != 0) {
      const int err = errno;
      closedir(handle);
      return ErrnoToStatus(dir, "cannot stat directory", err);
    }
    const std::pair<dev_t, ino_t> id{dir_stat.st_dev, dir_stat.st_ino};
    if (!open_directories_.insert(id).second) {
      closedir(handle);
      return absl::InvalidArgumentError(
          absl::StrCat(dir,
                       ": symlink loops back to a directory that contains it; "
                       "remove the link"));
    }
    std::vector<std::pair<std::string, unsigned char>> children;
    errno = 0;
    while (struct dirent* child = readdir(handle)) {
      if (std::strcmp(child->d_name, ".") == 0 ||
          std::strcmp(child->d_name, "..") == 0) {
        continue;
      }
      children.emplace_back(child->d_name, child->d_type);
    }
    closedir(handle);
    absl::Status status = absl::OkStatus();
    for (const auto& [name, d_type] : children) {
      status = VisitChild(JoinFs(dir, name), absl::StrCat(prefix, name), d_type,
                          filter, kept, out);
      if (!status.ok()) break;
    }
    open_directories_.erase(id);
    return status;
  }

  // Adds the include target `path` (file or directory) as `rel`.
  absl::Status VisitInclude(const std::string& path, const std::string& rel,
                            std::vector<ContextEntry>* out) {
    return VisitChild(path, rel, DT_UNKNOWN, nullptr, nullptr, out);
  }

 private:
  absl::Status VisitChild(const std::string& path, const std::string& rel,
                          unsigned char d_type, const ContextFilter* filter,
                          const std::shared_ptr<const DirectoryHandle>& parent,
                          std::vector<ContextEntry>* out) {
    bool excluded = false;
    if (filter != nullptr && !filter->Keeps(rel)) {
      // Without exceptions nothing below a dropped path can come back.
      if (!filter->has_exceptions()) return absl::OkStatus();
      excluded = true;
    }
    mode_t type;
    if (d_type == DT_REG) {
      type = S_IFREG;
    } else if (d_type == DT_DIR) {
      type = S_IFDIR;
    } else {
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) {
        return ErrnoToStatus(path, "cannot stat", errno);
      }
      type = st.st_mode & S_IFMT;
      if (type == S_IFLNK) {
        absl::StatusOr<std::string> real = ResolveLink(path);
        if (!real.ok()) return excluded ? absl::OkStatus() : real.status();
        if (stat(real->c_str(), &st) != 0) {
          return ErrnoToStatus(path, "cannot stat symlink target", errno);
        }
        type = st.st_mode & S_IFMT;
      }
    }
    if (type == S_IFDIR) {
      return WalkDirectory(path, absl::StrCat(rel, "/"), filter, out);
    }
    if (excluded) return absl::OkStatus();
    if (type != S_IFREG) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": is not a regular file (a fifo, socket or device); contexts hold "
          "only regular files: remove it or list it in .dockerignore"));
    }
    IG_RETURN_IF_ERROR(ValidateEntryPath(rel, path));
    ContextEntry entry;
    entry.path = rel;
    entry.source = path;
    if (parent != nullptr) {
      // `path` is the parent's path joined with the name, the part of `rel`
      // after its last slash.
      const size_t slash = rel.rfind('/');
      entry.name_size = static_cast<uint32_t>(
          slash == rel.npos ? rel.size() : rel.size() - slash - 1);
      entry.directory = parent;
    }
    out->push_back(std::move(entry));
    return absl::OkStatus();
  }

  std::string real_root_;
  absl::flat_hash_set<std::pair<dev_t, ino_t>> open_directories_;
  size_t kept_directories_ = 0;
  size_t max_kept_directories_ = 0;
};

absl::StatusOr<ContextFilter> LoadContextFilter(const std::string& path) {
  IG_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ContextFilter::Parse(text, path);
}

absl::Status NoDockerfile(absl::string_view context_dir) {
  return absl::InvalidArgumentError(absl::StrCat(
      context_dir,
      ": no Dockerfile in the image folder; every image folder needs one"));
}

// Sorts by path and drops the second of two entries that are the same file;
// two different files at one path are an error.
absl::Status SortAndDeduplicate(std::vector<ContextEntry>* entries) {
  // Sorting positions instead of entries moves 4 bytes per step, not a
  // whole entry.
  std::vector<uint32_t> order(entries->size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [entries](uint32_t a, uint32_t b) {
                     return (*entries)[a].path < (*entries)[b].path;
                   });
  // Moves the kept positions to the front of `order`, the dropped ones
  // behind them.
  std::vector<uint32_t> dropped;
  size_t kept_count = 0;
  for (const uint32_t position : order) {
    const ContextEntry& entry = (*entries)[position];
    if (kept_count > 0) {
      const ContextEntry& kept = (*entries)[order[kept_count - 1]];
      if (kept.path == entry.path) {
        struct stat a, b;
        if (stat(kept.source.c_str(), &a) != 0) {
          return ErrnoToStatus(kept.source, "cannot stat", errno);
        }
        if (stat(entry.source.c_str(), &b) != 0) {
          return ErrnoToStatus(entry.source, "cannot stat", errno);
        }
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
          dropped.push_back(position);
          continue;
        }
        return absl::InvalidArgumentError(absl::StrCat(
            entry.path, ": two different files at one path in the context (",
            kept.source, " and ", entry.source,
            "); rename the folder in the image folder or drop the %include"));
      }
    }
    order[kept_count++] = position;
  }
  std::copy(dropped.begin(), dropped.end(), order.begin() + kept_count);
  // Puts entry order[i] at i, in place: following each cycle of the
  // permutation moves every entry once.
  for (size_t start = 0; start < order.size(); ++start) {
    if (order[start] == start) continue;
    ContextEntry carried = std::move((*entries)[start]);
    size_t hole = start;
    for (;;) {
      const size_t from = order[hole];
      order[hole] = static_cast<uint32_t>(hole);
      if (from == start) {
        (*entries)[hole] = std::move(carried);
        break;
      }
      (*entries)[hole] = std::move((*entries)[from]);
      hole = from;
    }
  }
  entries->resize(kept_count);
  return absl::OkStatus();
}

// The Dockerfile at `path` as its directives are read (spec.dockerfile_as_read
// applied), named `display` in messages.
absl::StatusOr<std::string> DockerfileAsRead(const ContextSpec& spec,
                                             const std::string& path,
                                             const std::string& display) {
  IG_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  if (!spec.dockerfile_as_read) return text;
  return spec.dockerfile_as_read(display, text);
}

// A `# %include` line of the Dockerfile, as the Dockerfile parser reads it
// (the generator reads the same), with its path cleaned.
struct IncludeLine {
  int line = 0;
  std::string written;
  std::string normalized;
};

absl::StatusOr<std::vector<IncludeLine>> IncludesOf(absl::string_view text,
                                                    absl::string_view display) {
  IG_ASSIGN_OR_RETURN(const Dockerfile dockerfile,
                      ParseDockerfile(display, text));
  std::vector<IncludeLine> includes;
  includes.reserve(dockerfile.includes.size());
  for (const Include& include : dockerfile.includes) {
    includes.push_back({include.line, include.path, CleanPath(include.path)});
  }
  return includes;
}

// The lines of `# %include-run-task`, checked against the run-task directory
// the image was given: one goes with the other.
absl::StatusOr<bool> UsesRunTask(const ContextSpec& spec,
                                 absl::string_view dockerfile_text,
                                 absl::string_view dockerfile_display) {
  const std::vector<int> lines = RunTaskIncludeLines(dockerfile_text);
  if (!lines.empty() && spec.run_task_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dockerfile_display, ":", lines[0],
        ": # %include-run-task adds taskgraph's run-task files, but none were "
        "given: set the image's run_task attribute (bazel run the tree's "
        "update target writes it from the tree's RUN_TASK file; the CLI takes "
        "--run_task_dir)"));
  }
  if (lines.empty() && !spec.run_task_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dockerfile_display, ": run-task files were given (", spec.run_task_dir,
        ") but the Dockerfile has no # %include-run-task line: drop the "
        "image's run_task attribute (regenerate the BUILD file)"));
  }
  return !lines.empty();
}

absl::StatusOr<std::vector<ContextEntry>> CollectFromTree(
    const ContextSpec& spec) {
  const std::string context_dir = ContextDirectory(spec);
  char resolved_root[PATH_MAX];
  if (realpath(spec.root.c_str(), resolved_root) == nullptr) {
    return ErrnoToStatus(spec.root, "repository root is not usable", errno);
  }
  struct stat st;
  if (stat(context_dir.c_str(), &st) != 0) {
    return ErrnoToStatus(context_dir, "image folder is not usable", errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(context_dir, ": image folder is not a directory"));
  }
  char resolved_context[PATH_MAX];
  if (realpath(context_dir.c_str(), resolved_context) == nullptr ||
      !InsideRoot(resolved_context, resolved_root)) {
    return absl::InvalidArgumentError(absl::StrCat(
        context_dir, ": image folder is outside the repository root ",
        spec.root, "; pass the root that contains it as --root"));
  }
  TreeWalker walker(resolved_root);
  // Links are checked before reading, so that no message quotes a host file.
  const std::string dockerfile = JoinFs(context_dir, "Dockerfile");
  if (lstat(dockerfile.c_str(), &st) != 0) return NoDockerfile(context_dir);
  if (S_ISLNK(st.st_mode))
    IG_RETURN_IF_ERROR(walker.ResolveLink(dockerfile).status());
  IG_ASSIGN_OR_RETURN(std::string dockerfile_text,
                      DockerfileAsRead(spec, dockerfile, dockerfile));

  ContextFilter filter;
  const std::string ignore_path = JoinFs(context_dir, kDockerignoreName);
  if (lstat(ignore_path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      IG_RETURN_IF_ERROR(walker.ResolveLink(ignore_path).status());
    }
    IG_ASSIGN_OR_RETURN(filter, LoadContextFilter(ignore_path));
  }
  IG_ASSIGN_OR_RETURN(std::vector<IncludeLine> includes,
                      IncludesOf(dockerfile_text, dockerfile));
  IG_ASSIGN_OR_RETURN(const bool run_task,
                      UsesRunTask(spec, dockerfile_text, dockerfile));

  std::vector<ContextEntry> entries;
  IG_RETURN_IF_ERROR(walker.WalkDirectory(context_dir, "", &filter, &entries));
  for (const IncludeLine& include : includes) {
    const std::string target = JoinFs(spec.root, include.normalized);
    const std::string where = absl::StrCat(dockerfile, ":", include.line);
    char resolved[PATH_MAX];
    if (realpath(target.c_str(), resolved) == nullptr) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": %include ", include.written, " does not exist (", target,
            "); fix the path (it is relative to the repository root)"));
      }
      if (err == ELOOP) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": %include ", include.written,
                         " goes through a symlink loop (", target, ")"));
      }
      return ErrnoToStatus(where, absl::StrCat("%include ", include.written),
                           err);
    }
    if (!InsideRoot(resolved, resolved_root)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": %include ", include.written,
          " leads outside the repository through a symlink (to ", resolved,
          "); include a path whose files are inside the repository"));
    }
    IG_RETURN_IF_ERROR(walker.VisitInclude(
        target, absl::StrCat(kIncludePrefix, include.normalized), &entries));
  }
  if (run_task) {
    for (absl::string_view name : kRunTaskFiles) {
      const std::string target =
          JoinFs(JoinFs(spec.root, spec.run_task_dir), std::string(name));
      char resolved[PATH_MAX];
      if (realpath(target.c_str(), resolved) == nullptr ||
          !InsideRoot(resolved, resolved_root)) {
        return absl::InvalidArgumentError(
            absl::StrCat(target,
                         ": a run-task file that is missing or outside the "
                         "repository; the run-task directory must hold ",
                         absl::StrJoin(kRunTaskFiles, ", ")));
      }
      IG_RETURN_IF_ERROR(walker.VisitInclude(
          target, absl::StrCat(kRunTaskContextDir, "/", name), &entries));
    }
  }
  IG_RETURN_IF_ERROR(SortAndDeduplicate(&entries));
  return entries;
}

// A path in the image folder (IsPathInsideFolder) that the context may
// hold.
absl::Status ValidateExtraFilePath(absl::string_view path,
                                   absl::string_view source) {
  if (!IsPathInsideFolder(path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "extra file \"", path, "\" (", source,
        "): not a path inside the image folder; write it relative to the "
        "folder, without empty, \".\" or \"..\" components"));
  }
  return ValidateEntryPath(path, source);
}

absl::StatusOr<std::vector<ContextEntry>> CollectFromFileList(
    const ContextSpec& spec) {
  const std::string context_dir = ContextDirectory(spec);
  std::string context_prefix = CleanPath(context_dir);
  context_prefix = context_prefix == "." ? "" : context_prefix + "/";
  std::string root_prefix = CleanPath(spec.root);
  root_prefix = root_prefix == "." ? "" : root_prefix + "/";

  // (path relative to the image folder, listed path)
  std::vector<std::pair<std::string, std::string>> context_files;
  std::vector<std::string> listed;
  listed.reserve(spec.file_list->size());
  const std::string* dockerfile = nullptr;
  const std::string* dockerignore = nullptr;
  for (const std::string& raw : *spec.file_list) {
    listed.push_back(CleanPath(raw));
  }
  for (size_t i = 0; i < listed.size(); ++i) {
    const std::string& path = listed[i];
    if (!absl::StartsWith(path, context_prefix)) continue;
    context_files.emplace_back(path.substr(context_prefix.size()),
                               (*spec.file_list)[i]);
    if (context_files.back().first == kDockerfileName) {
      dockerfile = &(*spec.file_list)[i];
    } else if (context_files.back().first == kDockerignoreName) {
      dockerignore = &(*spec.file_list)[i];
    }
  }
  if (dockerfile == nullptr) return NoDockerfile(spec.context);
  // Messages name the image folder as the target knows it, not the
  // (possibly staged) root it was found under.
  const std::string dockerfile_display = JoinFs(spec.context, "Dockerfile");
  // Checked before reading, so that no message quotes a host file.
  IG_ASSIGN_OR_RETURN(std::shared_ptr<const SourceContainment> containment,
                      SourceContainment::Find(spec));
  IG_RETURN_IF_ERROR(containment->CheckPath(*dockerfile, dockerfile_display));
  IG_ASSIGN_OR_RETURN(std::string dockerfile_text,
                      DockerfileAsRead(spec, *dockerfile, dockerfile_display));
  ContextFilter filter;
  if (dockerignore != nullptr) {
    IG_RETURN_IF_ERROR(containment->CheckPath(
        *dockerignore, JoinFs(spec.context, kDockerignoreName)));
    IG_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(*dockerignore));
    IG_ASSIGN_OR_RETURN(
        filter,
        ContextFilter::Parse(text, JoinFs(spec.context, kDockerignoreName)));
  }
  IG_ASSIGN_OR_RETURN(std::vector<IncludeLine> includes,
                      IncludesOf(dockerfile_text, dockerfile_display));
  IG_ASSIGN_OR_RETURN(const bool run_task,
                      UsesRunTask(spec, dockerfile_text, dockerfile_display));

  std::vector<ContextEntry> entries;
  for (auto& [rel, source] : context_files) {
    if (!filter.Keeps(rel)) continue;
    IG_RETURN_IF_ERROR(ValidateEntryPath(rel, source));
    ContextEntry entry;
    entry.path = std::move(rel);
    entry.source = source;
    entry.containment = containment;
    entries.push_back(std::move(entry));
  }
  for (const auto& [path, source] : spec.extra_files) {
    IG_RETURN_IF_ERROR(ValidateExtraFilePath(path, source));
    if (!filter.Keeps(path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          JoinFs(spec.context, kDockerignoreName), " drops the extra file ",
          path, " (", source,
          "): the build would receive a file that is not in its context; "
          "remove it from extra_files or from .dockerignore"));
    }
    ContextEntry entry;
    entry.path = path;
    entry.source = source;
    entry.outside_tar = true;
    entry.containment = containment;
    entries.push_back(std::move(entry));
  }
  for (const IncludeLine& include : includes) {
    const std::string target = absl::StrCat(root_prefix, include.normalized);
    const std::string target_dir = absl::StrCat(target, "/");
    bool found = false;
    for (size_t i = 0; i < listed.size(); ++i) {
      const std::string& path = listed[i];
      std::string rel;
      if (path == target) {
        rel = absl::StrCat(kIncludePrefix, include.normalized);
      } else if (absl::StartsWith(path, target_dir)) {
        rel = absl::StrCat(kIncludePrefix, include.normalized, "/",
                           path.substr(target_dir.size()));
      } else {
        continue;
      }
      found = true;
      IG_RETURN_IF_ERROR(ValidateEntryPath(rel, (*spec.file_list)[i]));
      ContextEntry entry;
      entry.path = std::move(rel);
      entry.source = (*spec.file_list)[i];
      entry.containment = containment;
      entries.push_back(std::move(entry));
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_display, ":", include.line, ": %include ", include.written,
          " is not among the target's declared inputs; add it to the "
          "`includes` attribute of the image target"));
    }
  }
  if (run_task) {
    for (absl::string_view name : kRunTaskFiles) {
      const std::string target =
          absl::StrCat(root_prefix, CleanPath(spec.run_task_dir), "/", name);
      auto found = std::find(listed.begin(), listed.end(), target);
      if (found == listed.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            JoinFs(spec.run_task_dir, std::string(name)),
            ": a run-task file that is not among the target's declared "
            "inputs; add it to the `run_task` attribute of the image target"));
      }
      ContextEntry entry;
      entry.path = absl::StrCat(kRunTaskContextDir, "/", name);
      entry.source = (*spec.file_list)[found - listed.begin()];
      entry.containment = containment;
      entries.push_back(std::move(entry));
    }
  }
  IG_RETURN_IF_ERROR(SortAndDeduplicate(&entries));
  return entries;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SourceContainment>>
SourceContainment::Find(const ContextSpec& spec) {
  // The file list is an output of an earlier action: outside a sandbox it
  // sits in the execution root, inside one it links to its place there.
  const std::string list = CleanPath(spec.file_list_path);
  char real_list[PATH_MAX];
  if (realpath(list.c_str(), real_list) == nullptr) {
    return ErrnoToStatus(list, "cannot resolve the file list", errno);
  }
  absl::string_view execroot_view = real_list;
  std::string execroot;
  if (!absl::StartsWith(list, "/") &&
      absl::ConsumeSuffix(&execroot_view, absl::StrCat("/", list))) {
    execroot = std::string(execroot_view);
  } else {
    // A list given by absolute path: the working directory is the root.
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return ErrnoToStatus(".", "cannot find the working directory", errno);
    }
    execroot = cwd;
  }
  // Bazel links each top-level folder of a repository into the execution
  // root; the real place of the image folder's first component is in the
  // repository's real root.
  const std::string folder = CleanPath(spec.context);
  const std::string top = folder.substr(0, folder.find('/'));
  const std::string source_root =
      spec.source_root.empty() ? spec.root : spec.source_root;
  const std::string probe = JoinFs(JoinFs(execroot, source_root), top);
  char real_top[PATH_MAX];
  if (realpath(probe.c_str(), real_top) == nullptr) {
    return ErrnoToStatus(probe, "cannot find the repository's real root",
                         errno);
  }
  std::string repository(real_top);
  repository.resize(std::max<size_t>(repository.rfind('/'), 1));
  std::string outputs = JoinFs(execroot, "bazel-out");
  char real_outputs[PATH_MAX];
  if (realpath(outputs.c_str(), real_outputs) != nullptr) {
    outputs = real_outputs;
  }
  return std::shared_ptr<const SourceContainment>(
      new SourceContainment(std::move(repository), std::move(outputs), folder,
                            CleanPath(spec.run_task_dir)));
}

absl::Status SourceContainment::CheckPath(const std::string& path,
                                          absl::string_view display) const {
  const int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    // A missing file is reported when it is read, in both modes.
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(display, "cannot resolve", errno);
  }
  absl::Status status = CheckOpenFile(fd, display);
  close(fd);
  return status;
}

absl::Status SourceContainment::CheckOpenFile(int fd,
                                              absl::string_view display) const {
  // /proc names the file the kernel opened: no second walk of the path,
  // and exactly the file that is read.
  char resolved[PATH_MAX];
  const ssize_t length = readlink(absl::StrCat("/proc/self/fd/", fd).c_str(),
                                  resolved, sizeof(resolved) - 1);
  if (length < 0) return ErrnoToStatus(display, "cannot resolve", errno);
  const absl::string_view real(resolved, length);
  if (InsideRoot(real, repository_) || InsideRoot(real, outputs_)) {
    return absl::OkStatus();
  }
  return LeavesRepository(display, real);
}

std::string SourceContainment::DisplayPath(const ContextEntry& entry) const {
  absl::string_view path = entry.path;
  if (absl::ConsumePrefix(&path, kIncludePrefix)) return std::string(path);
  // With # %include-run-task, run-task/ holds the run-task directory's files
  // (a folder's own run-task/ would collide with them).
  if (!run_task_dir_.empty() && run_task_dir_ != "." &&
      absl::ConsumePrefix(&path, absl::StrCat(kRunTaskContextDir, "/"))) {
    return JoinFs(run_task_dir_, path);
  }
  return JoinFs(folder_, path);
}

std::string ContextDirectory(const ContextSpec& spec) {
  return JoinFs(spec.root, spec.context);
}

std::string DockerfileDisplayPath(const ContextSpec& spec) {
  // Bazel mode names the folder as the target knows it, not the (possibly
  // staged) root it was found under; the CLI names the path it read.
  return JoinFs(
      spec.file_list.has_value() ? spec.context : ContextDirectory(spec),
      "Dockerfile");
}

absl::Status ValidateEntryPath(absl::string_view path,
                               absl::string_view display) {
  if (path.find('\n') != path.npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        display,
        ": path contains a newline, which the manifest cannot hold; rename "
        "it"));
  }
  if (!IsValidUtf8(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(display, ": path is not valid UTF-8; rename it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ContextEntry>> CollectEntries(
    const ContextSpec& spec) {
  if (spec.file_list.has_value()) return CollectFromFileList(spec);
  return CollectFromTree(spec);
}

}  // namespace imagegraph
