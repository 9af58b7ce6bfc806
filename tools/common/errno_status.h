// The one way every tool turns a failed system call into a status.
#ifndef IMAGEGRAPH_TOOLS_COMMON_ERRNO_STATUS_H_
#define IMAGEGRAPH_TOOLS_COMMON_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// The status of a failed system call on `path`: "PATH: ACTION: REASON" (and
// "; FIX" when a fix is given), with the code the errno means (NotFound,
// PermissionDenied, ResourceExhausted, else Internal).
absl::Status ErrnoToStatus(absl::string_view path, absl::string_view action,
                           int error, absl::string_view fix = {});

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_ERRNO_STATUS_H_
