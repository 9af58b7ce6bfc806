// Where an image build runs: in a user namespace whose root is an
// unprivileged host ID, whoever invokes the build.
//
// buildah runs inside `unshare --map-users=S,0,65536 --map-groups=G,0,65536
// --setuid=0 --setgid=0 --mount --pid --fork --kill-child --mount-proc`,
// where S and G start the invoking user's subordinate ranges (/etc/subuid,
// /etc/subgid): for root a dedicated range of root's own, for a normal user
// theirs. buildah is root in there, with 65536 IDs, and so are the RUN steps
// it starts (chroot isolation); on the host they are IDs S.. and G.., never
// host root and never the invoking user, so a RUN step cannot write the
// user's files (index, credentials, Bazel's cache) or read private ones. The
// namespace also has its own PID namespace (RUN steps see only the build's
// processes) and dies with its parent. Inside, file owners are the same
// whoever builds, so image IDs are too.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_CONTAINMENT_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_CONTAINMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// Container IDs an image needs: 0..65535, as every container engine assumes.
inline constexpr uint64_t kContainerIdCount = 65536;

// A block of host IDs from /etc/subuid or /etc/subgid.
struct IdRange {
  uint64_t start = 0;
  uint64_t count = 0;
};

// Who builds and onto which host IDs a build's namespace maps.
struct Containment {
  bool rootless = false;  // a normal user (else host root)
  std::string user;       // the invoking user's name (or UID)
  uint32_t invoker_uid = 0;
  uint32_t invoker_gid = 0;
  IdRange uids;         // subordinate user IDs, count >= kContainerIdCount
  IdRange gids;         // subordinate group IDs, likewise
  std::string unshare;  // util-linux unshare
  std::string setpriv;  // util-linux setpriv

  // `unshare ... -- setpriv --pdeathsig=KILL --`: the prefix of every
  // buildah command line.
  std::vector<std::string> WrapperArgv() const;
  // Makes `paths` (directories the invoker created) belong to the
  // namespace's root, so that buildah can write there.
  absl::Status GiveToBuild(const std::vector<std::string>& paths) const;
  // Makes `path` and everything below it belong to the namespace's root, so
  // that buildah sees the files as root's, as it would outside any
  // namespace (the owner enters the history of COPY and ADD steps, and thus
  // the image ID).
  absl::Status GiveTreeToBuild(const std::string& path) const;
  // Makes `path` (a file buildah wrote) belong to the invoker again.
  absl::Status TakeBack(const std::string& path) const;
  // Removes `path` with what buildah wrote below it (files owned by
  // subordinate IDs, which a normal user removes from a namespace that maps
  // them).
  absl::Status RemoveTree(const std::string& path) const;

 private:
  // Runs `argv` as root of a namespace that maps the invoker to 0 and the
  // subordinate range to 1..65536 (a normal user's only way to own them).
  absl::Status RunAsRangeOwner(std::vector<std::string> argv) const;
};

// Checks that this machine and user can run contained builds and returns how:
// user namespaces work, the invoking user has at least kContainerIdCount
// subordinate user and group IDs (read with getsubids, as newuidmap reads
// them), and newuidmap/newgidmap are installed. Every failure is a
// FailedPreconditionError that names the cause and the one command that
// fixes it.
absl::StatusOr<Containment> PrepareContainment();

// Checks that the build's namespace (unprivileged host IDs) can reach `path`:
// every directory on the way may be entered by others (and `path` itself
// too, or executed when it is a file). Otherwise a FailedPreconditionError
// naming the closed directory, `what` needs it, and `fix`.
absl::Status CheckReachableByBuild(const std::string& path,
                                   absl::string_view what,
                                   absl::string_view fix);

// The message for an unshare(CLONE_NEWUSER) that failed with `error`.
std::string UserNamespaceError(int error);

// Parses getsubids output ("0: NAME START COUNT" lines) into ranges.
std::vector<IdRange> ParseSubordinateIds(absl::string_view text);

// The first range of `ranges` that holds kContainerIdCount IDs; otherwise a
// FailedPreconditionError for `user` naming `file` (/etc/subuid or
// /etc/subgid), what it holds and the fix.
absl::StatusOr<IdRange> ChooseRange(const std::vector<IdRange>& ranges,
                                    absl::string_view user,
                                    absl::string_view file, bool rootless);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_CONTAINMENT_H_
