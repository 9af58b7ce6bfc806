// Fuzzes the docker-archive reader and the two in-place rewrites of an
// archive (normalizing the configuration, setting the tags) with arbitrary
// bytes as the archive.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/imagebuild/docker_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  if (tmpdir == nullptr) tmpdir = std::getenv("TMPDIR");
  std::string path =
      std::string(tmpdir == nullptr ? "/tmp" : tmpdir) + "/archive.XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += n;
  }
  close(fd);
  if (imagegraph::ReadDockerArchive(path).ok() &&
      imagegraph::NormalizeDockerArchiveConfig(path).ok()) {
    // What was normalized must still read, and take new tags.
    absl::StatusOr<imagegraph::DockerArchiveImage> reread =
        imagegraph::ReadDockerArchive(path);
    if (!reread.ok()) {
      std::fprintf(stderr, "normalized archive unreadable: %s\n",
                   std::string(reread.status().message()).c_str());
      std::abort();
    }
    (void)imagegraph::SetDockerArchiveTags(path, {"reg.test/x:1", "y:2"});
  }
  unlink(path.c_str());
  return 0;
}
