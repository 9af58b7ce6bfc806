// escape: run as a RUN step, tries what an attacker's Dockerfile would to
// reach the host, and reports each attempt. Exits 1 when any succeeds.
//
//   escape MARKER HOST_DIR SECRET...
//
// MARKER is a host file that the image does not hold (seeing it means being
// outside the container's root), HOST_DIR a host directory the build must
// not write, each SECRET a host file the build must not read. Attempts go
// both through a chroot breakout and through /proc/1/root (the root of the
// namespace's first process).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escapes = 0;
// The report also goes into the image, where the test reads it.
static FILE* report;

static void Report(const char* attempt, int succeeded, int error) {
  char line[4400];
  if (succeeded) {
    ++escapes;
    snprintf(line, sizeof(line), "ESCAPE: %s succeeded\n", attempt);
  } else {
    snprintf(line, sizeof(line), "ok: %s failed (%s)\n", attempt,
             strerror(error));
  }
  fputs(line, stdout);
  if (report != NULL) fputs(line, report);
}

static void TryCreate(const char* label, const char* dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/escaped-by-run-step", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  int error = errno;
  char attempt[4200];
  snprintf(attempt, sizeof(attempt), "%s: create %s", label, path);
  Report(attempt, fd >= 0, error);
  if (fd >= 0) close(fd);
}

static void TryRead(const char* label, const char* path) {
  char buffer[64];
  int fd = open(path, O_RDONLY);
  int error = errno;
  ssize_t n = fd >= 0 ? read(fd, buffer, sizeof(buffer)) : -1;
  if (fd >= 0 && n < 0) error = errno;
  char attempt[4200];
  snprintf(attempt, sizeof(attempt), "%s: read %s", label, path);
  Report(attempt, n >= 0, error);
  if (fd >= 0) close(fd);
}

static void TrySee(const char* label, const char* path) {
  char attempt[4200];
  snprintf(attempt, sizeof(attempt), "%s: see %s", label, path);
  int seen = access(path, F_OK) == 0;
  Report(attempt, seen, seen ? 0 : errno);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: escape MARKER HOST_DIR SECRET...\n");
    return 2;
  }
  report = fopen("escape-report.txt", "w");
  const char* marker = argv[1];
  const char* host_dir = argv[2];
  char via_proc[4096];

  // Through the root of the namespace's first process.
  snprintf(via_proc, sizeof(via_proc), "/proc/1/root%s", marker);
  TrySee("via /proc/1/root", via_proc);
  snprintf(via_proc, sizeof(via_proc), "/proc/1/root%s", host_dir);
  TryCreate("via /proc/1/root", via_proc);
  for (int i = 3; i < argc; ++i) {
    snprintf(via_proc, sizeof(via_proc), "/proc/1/root%s", argv[i]);
    TryRead("via /proc/1/root", via_proc);
  }
  // The environment of PID 1: the host's init, or whatever runs as 1 here.
  TryRead("direct", "/proc/1/environ");

  // The classic breakout: chroot into a subdirectory, climb out of it.
  mkdir("escape-jail", 0755);
  int jailed = chroot("escape-jail");
  Report("chroot into a subdirectory", jailed == 0, errno);
  if (jailed == 0) {
    for (int i = 0; i < 256; ++i) chdir("..");
    chroot(".");
  }
  TrySee("after the breakout", marker);
  TryCreate("after the breakout", host_dir);
  for (int i = 3; i < argc; ++i) TryRead("after the breakout", argv[i]);
  TryRead("after the breakout", "/proc/1/environ");
  printf("%d escapes\n", escapes);
  if (report != NULL) {
    fprintf(report, "%d escapes\n", escapes);
    fclose(report);
  }
  return escapes == 0 ? 0 : 1;
}
