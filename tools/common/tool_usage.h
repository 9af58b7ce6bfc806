// --help setup shared by the command-line tools.
#ifndef IMAGEGRAPH_TOOLS_COMMON_TOOL_USAGE_H_
#define IMAGEGRAPH_TOOLS_COMMON_TOOL_USAGE_H_

#include "absl/flags/usage_config.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// A usage config whose --help and --helpshort list only the flags defined
// in a main.cc (the tool's own), not the ones abseil and libraries define.
absl::FlagsUsageConfig MainFlagsOnlyUsageConfig();

// Installs MainFlagsOnlyUsageConfig() and `usage` (which documents the exit
// codes) as the program usage message. Call once, before parsing flags.
void SetToolUsage(absl::string_view usage);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_TOOL_USAGE_H_
