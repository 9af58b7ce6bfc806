#include "tools/common/command_line.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

// absl's own flags, which absl::ParseCommandLine acts on.
bool IsAbslBuiltinFlag(absl::string_view name) {
  static const auto* const kBuiltins = new absl::flat_hash_set<std::string>{
      "help",     "helpfull",  "helpshort",  "helppackage",
      "helpon",   "helpmatch", "version",    "only_check_args",
      "flagfile", "fromenv",   "tryfromenv", "undefok"};
  return kBuiltins->contains(name);
}

}  // namespace

const std::vector<std::string>& ToolArguments::Repeated(
    absl::string_view flag) const {
  static const auto* const kNone = new std::vector<std::string>();
  auto it = repeated.find(flag);
  return it == repeated.end() ? *kNone : it->second;
}

absl::StatusOr<ToolArguments> ParseToolArguments(
    int argc, char** argv, std::initializer_list<absl::string_view> repeatable,
    Positional positional) {
  ToolArguments result;
  const absl::flat_hash_set<absl::string_view> repeatable_set(repeatable);
  // Every flag is set here; only absl's own flags (--help and friends,
  // --flagfile) go on to absl::ParseCommandLine, after argv[0].
  std::vector<std::string> absl_builtins = {argc > 0 ? argv[0] : "tool"};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) result.positional.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      result.positional.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    const bool has_value = eq != absl::string_view::npos;
    const std::string typed = absl::StrCat("--", arg.substr(0, eq));
    std::string name(arg.substr(0, eq));
    absl::StrReplaceAll({{"-", "_"}}, &name);
    std::string value = has_value ? std::string(arg.substr(eq + 1)) : "";

    // The value: after '=', else the next argument.
    auto take_value = [&]() -> absl::Status {
      if (has_value) return absl::OkStatus();
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat(typed, " needs a value"));
      }
      value = argv[++i];
      return absl::OkStatus();
    };

    if (IsAbslBuiltinFlag(name)) {
      absl_builtins.push_back(absl::StrCat("--", arg));
      continue;
    }
    // A repeatable flag need not be an absl flag (it would keep one value).
    if (repeatable_set.contains(name)) {
      IG_RETURN_IF_ERROR(take_value());
      result.repeated[name].push_back(value);
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    // --noNAME negates a boolean flag.
    if (flag == nullptr && absl::StartsWith(name, "no") && !has_value) {
      absl::CommandLineFlag* positive =
          absl::FindCommandLineFlag(absl::string_view(name).substr(2));
      std::string error;
      if (positive != nullptr && positive->IsOfType<bool>() &&
          positive->ParseFrom("false", &error)) {
        continue;
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", typed));
    }
    if (!flag->IsOfType<bool>()) {
      IG_RETURN_IF_ERROR(take_value());
    } else if (!has_value) {
      value = "true";
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(typed, ": ", error));
    }
  }
  if (positional == Positional::kNone && !result.positional.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", result.positional[0],
                     "\"; every input is a flag"));
  }
  if (absl_builtins.size() > 1) {
    std::vector<char*> pointers;
    for (std::string& text : absl_builtins) pointers.push_back(text.data());
    absl::ParseCommandLine(static_cast<int>(pointers.size()), pointers.data());
  }
  return result;
}

ToolArguments ParseToolArgumentsOrExit(
    absl::string_view tool, int argc, char** argv,
    std::initializer_list<absl::string_view> repeatable,
    Positional positional) {
  absl::StatusOr<ToolArguments> arguments =
      ParseToolArguments(argc, argv, repeatable, positional);
  if (!arguments.ok()) {
    std::string line = absl::StrCat(tool, ": ", arguments.status().message(),
                                    " (see --help)\n");
    fwrite(line.data(), 1, line.size(), stderr);
    exit(kExitUsage);
  }
  return *std::move(arguments);
}

}  // namespace imagegraph
