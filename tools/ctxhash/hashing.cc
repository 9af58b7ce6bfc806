#include "tools/ctxhash/hashing.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "openssl/sha.h"
#include "tools/common/errno_status.h"

namespace imagegraph {
namespace {

std::string HexDigest(const uint8_t (&digest)[SHA256_DIGEST_LENGTH]) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), SHA256_DIGEST_LENGTH));
}

absl::Status ReadError(const ContextEntry& entry, int err) {
  return ErrnoToStatus(
      entry.source, "cannot read", err,
      "make the file readable or leave it out with .dockerignore");
}

absl::Status ChangedWhileReading(const ContextEntry& entry) {
  return absl::InvalidArgumentError(
      absl::StrCat(entry.source,
                   ": changed size while being read; run again when "
                   "nothing writes to the image folder"));
}

// Streams the open file into sha256, checking that exactly `entry.size`
// bytes arrive (a file that changes while being read is an error).
absl::Status HashOpenFile(int fd, char* buffer, ContextEntry* entry) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  uint64_t total = 0;
  while (total < entry->size) {
    const ssize_t n = read(fd, buffer, kReadChunkBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(*entry, errno);
    }
    if (n == 0) return ChangedWhileReading(*entry);
    SHA256_Update(&ctx, buffer, static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  if (total != entry->size) return ChangedWhileReading(*entry);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  entry->sha256_hex = HexDigest(digest);
  return absl::OkStatus();
}

// Cores this process may run on (its affinity mask, as `nproc` reports).
int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

absl::StatusOr<int> OpenEntry(ContextEntry* entry) {
  // O_NONBLOCK: opening a fifo must not wait for a writer.
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  const int fd = entry->directory != nullptr
                     ? openat(entry->directory->fd(),
                              entry->source.c_str() + entry->source.size() -
                                  entry->name_size,
                              kFlags)
                     : open(entry->source.c_str(), kFlags);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::InvalidArgumentError(absl::StrCat(
          entry->source,
          ": does not exist (a dangling symlink, or removed while being "
          "read)"));
    }
    if (err == ELOOP) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry->source, ": symlink loops; fix or remove it"));
    }
    return ReadError(*entry, err);
  }
  // Where the file really is comes first: a host file is refused whatever
  // it is.
  if (entry->containment != nullptr) {
    absl::Status inside = entry->containment->CheckOpenFile(
        fd, entry->containment->DisplayPath(*entry));
    if (!inside.ok()) {
      close(fd);
      return inside;
    }
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ReadError(*entry, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        entry->source,
        ": is not a regular file (a fifo, socket or device); contexts hold "
        "only regular files: remove it or list it in .dockerignore"));
  }
  if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        entry->source,
        ": has the setuid or setgid bit, which the context cannot carry; "
        "clear it (chmod ug-s) and set it in the Dockerfile if needed"));
  }
  entry->mode = (st.st_mode & S_IXUSR) != 0 ? 0755 : 0644;
  entry->size = static_cast<uint64_t>(st.st_size);
  entry->device = st.st_dev;
  entry->inode = st.st_ino;
  entry->mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  // O_NONBLOCK has no effect on reads of regular files; it stays set.
  return fd;
}

absl::Status HashEntries(std::vector<ContextEntry>* entries, int jobs) {
  if (jobs <= 0) jobs = UsableCores();
  jobs = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(jobs), entries->size()));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  auto worker = [&]() {
    std::unique_ptr<char[]> buffer(new char[kReadChunkBytes]);
    for (;;) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= entries->size() || failed.load(std::memory_order_relaxed)) {
        return;
      }
      ContextEntry& entry = (*entries)[i];
      absl::StatusOr<int> fd = OpenEntry(&entry);
      absl::Status status = fd.status();
      if (fd.ok()) {
        status = HashOpenFile(*fd, buffer.get(), &entry);
        close(*fd);
      }
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = status;
        failed = true;
        return;
      }
    }
  };
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(jobs);
    for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (std::thread& thread : threads) thread.join();
  }
  return first_error;
}

absl::Status ValidateParent(const ParentHash& parent) {
  if (parent.name.empty() ||
      parent.name.find_first_of(" \t\r\n") != parent.name.npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parent \"", parent.name,
        "\": an image name must be non-empty without spaces or newlines"));
  }
  const bool hex =
      parent.hash.size() == 64 &&
      std::all_of(parent.hash.begin(), parent.hash.end(), [](char c) {
        return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
      });
  if (!hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("parent ", parent.name, ": hash \"", parent.hash,
                     "\" is not a context hash (64 lowercase hex digits)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBuildArg(absl::string_view name, absl::string_view value) {
  if (name.empty() || name.find_first_of("=\n") != name.npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("build argument \"", name,
                     "\": a name must be non-empty without '=' or newlines"));
  }
  if (value.find('\n') != value.npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("build argument ", name,
                     ": the value contains a newline, which the manifest "
                     "cannot hold"));
  }
  return absl::OkStatus();
}

std::string BuildManifest(
    const std::vector<ContextEntry>& entries,
    const std::vector<ParentHash>& parents,
    std::vector<std::pair<std::string, std::string>> build_args) {
  std::string text;
  size_t estimate = 0;
  for (const ContextEntry& entry : entries) estimate += entry.path.size() + 70;
  text.reserve(estimate);
  for (const ContextEntry& entry : entries) {
    absl::StrAppend(&text, entry.sha256_hex,
                    entry.mode == 0755 ? " 755 " : " 644 ", entry.path, "\n");
  }
  for (const ParentHash& parent : parents) {
    absl::StrAppend(&text, "parent ", parent.hash, " ", parent.name, "\n");
  }
  std::sort(build_args.begin(), build_args.end());
  for (const auto& [name, value] : build_args) {
    absl::StrAppend(&text, "arg ", name, "=", value, "\n");
  }
  return text;
}

}  // namespace imagegraph
