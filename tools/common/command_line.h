// Command lines the way every imagegraph tool reads them, on top of absl
// flags:
//   - `--dashed-names` are accepted for the `--underscored_names` flags;
//   - some flags may repeat (absl keeps only a flag's last occurrence), and
//     their values come back in order;
//   - a usage error (an unknown flag, a missing or unparsable value) is
//     reported as such, so that the tool exits 2 as its --help says. absl
//     alone exits 1, which the tools keep for failures (and imagegen for
//     "stale").
#ifndef IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_
#define IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// The exit code of a usage error, the same in every tool.
inline constexpr int kExitUsage = 2;

struct ToolArguments {
  // Non-flag arguments, in order (argv[0] excluded).
  std::vector<std::string> positional;
  // The values of each repeatable flag, in order (absent: none given).
  absl::flat_hash_map<std::string, std::vector<std::string>> repeated;

  const std::vector<std::string>& Repeated(absl::string_view flag) const;
};

// Whether a tool takes arguments other than flags.
enum class Positional { kNone, kAllowed };

// Checks argv[1..] against the flags absl knows and parses them: every other
// flag's value is set, and absl's --help family is handled (it prints and
// exits 0). Returns InvalidArgumentError for a usage error, with a message
// such as "unknown flag --colour", "--zstd-level: Illegal int value 'x'" or
// (with Positional::kNone) "unexpected argument "x"; every input is a flag".
absl::StatusOr<ToolArguments> ParseToolArguments(
    int argc, char** argv, std::initializer_list<absl::string_view> repeatable,
    Positional positional = Positional::kNone);

// ParseToolArguments, and on a usage error prints "TOOL: MESSAGE (see
// --help)" to stderr and exits kExitUsage.
ToolArguments ParseToolArgumentsOrExit(
    absl::string_view tool, int argc, char** argv,
    std::initializer_list<absl::string_view> repeatable = {},
    Positional positional = Positional::kNone);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_
