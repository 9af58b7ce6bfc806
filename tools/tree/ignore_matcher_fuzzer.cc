// Fuzzes the .dockerignore matcher: the input's text up to the first blank
// line is a .dockerignore file, every later line a path to match.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tools/tree/ignore_matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n\n");
  const absl::string_view patterns = input.substr(0, split);
  const absl::string_view paths =
      split == absl::string_view::npos ? "" : input.substr(split + 2);
  absl::StatusOr<imagegraph::IgnoreMatcher> matcher =
      imagegraph::IgnoreMatcher::Parse(patterns, ".dockerignore");
  for (absl::string_view path : absl::StrSplit(paths, '\n')) {
    const std::string clean = imagegraph::CleanPath(path);
    if (matcher.ok()) {
      (void)matcher->Excludes(path);
      (void)matcher->Excludes(clean);
    }
  }
  return 0;
}
