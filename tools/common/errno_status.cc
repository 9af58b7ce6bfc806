#include "tools/common/errno_status.h"

#include <errno.h>
#include <string.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace imagegraph {

absl::Status ErrnoToStatus(absl::string_view path, absl::string_view action,
                           int error, absl::string_view fix) {
  std::string message =
      absl::StrCat(path, ": ", action, action.empty() ? "" : ": ",
                   strerror(error), fix.empty() ? "" : "; ", fix);
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace imagegraph
