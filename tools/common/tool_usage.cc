#include "tools/common/tool_usage.h"

#include "absl/flags/usage.h"
#include "absl/strings/match.h"

namespace imagegraph {

absl::FlagsUsageConfig MainFlagsOnlyUsageConfig() {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "main.cc");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  return config;
}

void SetToolUsage(absl::string_view usage) {
  absl::SetFlagsUsageConfig(MainFlagsOnlyUsageConfig());
  absl::SetProgramUsageMessage(usage);
}

}  // namespace imagegraph
