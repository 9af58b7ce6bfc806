// Fuzzes the docker-archive reader with arbitrary bytes as the archive, and
// the clearing of a configuration's builder fields with them as the JSON.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
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
  (void)imagegraph::ReadDockerArchive(path);
  // The configuration as imagebuild writes it: clearing is idempotent.
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (std::optional<std::string> cleared =
          imagegraph::ClearBuilderFields(text)) {
    if (imagegraph::ClearBuilderFields(*cleared) != cleared) {
      std::fprintf(stderr, "clearing the builder fields twice differs\n");
      std::abort();
    }
  }
  unlink(path.c_str());
  return 0;
}
