#include "tools/imagebuild/containment.h"

#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "tools/common/subprocess.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kInstallUidmap =
    "install it with `sudo apt-get install uidmap`, or run ./bazelw, which "
    "installs everything the build needs";

std::string InvokingUser() {
  struct passwd* entry = getpwuid(geteuid());
  if (entry != nullptr && entry->pw_name != nullptr) return entry->pw_name;
  return absl::StrCat(geteuid());
}

// 0 when this process may create a user namespace, else the errno.
int ProbeUserNamespace() {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
}

absl::StatusOr<std::vector<IdRange>> SubordinateIds(const std::string& user,
                                                    bool groups) {
  std::vector<std::string> argv = {"getsubids"};
  if (groups) argv.push_back("-g");
  argv.push_back(user);
  auto result = RunSubprocess(argv);
  if (!result.ok()) {
    if (absl::IsNotFound(result.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("getsubids is not installed (it reads the "
                       "subordinate ID ranges that builds map onto); ",
                       kInstallUidmap));
    }
    return result.status();
  }
  // getsubids exits 1 ("Error fetching ranges") when the user has none.
  if (result->exit_code != 0) return std::vector<IdRange>();
  return ParseSubordinateIds(result->stdout_text);
}

}  // namespace

std::vector<IdRange> ParseSubordinateIds(absl::string_view text) {
  std::vector<IdRange> ranges;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    IdRange range;
    if (fields.size() == 4 && absl::EndsWith(fields[0], ":") &&
        absl::SimpleAtoi(fields[2], &range.start) &&
        absl::SimpleAtoi(fields[3], &range.count)) {
      ranges.push_back(range);
    }
  }
  return ranges;
}

absl::StatusOr<IdRange> ChooseRange(const std::vector<IdRange>& ranges,
                                    absl::string_view user,
                                    absl::string_view file, bool rootless) {
  for (const IdRange& range : ranges) {
    if (range.count >= kContainerIdCount) return range;
  }
  const std::string kind = absl::EndsWith(file, "subgid") ? "group" : "user";
  const std::string fix =
      rootless
          ? absl::StrCat(
                "run `sudo ./bazelw` once in the imagegraph checkout (it adds "
                "a free range of ",
                kContainerIdCount, " subordinate IDs for ", user,
                "), or run ./bazelw to see the one usermod command that does; "
                "docs/quickstart.md explains")
          : absl::StrCat(
                "run ./bazelw once as root (it adds a dedicated "
                "range of ",
                kContainerIdCount, " IDs for root)");
  std::string held;
  if (ranges.empty()) {
    held = absl::StrCat(user, " has no subordinate ", kind, " IDs in ", file);
  } else {
    held =
        absl::StrCat(user, " has only ranges of fewer than ", kContainerIdCount,
                     " subordinate ", kind, " IDs in ", file, ":");
    for (const IdRange& range : ranges) {
      absl::StrAppend(&held, " ", range.start, "-",
                      range.start + range.count - 1, " (", range.count,
                      " IDs)");
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      held, "; image builds run every RUN step in a user namespace that maps ",
      "the container's ", kind, " IDs 0..", kContainerIdCount - 1,
      " onto such a range, so that no step runs as host root or as ", user,
      ": ", fix));
}

absl::Status CheckReachableByBuild(const std::string& path,
                                   absl::string_view what,
                                   absl::string_view fix) {
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    struct stat st;
    if (stat(prefix.c_str(), &st) != 0) {
      return ErrnoToStatus(prefix, absl::StrCat("cannot use for ", what),
                           errno);
    }
    if ((st.st_mode & S_IXOTH) == 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s (mode %04o) may be entered or run only by its owner, but %s "
          "is used from the build's user namespace, as unprivileged IDs: %s",
          prefix, st.st_mode & 07777, what, fix));
    }
  }
  return absl::OkStatus();
}

std::string UserNamespaceError(int error) {
  std::string cause;
  std::string fix;
  switch (error) {
    case ENOSPC:
      cause = "the limit user.max_user_namespaces is 0 (or reached)";
      fix = "sudo sysctl -w user.max_user_namespaces=15000";
      break;
    case EPERM:
    case EACCES:
      cause =
          "the kernel forbids them to this user "
          "(kernel.unprivileged_userns_clone=0 or "
          "kernel.apparmor_restrict_unprivileged_userns=1)";
      fix =
          "sudo sysctl -w kernel.unprivileged_userns_clone=1 (or "
          "kernel.apparmor_restrict_unprivileged_userns=0)";
      break;
    case EINVAL:
      cause = "this kernel is built without user namespaces (CONFIG_USER_NS)";
      fix = "use a kernel with CONFIG_USER_NS=y";
      break;
    default:
      cause = strerror(error);
      fix = "check `unshare --user true` on this machine";
  }
  return absl::StrCat(
      "user namespaces are disabled: ", cause,
      "; image builds run every RUN step in a user namespace so that it "
      "never runs as host root. Enable them: ",
      fix);
}

absl::StatusOr<Containment> PrepareContainment() {
  Containment containment;
  containment.rootless = geteuid() != 0;
  containment.user = InvokingUser();
  containment.invoker_uid = geteuid();
  containment.invoker_gid = getegid();
  if (int error = ProbeUserNamespace(); error != 0) {
    return absl::FailedPreconditionError(UserNamespaceError(error));
  }
  IG_ASSIGN_OR_RETURN(std::vector<IdRange> uids,
                      SubordinateIds(containment.user, false));
  IG_ASSIGN_OR_RETURN(
      containment.uids,
      ChooseRange(uids, containment.user, "/etc/subuid", containment.rootless));
  IG_ASSIGN_OR_RETURN(std::vector<IdRange> gids,
                      SubordinateIds(containment.user, true));
  IG_ASSIGN_OR_RETURN(
      containment.gids,
      ChooseRange(gids, containment.user, "/etc/subgid", containment.rootless));
  for (auto [tool, path] : {std::pair{"unshare", &containment.unshare},
                            std::pair{"setpriv", &containment.setpriv}}) {
    auto found = FindExecutable(tool);
    if (!found.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          tool, " (util-linux) is not installed: ", found.status().message(),
          "; install it with `sudo apt-get install util-linux`"));
    }
    *path = *found;
  }
  {
    for (const char* helper : {"newuidmap", "newgidmap"}) {
      auto found = FindExecutable(helper);
      if (!found.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            helper, " is not installed (", found.status().message(),
            "; builds need it to map their subordinate IDs): ",
            kInstallUidmap));
      }
    }
  }
  return containment;
}

std::vector<std::string> Containment::WrapperArgv() const {
  return {unshare,
          absl::StrCat("--map-users=", uids.start, ",0,", kContainerIdCount),
          absl::StrCat("--map-groups=", gids.start, ",0,", kContainerIdCount),
          "--setuid=0", "--setgid=0", "--mount", "--pid", "--fork",
          "--kill-child", "--mount-proc", "--",
          // unshare's --kill-child does not survive its own --setuid (a
          // change of credentials clears the parent-death signal): buildah,
          // the namespace's first process, gets it again here, so that it
          // and with it every process of the namespace dies with unshare,
          // which dies with imagebuild.
          setpriv, "--pdeathsig=KILL", "--"};
}

absl::Status Containment::RunAsRangeOwner(std::vector<std::string> argv) const {
  std::vector<std::string> full = {
      unshare, "--map-root-user",
      absl::StrCat("--map-users=", uids.start, ",1,", kContainerIdCount),
      absl::StrCat("--map-groups=", gids.start, ",1,", kContainerIdCount),
      "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  SubprocessOptions options;
  // Also the cleanup after an interrupt.
  options.run_when_interrupted = true;
  options.kill_with_parent = true;
  IG_ASSIGN_OR_RETURN(SubprocessResult result, RunSubprocess(full, options));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        absl::StrJoin(argv, " "),
        " in the build's user namespace failed (exit ", result.exit_code,
        "): ", LastLines(result.stderr_text, 5)));
  }
  return absl::OkStatus();
}

absl::Status Containment::GiveToBuild(
    const std::vector<std::string>& paths) const {
  if (rootless) {
    std::vector<std::string> argv = {"chown", "1:1", "--"};
    argv.insert(argv.end(), paths.begin(), paths.end());
    return RunAsRangeOwner(argv);
  }
  for (const std::string& path : paths) {
    if (chown(path.c_str(), uids.start, gids.start) != 0) {
      return ErrnoToStatus(path, "cannot chown", errno);
    }
  }
  return absl::OkStatus();
}

namespace {

// The owner nftw gives every entry (nftw takes no context argument).
uid_t g_tree_uid;
gid_t g_tree_gid;

int ChownEntry(const char* path, const struct stat*, int, struct FTW*) {
  return lchown(path, g_tree_uid, g_tree_gid) == 0 ? 0 : errno;
}

}  // namespace

absl::Status Containment::GiveTreeToBuild(const std::string& path) const {
  if (rootless) {
    return RunAsRangeOwner(
        {"chown", "-R", "--no-dereference", "1:1", "--", path});
  }
  g_tree_uid = uids.start;
  g_tree_gid = gids.start;
  if (int error = nftw(path.c_str(), ChownEntry, 64, FTW_PHYS); error != 0) {
    return ErrnoToStatus(path, "cannot chown", error < 0 ? errno : error);
  }
  return absl::OkStatus();
}

absl::Status Containment::TakeBack(const std::string& path) const {
  if (rootless) return RunAsRangeOwner({"chown", "0:0", "--", path});
  if (chown(path.c_str(), invoker_uid, invoker_gid) != 0) {
    return ErrnoToStatus(path, "cannot chown", errno);
  }
  return absl::OkStatus();
}

absl::Status Containment::RemoveTree(const std::string& path) const {
  if (!rootless) return imagegraph::RemoveTree(path);
  IG_RETURN_IF_ERROR(RunAsRangeOwner({"rm", "-rf", "--", path}));
  if (access(path.c_str(), F_OK) == 0) {
    return absl::InternalError(
        absl::StrCat(path, ": still there after rm -rf"));
  }
  return absl::OkStatus();
}

}  // namespace imagegraph
