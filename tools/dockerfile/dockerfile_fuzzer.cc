// Fuzzes the Dockerfile parser, the reference expansion, `inspect` and the
// shell lexer with arbitrary text. Beyond not crashing, every reference's
// byte range must hold what it says was written there (imagebuild rewrites
// references through those ranges).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/dockerfile/inspect.h"
#include "tools/dockerfile/shell_word.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<imagegraph::Dockerfile> dockerfile =
      imagegraph::ParseDockerfile("Dockerfile", text);
  if (dockerfile.ok()) {
    absl::StatusOr<std::vector<imagegraph::ReferenceUse>> uses =
        imagegraph::ExpandReferences(*dockerfile, {{"TARGETARCH", "arm64"}});
    if (uses.ok()) {
      for (const imagegraph::ReferenceUse& use : *uses) {
        if (use.offset == std::string::npos) continue;
        if (use.offset + use.length > text.size() ||
            text.substr(use.offset, use.length) != use.raw) {
          std::abort();  // a range that does not hold the reference
        }
      }
    }
    (void)imagegraph::InspectDockerfile("Dockerfile", text, {});
  }
  (void)imagegraph::ExpandWord(text, {{"A", "x"}, {"EMPTY", ""}});
  return 0;
}
