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
  // What absl::ParseCommandLine gets: argv[0], the checked flags in their
  // canonical "--name=value" spelling, then "--" and the positionals.
  std::vector<std::string> for_absl = {argc > 0 ? argv[0] : "tool"};
  bool has_help = false;
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
    const std::string typed = absl::StrCat("--", arg.substr(0, arg.find('=')));
    std::string name(arg.substr(0, arg.find('=')));
    absl::StrReplaceAll({{"-", "_"}}, &name);
    const bool has_value = arg.find('=') != absl::string_view::npos;
    std::string value =
        has_value ? std::string(arg.substr(arg.find('=') + 1)) : "";

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
      has_help = true;
      for_absl.push_back(absl::StrCat("--", arg));
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
      if (positive != nullptr && positive->IsOfType<bool>()) {
        for_absl.push_back("--" + name);
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
    for_absl.push_back(absl::StrCat("--", name, "=", value));
  }
  if (positional == Positional::kNone && !result.positional.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", result.positional[0],
                     "\"; every input is a flag"));
  }
  // absl sets the same values again and handles --help and friends; with
  // every flag checked above, it has nothing left to reject.
  if (has_help || for_absl.size() > 1) {
    std::vector<char*> pointers;
    for (std::string& text : for_absl) pointers.push_back(text.data());
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
