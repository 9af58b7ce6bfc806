// Command lines the way every imagegraph tool reads them, on top of absl
// flags:
//   - `--dashed-names` are accepted for the `--underscored_names` flags;
//   - some flags may repeat (absl keeps only a flag's last occurrence), and
//     their values come back in order;
//   - a usage error (an unknown flag, a missing or unparsable value) is
//     reported as such, so that the tool exits 2 as its --help says (absl
//     alone exits 1, the code of every other error);
//   - --help prints the same sections in every tool and exits 0.
#ifndef IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_
#define IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// The exit codes of every tool, documented once in docs/tools.md and
// printed by every --help (ToolHelpText).
inline constexpr int kExitSuccess = 0;
// Bad input (a file, a value read from one) or a failed operation; the
// message on stderr names what is at fault and says the fix.
inline constexpr int kExitError = 1;
// A bad command line: an unknown flag, a missing or malformed value.
inline constexpr int kExitUsage = 2;
// The tool worked and its answer is "no" (ToolHelp::negative_answer says
// what that means for the tool).
inline constexpr int kExitNegative = 3;

// What a tool's --help says besides the flags, which it lists from the
// flags its main.cc defines.
struct ToolHelp {
  // The program name, as messages start ("index").
  absl::string_view name;
  // What the tool does and how it is called, without flags or exit codes.
  absl::string_view usage;
  // What exit code 3 means for this tool; empty when it never exits 3.
  absl::string_view negative_answer;
};

// The text --help prints: the usage, every flag defined in a main.cc with
// its help and default (repeatable ones marked), and the exit codes.
std::string ToolHelpText(const ToolHelp& help,
                         std::initializer_list<absl::string_view> repeatable);

struct ToolArguments {
  // --help (or -h, --helpfull, --helpshort) was given.
  bool help = false;
  // Non-flag arguments, in order (argv[0] excluded).
  std::vector<std::string> positional;
  // The values of each repeatable flag, in order (absent: none given).
  absl::flat_hash_map<std::string, std::vector<std::string>> repeated;

  const std::vector<std::string>& Repeated(absl::string_view flag) const;
};

// Whether a tool takes arguments other than flags.
enum class Positional { kNone, kAllowed };

// Checks argv[1..] against the flags absl knows and parses them: every other
// flag's value is set; the --help family only sets `help`. Returns
// InvalidArgumentError for a usage error, with a message
// such as "unknown flag --colour", "--zstd-level: Illegal int value 'x'" or
// (with Positional::kNone) "unexpected argument "x"; every input is a flag".
absl::StatusOr<ToolArguments> ParseToolArguments(
    int argc, char** argv, std::initializer_list<absl::string_view> repeatable,
    Positional positional = Positional::kNone);

// How every tool reads its command line: ParseToolArguments; --help (also
// -h, --helpfull, --helpshort) prints ToolHelpText to stdout and exits
// kExitSuccess; a usage error prints "TOOL: MESSAGE (see --help)" to stderr
// and exits kExitUsage.
ToolArguments ParseToolArgumentsOrExit(
    const ToolHelp& help, int argc, char** argv,
    std::initializer_list<absl::string_view> repeatable = {},
    Positional positional = Positional::kNone);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_COMMON_COMMAND_LINE_H_
