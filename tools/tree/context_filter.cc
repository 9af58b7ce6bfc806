#include "tools/tree/context_filter.h"

#include <utility>

#include "tools/common/status_macros.h"

namespace imagegraph {

absl::StatusOr<ContextFilter> ContextFilter::Parse(
    absl::string_view dockerignore_text, absl::string_view display_path) {
  IG_ASSIGN_OR_RETURN(IgnoreMatcher ignore,
                      IgnoreMatcher::Parse(dockerignore_text, display_path));
  return ContextFilter(std::move(ignore));
}

bool ContextFilter::Keeps(absl::string_view path) const {
  if (path == kDockerfileName) return true;
  if (path == kHashFileName) return false;
  return !ignore_.Excludes(path);
}

}  // namespace imagegraph
