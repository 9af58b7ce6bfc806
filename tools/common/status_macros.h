// Status propagation macros. The system abseil (20220623) has no public
// ABSL_RETURN_IF_ERROR / ASSIGN_OR_RETURN, so the project keeps its own here.
#ifndef IMAGEGRAPH_TOOLS_COMMON_STATUS_MACROS_H_
#define IMAGEGRAPH_TOOLS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define IG_STATUS_MACROS_CONCAT_INNER(x, y) x##y
#define IG_STATUS_MACROS_CONCAT(x, y) IG_STATUS_MACROS_CONCAT_INNER(x, y)

// Evaluates `expr` (an absl::Status); returns it from the caller if not ok.
#define IG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status ig_status_ = (expr);      \
    if (!ig_status_.ok()) return ig_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not ok,
// else moves its value into `lhs` (which may be a declaration).
#define IG_ASSIGN_OR_RETURN(lhs, rexpr)                                     \
  IG_ASSIGN_OR_RETURN_IMPL(IG_STATUS_MACROS_CONCAT(ig_statusor_, __LINE__), \
                           lhs, rexpr)

#define IG_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                             \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // IMAGEGRAPH_TOOLS_COMMON_STATUS_MACROS_H_
