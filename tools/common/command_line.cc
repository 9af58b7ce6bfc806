#include "tools/common/command_line.h"

#include <algorithm>
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
#include "absl/strings/str_split.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

// The help flags, which every tool answers the same way.
bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort" ||
         name == "h";
}

// absl's own flags, which absl::ParseCommandLine acts on.
bool IsAbslBuiltinFlag(absl::string_view name) {
  static const auto* const kBuiltins = new absl::flat_hash_set<std::string>{
      "helppackage", "helpon",  "helpmatch",  "version", "only_check_args",
      "flagfile",    "fromenv", "tryfromenv", "undefok"};
  return kBuiltins->contains(name);
}

// `text` wrapped at 78 columns, each line indented by `indent` spaces.
std::string Wrap(absl::string_view text, int indent) {
  std::string out;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > 78) {
      absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty())
    absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
  return out;
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

    if (IsHelpFlag(name) && !has_value) {
      result.help = true;
      continue;
    }
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
  if (result.help) return result;
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

std::string ToolHelpText(const ToolHelp& help,
                         std::initializer_list<absl::string_view> repeatable) {
  const absl::flat_hash_set<absl::string_view> repeatable_set(repeatable);
  std::string text = absl::StrCat(help.name, ": ", help.usage);
  if (!absl::EndsWith(text, "\n")) absl::StrAppend(&text, "\n");
  // The tool's own flags are the ones its main.cc defines; libraries define
  // none, and absl's are not the tool's.
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "main.cc")) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  absl::StrAppend(&text,
                  "\nFlags (--name=VALUE or --name VALUE; '-' and '_' are "
                  "interchangeable in names):\n");
  for (const absl::CommandLineFlag* flag : flags) {
    std::string line = absl::StrCat("  --", flag->Name());
    if (repeatable_set.contains(flag->Name())) {
      absl::StrAppend(&line, " (repeatable)");
    } else if (const std::string value = flag->DefaultValue(); !value.empty()) {
      absl::StrAppend(&line, " (default: ", value, ")");
    }
    absl::StrAppend(&text, line, "\n", Wrap(flag->Help(), 6));
  }
  absl::StrAppend(&text, "\nExit codes:\n");
  auto exit_code = [&text](int code, absl::string_view meaning) {
    const std::string wrapped = Wrap(meaning, 5);
    absl::StrAppend(&text, "  ", code, "  ", wrapped.substr(5));
  };
  exit_code(kExitSuccess, "success");
  exit_code(kExitError,
            "error: bad input or a failed operation; the message on stderr "
            "says what and the fix");
  exit_code(kExitUsage,
            "usage error: an unknown flag, a missing or malformed value");
  if (!help.negative_answer.empty()) {
    exit_code(kExitNegative, help.negative_answer);
  }
  return text;
}

ToolArguments ParseToolArgumentsOrExit(
    const ToolHelp& help, int argc, char** argv,
    std::initializer_list<absl::string_view> repeatable,
    Positional positional) {
  absl::StatusOr<ToolArguments> arguments =
      ParseToolArguments(argc, argv, repeatable, positional);
  if (arguments.ok() && arguments->help) {
    const std::string text = ToolHelpText(help, repeatable);
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);
    exit(kExitSuccess);
  }
  if (!arguments.ok()) {
    std::string line = absl::StrCat(
        help.name, ": ", arguments.status().message(), " (see --help)\n");
    fwrite(line.data(), 1, line.size(), stderr);
    exit(kExitUsage);
  }
  return *std::move(arguments);
}

}  // namespace imagegraph
