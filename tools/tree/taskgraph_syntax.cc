#include "tools/tree/taskgraph_syntax.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kParentArg = "DOCKER_IMAGE_PARENT";

// The lines of `text`, each with its newline (the last one may lack it).
std::vector<absl::string_view> SplitLines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == absl::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

bool IsWordChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The NAME of a `# %ARG NAME` line (taskgraph matches the line's start
// exactly), or nullopt.
std::optional<std::string> PercentArgName(absl::string_view line) {
  if (!absl::ConsumePrefix(&line, "# %ARG")) return std::nullopt;
  if (line.empty() ||
      !absl::ascii_isspace(static_cast<unsigned char>(line[0]))) {
    return std::nullopt;
  }
  return std::string(absl::StripAsciiWhitespace(line));
}

// Replaces `$name` where the next character is not a word character, as
// taskgraph's re.sub(r"\$NAME\b", value, line) does.
std::string ReplaceArg(absl::string_view line, absl::string_view name,
                       absl::string_view value) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t dollar = line.find('$', pos);
    if (dollar == absl::string_view::npos) break;
    const size_t after = dollar + 1 + name.size();
    if (line.substr(dollar + 1, name.size()) == name &&
        (after == line.size() || !IsWordChar(line[after]))) {
      absl::StrAppend(&out, line.substr(pos, dollar - pos), value);
      pos = after;
    } else {
      absl::StrAppend(&out, line.substr(pos, dollar + 1 - pos));
      pos = dollar + 1;
    }
  }
  absl::StrAppend(&out, line.substr(pos));
  return out;
}

// As taskgraph: the line starts with the comment and holds nothing else.
bool IsRunTaskInclude(absl::string_view line) {
  return absl::StartsWith(line, "# %include-run-task") &&
         absl::StripAsciiWhitespace(line) == "# %include-run-task";
}

}  // namespace

absl::StatusOr<std::string> SubstitutePercentArgs(
    absl::string_view path, absl::string_view text,
    const absl::flat_hash_map<std::string, std::string>& args, bool has_parent,
    const std::function<std::string(absl::string_view name)>& fix) {
  std::vector<std::pair<std::string, std::string>> replacements;
  std::string out;
  out.reserve(text.size());
  int number = 0;
  for (absl::string_view line : SplitLines(text)) {
    ++number;
    if (std::optional<std::string> name = PercentArgName(line)) {
      if (has_parent && *name == kParentArg) {
        replacements.emplace_back(*name, absl::StrCat("$", kParentArg));
      } else if (auto it = args.find(*name); it != args.end()) {
        replacements.emplace_back(*name, it->second);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", number, ": # %ARG ", *name, " has no value: ",
            *name == kParentArg ? "the task has no parent: give it one, or "
                                : "",
            fix(*name)));
      }
      absl::StrAppend(&out, line);
      continue;
    }
    std::string replaced(line);
    for (const auto& [name, value] : replacements) {
      replaced = ReplaceArg(replaced, name, value);
    }
    absl::StrAppend(&out, replaced);
  }
  return out;
}

std::vector<int> RunTaskIncludeLines(absl::string_view text) {
  std::vector<int> lines;
  int number = 0;
  for (absl::string_view line : SplitLines(text)) {
    ++number;
    if (IsRunTaskInclude(line)) lines.push_back(number);
  }
  return lines;
}

WithRunTask InsertRunTaskLines(absl::string_view text) {
  // Where taskgraph's snippet puts each file.
  static constexpr std::pair<absl::string_view, absl::string_view> kCopies[] = {
      {"run-task", "/usr/local/bin/run-task"},
      {"fetch-content", "/usr/local/bin/fetch-content"},
      {"robustcheckout.py", "/usr/local/mercurial/robustcheckout.py"},
      {"hgrc", "/etc/mercurial/hgrc.d/mozilla.rc"},
  };
  WithRunTask result;
  int number = 0;
  for (absl::string_view line : SplitLines(text)) {
    ++number;
    absl::StrAppend(&result.text, line);
    result.source_lines.push_back(number);
    if (!IsRunTaskInclude(line)) continue;
    if (!absl::EndsWith(line, "\n")) result.text.push_back('\n');
    for (const auto& [file, destination] : kCopies) {
      absl::StrAppend(&result.text, "COPY ", kRunTaskContextDir, "/", file, " ",
                      destination, "\n");
      result.source_lines.push_back(number);
    }
  }
  return result;
}

}  // namespace imagegraph
