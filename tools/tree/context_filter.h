// Which files of an image folder go into its context: what the folder's
// .dockerignore keeps, with two rules no .dockerignore can change. The
// Dockerfile is always in. HASH (the pinned digest, written after a push) is
// never in: a push must not change what it describes. Every other file,
// VERSION included, is in unless .dockerignore drops it. Every tool that
// lists a context (ctxhash in both modes, the tree scanner, the graph) asks
// this class.
#ifndef IMAGEGRAPH_TOOLS_TREE_CONTEXT_FILTER_H_
#define IMAGEGRAPH_TOOLS_TREE_CONTEXT_FILTER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/tree/ignore_matcher.h"

namespace imagegraph {

// The file names the context rules name, at the top of an image folder.
inline constexpr absl::string_view kDockerfileName = "Dockerfile";
inline constexpr absl::string_view kDockerignoreName = ".dockerignore";
inline constexpr absl::string_view kHashFileName = "HASH";

class ContextFilter {
 public:
  // The filter of a folder without .dockerignore.
  ContextFilter() = default;

  // The filter of a folder whose .dockerignore holds `dockerignore_text`;
  // `display_path` names that file in errors.
  static absl::StatusOr<ContextFilter> Parse(
      absl::string_view dockerignore_text, absl::string_view display_path);

  // True if the file or directory at `path` (relative to the image folder,
  // `/`-separated) is part of the context.
  bool Keeps(absl::string_view path) const;

  // True if .dockerignore has a `!` exception: a directory it drops can then
  // still hold kept files, so it must be walked.
  bool has_exceptions() const { return ignore_.has_exceptions(); }

 private:
  explicit ContextFilter(IgnoreMatcher ignore) : ignore_(std::move(ignore)) {}

  IgnoreMatcher ignore_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_TREE_CONTEXT_FILTER_H_
