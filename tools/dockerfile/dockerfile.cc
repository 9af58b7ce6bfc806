#include "tools/dockerfile/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/status_macros.h"
#include "tools/dockerfile/buildkit_syntax.h"
#include "tools/dockerfile/platform.h"
#include "tools/dockerfile/shell_word.h"

namespace imagegraph {
namespace {

constexpr size_t kNpos = std::string::npos;

// BuildKit reads lines with Go's bufio.Scanner, whose default buffer refuses
// longer ones.
constexpr size_t kMaxLineBytes = 65535;

const char* const kInstructions[] = {
    "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
    "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR",
};

bool IsInstruction(absl::string_view keyword) {
  for (const char* known : kInstructions) {
    if (keyword == known) return true;
  }
  return false;
}

absl::Status ErrorAt(absl::string_view path, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", message));
}

// A physical line: [begin, end) excludes the newline and trailing carriage
// returns; `length` is its size with them (but for the newline).
struct PhysicalLine {
  size_t begin;
  size_t end;
  size_t length;
};

std::vector<PhysicalLine> SplitLines(absl::string_view text) {
  std::vector<PhysicalLine> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t newline = text.find('\n', begin);
    size_t end = newline == kNpos ? text.size() : newline;
    size_t content_end = end;
    while (content_end > begin && text[content_end - 1] == '\r') --content_end;
    lines.push_back({begin, content_end, end - begin});
    if (newline == kNpos) break;
    begin = newline + 1;
  }
  return lines;
}

// Text built from pieces of the file, remembering where each byte came from
// so that a span of it can be mapped back for rewriting.
struct MappedText {
  std::string text;
  std::vector<size_t> origin;

  void Append(absl::string_view source, size_t begin, size_t end) {
    absl::StrAppend(&text, source.substr(begin, end - begin));
    for (size_t i = begin; i < end; ++i) origin.push_back(i);
  }
  // Offset in the file of [begin, begin + length), or npos when the range is
  // not contiguous there.
  size_t SourceOffset(size_t begin, size_t length) const {
    if (begin == kNpos || begin > origin.size()) return kNpos;
    if (length == 0) return begin < origin.size() ? origin[begin] : kNpos;
    if (begin + length > origin.size()) return kNpos;
    size_t first = origin[begin];
    size_t last = origin[begin + length - 1];
    return last - first == length - 1 ? first : kNpos;
  }
};

// A comment line: `#` after leading white space.
bool IsComment(absl::string_view line) {
  absl::string_view s = TrimLeadingSpace(line);
  return !s.empty() && s[0] == '#';
}

// `# %include P` / `# %ARG NAME`: returns the text after the marker, or
// nullopt when the comment is not one.
std::optional<std::string> PercentDirective(absl::string_view comment,
                                            absl::string_view marker) {
  // Like the context hashing, only a `#` in the first column starts one.
  absl::string_view s = comment;
  if (!absl::ConsumePrefix(&s, "#")) return std::nullopt;
  s = absl::StripLeadingAsciiWhitespace(s);
  if (!absl::ConsumePrefix(&s, marker)) return std::nullopt;
  if (!s.empty() && !IsShellBlank(s.front())) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(s));
}

absl::Status ValidateIncludePath(absl::string_view path, int line,
                                 absl::string_view include) {
  if (include.empty()) {
    return ErrorAt(path, line,
                   "# %include needs a path relative to the repository root, "
                   "e.g. # %include images/recipes/install.sh");
  }
  if (include.front() == '/') {
    return ErrorAt(path, line,
                   absl::StrCat("# %include ", include,
                                " is absolute: write the path relative to "
                                "the repository root"));
  }
  int depth = 0;
  for (absl::string_view part : absl::StrSplit(include, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (--depth < 0) {
        return ErrorAt(path, line,
                       absl::StrCat("# %include ", include,
                                    " leaves the repository: includes must "
                                    "name files inside it"));
      }
    } else {
      ++depth;
    }
  }
  if (depth == 0) {
    return ErrorAt(path, line,
                   absl::StrCat("# %include ", include,
                                " names the whole repository: include a file "
                                "or folder in it"));
  }
  return absl::OkStatus();
}

// An instruction's line as BuildKit's parser splits it (its AST node).
struct Node {
  std::string written_keyword;
  std::string command;  // lower case
  std::vector<BuilderFlag> flags;
  std::string args_text;      // after the flags, white space trimmed
  size_t args_begin = kNpos;  // offset of args_text in the logical line
  std::vector<std::string> args;
  // For whitespace-delimited arguments (FROM, COPY...): each one's offset in
  // the logical line.
  std::vector<size_t> arg_offsets;
  bool json = false;
  std::unique_ptr<Node> child;  // ONBUILD's instruction
};

// The arguments of BuildKit's line parser for `command`.
absl::Status ParseArguments(absl::string_view command, char escape,
                            Node* node) {
  absl::string_view rest = node->args_text;
  const size_t base = node->args_begin;
  auto whitespace_split = [&](absl::string_view text, size_t offset) {
    for (const WordSpan& word : SplitOnWhitespace(text)) {
      node->args.push_back(std::string(text.substr(word.begin, word.length)));
      node->arg_offsets.push_back(offset == kNpos ? kNpos
                                                  : offset + word.begin);
    }
  };
  auto maybe_json = [&](absl::string_view text, bool to_list,
                        size_t offset) -> absl::Status {
    std::vector<std::string> values;
    switch (ParseJsonStringArray(text, &values)) {
      case JsonArray::kStrings:
        node->args.insert(node->args.end(), values.begin(), values.end());
        node->json = true;
        return absl::OkStatus();
      case JsonArray::kNotStrings:
        return absl::InvalidArgumentError(
            "a JSON array here must hold only strings (exec form, e.g. "
            "[\"/bin/sh\", \"-c\", \"make\"]); write the command without "
            "brackets for the shell form");
      case JsonArray::kNotJson:
        break;
    }
    if (to_list) {
      whitespace_split(text, offset);
    } else if (!text.empty()) {
      node->args.push_back(std::string(text));
    }
    return absl::OkStatus();
  };
  if (command == "add" || command == "copy" || command == "volume") {
    return maybe_json(rest, true, base);
  }
  if (command == "cmd" || command == "entrypoint" || command == "run" ||
      command == "shell") {
    return maybe_json(rest, false, base);
  }
  if (command == "from" || command == "expose") {
    whitespace_split(rest, base);
    return absl::OkStatus();
  }
  if (command == "arg") {
    node->args = ParseWords(rest, escape);
    return absl::OkStatus();
  }
  if (command == "env" || command == "label") {
    std::vector<std::string> words = ParseWords(rest, escape);
    if (words.empty()) return absl::OkStatus();
    const std::string keyword = absl::AsciiStrToUpper(command);
    if (words[0].find('=') == std::string::npos) {
      // The legacy form KEY value: the rest of the line is the value.
      std::vector<WordSpan> parts = SplitOnWhitespace(rest, 2);
      if (parts.size() < 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(keyword, " ", rest, " has no value: write ", keyword,
                         " ", rest, "=<value>"));
      }
      node->args = {std::string(rest.substr(parts[0].begin, parts[0].length)),
                    std::string(rest.substr(parts[1].begin)), ""};
      return absl::OkStatus();
    }
    for (const std::string& word : words) {
      size_t equals = word.find('=');
      if (equals == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(keyword, " ", word, " has no value: write ", keyword,
                         " ", word, "=<value> (once a ", keyword,
                         " word has `=`, every word needs one)"));
      }
      node->args.push_back(word.substr(0, equals));
      node->args.push_back(word.substr(equals + 1));
      node->args.push_back("=");
    }
    return absl::OkStatus();
  }
  if (command == "maintainer" || command == "stopsignal" || command == "user" ||
      command == "workdir") {
    if (!rest.empty()) node->args.push_back(std::string(rest));
    return absl::OkStatus();
  }
  if (command == "healthcheck") {
    size_t type_end = 0;
    while (type_end < rest.size() && !IsGoSpaceByte(rest[type_end])) {
      ++type_end;
    }
    if (type_end == 0) return absl::OkStatus();
    size_t next = type_end;
    while (next < rest.size() && IsGoSpaceByte(rest[next])) ++next;
    node->args.push_back(std::string(rest.substr(0, type_end)));
    return maybe_json(rest.substr(next), false, kNpos);
  }
  return absl::OkStatus();  // ONBUILD is handled by the caller; others ignored
}

// BuildKit's newNodeFromLine: keyword, flags, arguments. `offset` is where
// `line` starts in the logical line (npos when unknown).
absl::Status ParseNode(absl::string_view line, size_t offset, char escape,
                       bool nested, Node* node) {
  absl::string_view trimmed = TrimSpace(line);
  size_t trimmed_offset =
      offset == kNpos ? kNpos : offset + (trimmed.data() - line.data());
  size_t keyword_end = 0;
  while (keyword_end < trimmed.size() &&
         !IsTokenWhitespace(trimmed[keyword_end])) {
    ++keyword_end;
  }
  node->written_keyword = std::string(trimmed.substr(0, keyword_end));
  node->command = absl::AsciiStrToLower(node->written_keyword);
  absl::string_view arguments;
  size_t arguments_offset = kNpos;
  if (keyword_end < trimmed.size()) {
    size_t rest_begin = keyword_end;
    while (rest_begin < trimmed.size() &&
           IsTokenWhitespace(trimmed[rest_begin])) {
      ++rest_begin;
    }
    absl::string_view rest = trimmed.substr(rest_begin);
    size_t rest_offset =
        trimmed_offset == kNpos ? kNpos : trimmed_offset + rest_begin;
    size_t args_start = ExtractBuilderFlags(rest, &node->flags);
    for (BuilderFlag& flag : node->flags) {
      if (rest_offset != kNpos) flag.begin += rest_offset;
    }
    if (args_start != kNpos) {
      arguments = rest.substr(args_start);
      arguments_offset =
          rest_offset == kNpos ? kNpos : rest_offset + args_start;
    }
  }
  absl::string_view args = TrimSpace(arguments);
  node->args_text = std::string(args);
  node->args_begin = arguments_offset == kNpos
                         ? kNpos
                         : arguments_offset + (args.data() - arguments.data());
  if (node->command == "onbuild") {
    if (args.empty()) return absl::OkStatus();
    node->child = std::make_unique<Node>();
    // ONBUILD ONBUILD is refused later; BuildKit would parse the chain
    // recursively first, which a long line could make deep.
    if (nested) {
      node->child->command = "onbuild";
      return absl::OkStatus();
    }
    IG_RETURN_IF_ERROR(
        ParseNode(args, node->args_begin, escape, true, node->child.get()));
    node->args.push_back(node->child->command);
    node->args.insert(node->args.end(), node->child->args.begin(),
                      node->child->args.end());
    return absl::OkStatus();
  }
  return ParseArguments(node->command, escape, node);
}

bool CanContainHeredoc(const Node& node) {
  const Node* target = &node;
  if (node.command == "onbuild" && node.child != nullptr) {
    target = node.child.get();
  }
  return (target->command == "run" || target->command == "copy" ||
          target->command == "add") &&
         !target->json;
}

// The flags an instruction accepts (BuildKit's BFlags): string flags take
// `=value`, booleans may be bare, repeatable ones may be given many times.
enum class FlagType { kString, kBool, kStrings };
struct FlagSpec {
  const char* name;
  FlagType type;
};

absl::Status ParseFlags(absl::string_view keyword,
                        const std::vector<BuilderFlag>& flags,
                        const std::vector<FlagSpec>& specs) {
  std::vector<std::string> used;
  for (const BuilderFlag& flag : flags) {
    if (flag.word == "--") return absl::OkStatus();
    absl::string_view word = flag.word;
    if (!absl::ConsumePrefix(&word, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag ", flag.word, " must start with --"));
    }
    size_t equals = word.find('=');
    const bool has_value = equals != absl::string_view::npos;
    const std::string name(word.substr(0, equals));
    const absl::string_view value =
        has_value ? word.substr(equals + 1) : absl::string_view();
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& candidate : specs) {
      if (name == candidate.name) spec = &candidate;
    }
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const FlagSpec& candidate : specs) {
        names.push_back(absl::StrCat("--", candidate.name));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, " for ", keyword,
          names.empty()
              ? " (it takes no flags)"
              : absl::StrCat(" (it takes ", absl::StrJoin(names, ", "), ")")));
    }
    if (spec->type != FlagType::kStrings &&
        std::find(used.begin(), used.end(), name) != used.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "flag --", name, " is given twice to ", keyword, ": keep one"));
    }
    used.push_back(name);
    if (spec->type == FlagType::kBool) {
      if (has_value && value.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, "= has no value: write --", name,
                         " or --", name, "=true|false"));
      }
      if (has_value && !absl::EqualsIgnoreCase(value, "true") &&
          !absl::EqualsIgnoreCase(value, "false")) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " takes true or false, not ", value));
      }
    } else if (!has_value) {
      return absl::InvalidArgumentError(absl::StrCat(
          "flag --", name, " needs a value: write --", name, "=<value>"));
    }
  }
  return absl::OkStatus();
}

// The last value of a string flag, "" when absent.
std::string FlagValue(const std::vector<BuilderFlag>& flags,
                      absl::string_view name) {
  std::string value;
  for (const BuilderFlag& flag : flags) {
    if (flag.word == "--") break;
    absl::string_view word = flag.word;
    if (absl::ConsumePrefix(&word, "--") && absl::ConsumePrefix(&word, name) &&
        absl::ConsumePrefix(&word, "=")) {
      value = std::string(word);
    }
  }
  return value;
}

// `<<` as a here-document is not a destination.
bool IsHeredocWord(absl::string_view word) {
  absl::StatusOr<std::optional<HeredocWord>> heredoc = ParseHeredocWord(word);
  return heredoc.ok() && heredoc->has_value();
}

// BuildKit's instructions.ParseInstruction checks of one node.
absl::Status CheckInstruction(const Node& node, const std::string& keyword) {
  const std::vector<std::string>& args = node.args;
  const std::vector<BuilderFlag>& flags = node.flags;
  auto at_least_one = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(keyword, " requires at least one argument"));
  };
  auto exactly_one = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(keyword, " requires exactly one argument"));
  };
  auto sources_and_destination = [&]() -> absl::Status {
    if (args.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          keyword, " requires a source and a destination, e.g. ", keyword,
          node.json ? " [\"src\", \"/dest/\"]" : " setup.sh /usr/local/bin/"));
    }
    return absl::OkStatus();
  };
  auto not_heredoc_destination = [&]() -> absl::Status {
    if (IsHeredocWord(args.back())) {
      return absl::InvalidArgumentError(
          absl::StrCat(keyword,
                       " cannot take a here-document as its destination: put "
                       "the destination path last"));
    }
    return absl::OkStatus();
  };
  if (keyword == "ENV" || keyword == "LABEL") {
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags, {}));
    if (args.empty()) return at_least_one();
    for (size_t i = 0; i + 2 < args.size() + 1; i += 3) {
      if (args[i].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(keyword, " needs a name before `=`: write ", keyword,
                         " NAME=value"));
      }
    }
    return absl::OkStatus();
  }
  if (keyword == "MAINTAINER") {
    if (args.size() != 1) return exactly_one();
    return ParseFlags(keyword, flags, {});
  }
  if (keyword == "ADD") {
    IG_RETURN_IF_ERROR(sources_and_destination());
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags,
                                  {{"chown", FlagType::kString},
                                   {"chmod", FlagType::kString},
                                   {"link", FlagType::kBool},
                                   {"keep-git-dir", FlagType::kBool},
                                   {"checksum", FlagType::kString},
                                   {"unpack", FlagType::kBool},
                                   {"exclude", FlagType::kStrings}}));
    return not_heredoc_destination();
  }
  if (keyword == "COPY") {
    IG_RETURN_IF_ERROR(sources_and_destination());
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags,
                                  {{"chown", FlagType::kString},
                                   {"from", FlagType::kString},
                                   {"chmod", FlagType::kString},
                                   {"link", FlagType::kBool},
                                   {"parents", FlagType::kBool},
                                   {"exclude", FlagType::kStrings}}));
    return not_heredoc_destination();
  }
  if (keyword == "FROM") {
    const bool has_as =
        args.size() == 3 && absl::EqualsIgnoreCase(args[1], "as");
    if (args.size() != 1 && !has_as) {
      return absl::InvalidArgumentError(absl::StrCat(
          "FROM takes an image and optionally AS <stage name>, got \"",
          node.args_text, "\""));
    }
    if (has_as && !IsValidStageName(absl::AsciiStrToLower(args[2]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid stage name \"", args[2],
                       "\": a stage name starts with a letter and holds "
                       "letters, digits, -, _ and ."));
    }
    return ParseFlags(keyword, flags, {{"platform", FlagType::kString}});
  }
  if (keyword == "ONBUILD") {
    if (args.empty()) return at_least_one();
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags, {}));
    const std::string trigger = absl::AsciiStrToUpper(args[0]);
    if (trigger == "ONBUILD") {
      return absl::InvalidArgumentError(
          "ONBUILD ONBUILD is not allowed: register the instruction itself");
    }
    if (trigger == "FROM" || trigger == "MAINTAINER") {
      return absl::InvalidArgumentError(
          absl::StrCat("ONBUILD ", trigger, " is not allowed"));
    }
    return absl::OkStatus();
  }
  if (keyword == "WORKDIR" || keyword == "USER") {
    if (args.size() != 1) return exactly_one();
    return ParseFlags(keyword, flags, {});
  }
  if (keyword == "STOPSIGNAL") {
    if (args.size() != 1) return exactly_one();
    return absl::OkStatus();  // BuildKit ignores its flags
  }
  if (keyword == "RUN") {
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags,
                                  {{"mount", FlagType::kStrings},
                                   {"network", FlagType::kString},
                                   {"security", FlagType::kString},
                                   {"device", FlagType::kStrings}}));
    return CheckRunFlags(flags);
  }
  if (keyword == "CMD" || keyword == "ENTRYPOINT") {
    return ParseFlags(keyword, flags, {});
  }
  if (keyword == "HEALTHCHECK") {
    if (args.empty()) return at_least_one();
    const std::string type = absl::AsciiStrToUpper(args[0]);
    if (type == "NONE") {
      if (args.size() != 1) {
        return absl::InvalidArgumentError(
            "HEALTHCHECK NONE takes no arguments");
      }
      return absl::OkStatus();
    }
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags,
                                  {{"interval", FlagType::kString},
                                   {"timeout", FlagType::kString},
                                   {"start-period", FlagType::kString},
                                   {"start-interval", FlagType::kString},
                                   {"retries", FlagType::kString}}));
    if (type != "CMD") {
      return absl::InvalidArgumentError(absl::StrCat(
          "HEALTHCHECK ", args[0],
          " is not a health check: write HEALTHCHECK CMD <command> or "
          "HEALTHCHECK NONE"));
    }
    if (args.size() < 2) {
      return absl::InvalidArgumentError(
          "HEALTHCHECK CMD needs a command, e.g. HEALTHCHECK CMD curl -f "
          "http://localhost/");
    }
    for (const char* name :
         {"interval", "timeout", "start-period", "start-interval"}) {
      const std::string value = FlagValue(flags, name);
      if (value.empty()) continue;
      std::optional<int64_t> nanoseconds = ParseGoDuration(value);
      if (!nanoseconds.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("HEALTHCHECK --", name, "=", value,
                         " is not a duration: write e.g. 30s, 1m30s"));
      }
      if (*nanoseconds != 0 && *nanoseconds < 1000000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "HEALTHCHECK --", name, "=", value, " is less than 1ms"));
      }
    }
    const std::string retries = FlagValue(flags, "retries");
    int32_t count = 0;
    if (!retries.empty() && (!ParseGoInt32(retries, &count) || count < 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HEALTHCHECK --retries=", retries, " is not a count of 0 or more"));
    }
    return absl::OkStatus();
  }
  if (keyword == "EXPOSE") {
    if (args.empty()) return at_least_one();
    return ParseFlags(keyword, flags, {});
  }
  if (keyword == "VOLUME") {
    if (args.empty()) return at_least_one();
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags, {}));
    for (const std::string& volume : args) {
      if (TrimSpace(volume).empty()) {
        return absl::InvalidArgumentError(
            "VOLUME names an empty path: remove it or name a path");
      }
    }
    return absl::OkStatus();
  }
  if (keyword == "ARG") {
    if (args.empty()) return at_least_one();
    for (const std::string& arg : args) {
      if (absl::StartsWith(arg, "=")) {
        return absl::InvalidArgumentError(
            absl::StrCat("ARG \"", arg, "\" is not NAME or NAME=default"));
      }
    }
    return absl::OkStatus();
  }
  if (keyword == "SHELL") {
    IG_RETURN_IF_ERROR(ParseFlags(keyword, flags, {}));
    if (args.empty()) return at_least_one();
    if (!node.json) {
      return absl::InvalidArgumentError(
          "SHELL requires the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]");
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

class Parser {
 public:
  Parser(absl::string_view path, absl::string_view text) {
    dockerfile_.path = std::string(path);
    dockerfile_.text = std::string(text);
    text_ = dockerfile_.text;
    lines_ = SplitLines(text_);
    // A UTF-8 byte order mark is not part of the first line.
    if (!lines_.empty() && absl::StartsWith(text_, "\xEF\xBB\xBF")) {
      lines_[0].begin = std::min<size_t>(3, lines_[0].end);
    }
  }

  absl::StatusOr<Dockerfile> Parse() {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (lines_[i].length > kMaxLineBytes) {
        return Error(static_cast<int>(i) + 1,
                     absl::StrCat("the line is ", lines_[i].length,
                                  " bytes long; Docker refuses lines over ",
                                  kMaxLineBytes,
                                  " bytes: split it with continuation lines "
                                  "or move the content into a file"));
      }
    }
    size_t next = 0;
    while (next < lines_.size()) IG_RETURN_IF_ERROR(ParseLogicalLine(&next));
    if (dockerfile_.instructions.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_.path,
          ": no instructions: a Dockerfile starts its first build stage "
          "with FROM <image>"));
    }
    if (dockerfile_.stages.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_.path,
          ": no FROM instruction: a Dockerfile starts its first build stage "
          "with FROM <image>"));
    }
    return std::move(dockerfile_);
  }

 private:
  absl::string_view LineText(size_t index) const {
    const PhysicalLine& line = lines_[index];
    return text_.substr(line.begin, line.end - line.begin);
  }

  absl::Status Error(int line, absl::string_view message) const {
    return ErrorAt(dockerfile_.path, line, message);
  }

  // BuildKit looks for parser directives on each line until one is not a
  // directive (a blank line, a plain comment, an instruction, an unknown
  // key).
  absl::Status CheckDirective(absl::string_view line, int number) {
    if (directives_done_) return absl::OkStatus();
    std::string name, value;
    if (!MatchDirective(line, &name, &value)) {
      directives_done_ = true;
      return absl::OkStatus();
    }
    name = absl::AsciiStrToLower(name);
    if (name != "syntax" && name != "escape" && name != "check") {
      directives_done_ = true;
      return absl::OkStatus();
    }
    if (dockerfile_.directives.contains(name)) {
      return Error(number, absl::StrCat("the ", name,
                                        " parser directive appears twice: "
                                        "keep only one"));
    }
    if (name == "escape") {
      if (value != "\\" && value != "`") {
        return Error(number, absl::StrCat("invalid escape directive \"", value,
                                          "\": use # escape=\\ or # escape=`"));
      }
      dockerfile_.escape = value[0];
    }
    dockerfile_.directives[name] = value;
    return absl::OkStatus();
  }

  // Records the line as an include when it is `# %include P`; returns
  // whether it was one.
  absl::StatusOr<bool> ReadInclude(size_t index) {
    std::optional<std::string> include =
        PercentDirective(LineText(index), "%include");
    if (!include.has_value()) return false;
    const int line = static_cast<int>(index) + 1;
    IG_RETURN_IF_ERROR(ValidateIncludePath(dockerfile_.path, line, *include));
    dockerfile_.includes.push_back({line, *std::move(include)});
    return true;
  }

  absl::Status ParseComment(size_t index) {
    int line = static_cast<int>(index) + 1;
    absl::string_view text = LineText(index);
    IG_ASSIGN_OR_RETURN(const bool is_include, ReadInclude(index));
    if (is_include) {
      return absl::OkStatus();
    } else if (std::optional<std::string> arg =
                   PercentDirective(text, "%ARG")) {
      std::vector<std::string> names =
          absl::StrSplit(*arg, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (names.size() != 1 ||
          !std::all_of(names[0].begin(), names[0].end(), IsShellNameChar)) {
        return Error(
            line, absl::StrCat("# %ARG takes one argument name, got \"", *arg,
                               "\": write # %ARG NAME"));
      }
      dockerfile_.percent_args.push_back({line, names[0]});
    }
    return absl::OkStatus();
  }

  // BuildKit's continuation rule: the escape character ends the line
  // (blanks may follow) and is not itself escaped. Returns the content
  // before it, or nullopt.
  std::optional<size_t> ContinuationAt(absl::string_view content) const {
    size_t end = content.size();
    while (end > 0 && IsShellBlank(content[end - 1])) --end;
    if (end == 0 || content[end - 1] != dockerfile_.escape) return std::nullopt;
    if (end >= 2 && content[end - 2] == dockerfile_.escape) return std::nullopt;
    return end - 1;
  }

  absl::Status ParseLogicalLine(size_t* next) {
    const size_t first = *next;
    absl::string_view raw = LineText(first);
    if (IsComment(raw)) IG_RETURN_IF_ERROR(ParseComment(first));
    absl::string_view token = TrimLeadingSpace(raw);
    IG_RETURN_IF_ERROR(CheckDirective(token, static_cast<int>(first) + 1));
    const size_t token_begin =
        lines_[first].begin + (token.data() - raw.data());
    ++*next;
    const int start_line = static_cast<int>(*next);
    MappedText logical;
    bool continues = false;
    if (!IsComment(token)) {
      std::optional<size_t> cut = ContinuationAt(token);
      continues = cut.has_value();
      logical.Append(text_, token_begin,
                     token_begin + (continues ? *cut : token.size()));
    }
    if (!continues && logical.text.empty()) return absl::OkStatus();
    while (continues && *next < lines_.size()) {
      const size_t index = (*next)++;
      absl::string_view line = LineText(index);
      IG_RETURN_IF_ERROR(CheckDirective(line, static_cast<int>(index) + 1));
      if (IsComment(line)) {
        IG_RETURN_IF_ERROR(ParseComment(index));
        continue;
      }
      if (TrimLeadingSpace(line).empty()) continue;
      std::optional<size_t> cut = ContinuationAt(line);
      continues = cut.has_value();
      logical.Append(text_, lines_[index].begin,
                     lines_[index].begin + (continues ? *cut : line.size()));
    }

    Node node;
    absl::Status parsed =
        ParseNode(logical.text, 0, dockerfile_.escape, false, &node);
    if (!parsed.ok()) return Error(start_line, parsed.message());

    Instruction instruction;
    instruction.line = start_line;
    instruction.keyword = absl::AsciiStrToUpper(node.written_keyword);
    if (CanContainHeredoc(node) &&
        logical.text.find("<<") != std::string::npos) {
      IG_RETURN_IF_ERROR(
          ReadHeredocs(logical.text, start_line, next, &instruction.heredocs));
    }
    instruction.end_line = static_cast<int>(*next);
    IG_RETURN_IF_ERROR(AddInstruction(node, logical, std::move(instruction)));
    return absl::OkStatus();
  }

  absl::Status ReadHeredocs(absl::string_view line, int start_line,
                            size_t* next, std::vector<Heredoc>* heredocs) {
    for (const std::string& word : HeredocCandidateWords(line)) {
      absl::StatusOr<std::optional<HeredocWord>> parsed =
          ParseHeredocWord(word);
      if (!parsed.ok()) return Error(start_line, parsed.status().message());
      if (!parsed->has_value()) continue;
      const HeredocWord& word_info = **parsed;
      Heredoc heredoc;
      heredoc.delimiter = word_info.name;
      heredoc.strip_tabs = word_info.strip_tabs;
      bool terminated = false;
      while (*next < lines_.size()) {
        // taskgraph reads `# %include` lines anywhere in the file, a
        // here-document's body included.
        IG_RETURN_IF_ERROR(ReadInclude(*next).status());
        absl::string_view body_line = LineText((*next)++);
        absl::string_view compared = body_line;
        if (heredoc.strip_tabs) {
          while (!compared.empty() && compared.front() == '\t') {
            compared.remove_prefix(1);
          }
        }
        if (compared == heredoc.delimiter) {
          terminated = true;
          break;
        }
        absl::StrAppend(&heredoc.body, compared, "\n");
      }
      if (!terminated) {
        return Error(start_line,
                     absl::StrCat("here-document <<", heredoc.delimiter,
                                  " is not terminated: end it with a line "
                                  "holding only ",
                                  heredoc.delimiter));
      }
      heredocs->push_back(std::move(heredoc));
    }
    return absl::OkStatus();
  }

  absl::Status AddInstruction(const Node& node, const MappedText& logical,
                              Instruction instruction) {
    const int line = instruction.line;
    if (!IsInstruction(instruction.keyword)) {
      return Error(line,
                   absl::StrCat("unknown instruction \"", node.written_keyword,
                                "\": Dockerfile instructions are ",
                                absl::StrJoin(kInstructions, ", "),
                                " (a previous line may lack its trailing ",
                                std::string(1, dockerfile_.escape), ")"));
    }
    absl::Status checked = CheckInstruction(node, instruction.keyword);
    if (!checked.ok()) return Error(line, checked.message());

    absl::string_view all = TrimSpace(logical.text);
    size_t keyword_end = node.written_keyword.size();
    instruction.arguments = std::string(TrimSpace(all.substr(keyword_end)));
    instruction.rest = node.args_text;
    for (const BuilderFlag& raw : node.flags) {
      if (raw.word == "--") break;
      InstructionFlag flag;
      absl::string_view word = raw.word;
      absl::ConsumePrefix(&word, "--");
      size_t equals = word.find('=');
      flag.name = std::string(word.substr(0, equals));
      if (equals != absl::string_view::npos) {
        flag.has_value = true;
        flag.value = std::string(word.substr(equals + 1));
        if (raw.exact) {
          flag.value_offset = logical.SourceOffset(
              raw.begin + 2 + flag.name.size() + 1, flag.value.size());
        }
      }
      instruction.flags.push_back(std::move(flag));
    }
    if (node.json) {
      instruction.json_form = true;
      instruction.json_args = node.args;
    }
    if (node.child != nullptr) {
      instruction.trigger = absl::AsciiStrToUpper(node.child->command);
    }

    if (instruction.keyword == "FROM") {
      Stage stage;
      stage.index = static_cast<int>(dockerfile_.stages.size());
      stage.line = line;
      stage.base = node.args[0];
      stage.base_offset =
          logical.SourceOffset(node.arg_offsets[0], stage.base.size());
      stage.instruction = dockerfile_.instructions.size();
      if (const InstructionFlag* platform = instruction.FindFlag("platform")) {
        stage.platform = platform->value;
      }
      if (node.args.size() == 3)
        stage.name = absl::AsciiStrToLower(node.args[2]);
      dockerfile_.stages.push_back(std::move(stage));
    } else if (dockerfile_.stages.empty()) {
      if (instruction.keyword != "ARG") {
        return Error(line, absl::StrCat(instruction.keyword,
                                        " comes before the first FROM: only "
                                        "ARG may precede FROM"));
      }
      for (const std::string& word : node.args) {
        ArgDeclaration arg;
        arg.line = line;
        size_t equals = word.find('=');
        arg.name = word.substr(0, equals);
        if (equals != kNpos) arg.default_value = word.substr(equals + 1);
        dockerfile_.global_args.push_back(std::move(arg));
      }
    }
    dockerfile_.instructions.push_back(std::move(instruction));
    return absl::OkStatus();
  }

  Dockerfile dockerfile_;
  absl::string_view text_;
  std::vector<PhysicalLine> lines_;
  bool directives_done_ = false;
};

// The stages by lower-case name: every index, in order.
using StagesByName = absl::flat_hash_map<std::string, std::vector<int>>;

// The latest stage named `name` before stage `before`, or -1.
int EarlierStage(const StagesByName& stages, const std::string& name,
                 int before) {
  auto it = stages.find(name);
  if (it == stages.end()) return -1;
  auto bound = std::lower_bound(it->second.begin(), it->second.end(), before);
  if (bound == it->second.begin()) return -1;
  return *(bound - 1);
}

class ReferenceExpander {
 public:
  ReferenceExpander(
      const Dockerfile& dockerfile,
      const absl::flat_hash_map<std::string, std::string>& build_args)
      : dockerfile_(dockerfile), build_args_(build_args) {
    for (const Stage& stage : dockerfile.stages) {
      if (!stage.name.empty()) stages_[stage.name].push_back(stage.index);
    }
  }

  absl::StatusOr<std::vector<ReferenceUse>> Expand() {
    IG_ASSIGN_OR_RETURN(ShellVariables globals,
                        GlobalArgValues(dockerfile_, build_args_));
    std::vector<ReferenceUse> references;
    int stage = -1;
    for (const Instruction& instruction : dockerfile_.instructions) {
      if (instruction.keyword == "FROM") {
        ++stage;
        IG_ASSIGN_OR_RETURN(ReferenceUse use,
                            ExpandFrom(dockerfile_.stages[stage], globals));
        references.push_back(std::move(use));
      } else if (stage < 0) {
        continue;
      } else if (instruction.keyword == "COPY") {
        const InstructionFlag* from = instruction.FindFlag("from");
        if (from == nullptr || from->value.empty()) continue;
        IG_ASSIGN_OR_RETURN(
            ReferenceUse use,
            Named(instruction.line, ReferenceUse::Source::kCopyFrom,
                  from->value, from->value_offset, stage));
        references.push_back(std::move(use));
      } else if (instruction.keyword == "RUN") {
        for (const InstructionFlag* mount : instruction.FindFlags("mount")) {
          for (const MountField& field : MountFields(mount->value)) {
            if (field.key != "from" || field.value.empty()) continue;
            size_t offset = kNpos;
            if (mount->value_offset != kNpos && field.offset != kNpos) {
              offset = mount->value_offset + field.offset;
            }
            IG_ASSIGN_OR_RETURN(
                ReferenceUse use,
                Named(instruction.line, ReferenceUse::Source::kRunMountFrom,
                      field.value, offset, stage));
            references.push_back(std::move(use));
          }
        }
      }
    }
    return references;
  }

 private:
  absl::StatusOr<ReferenceUse> ExpandFrom(const Stage& stage,
                                          const ShellVariables& globals) {
    ReferenceUse use;
    use.source = ReferenceUse::Source::kFrom;
    use.line = stage.line;
    use.stage = stage.index;
    use.raw = stage.base;
    use.offset = stage.base_offset;
    use.length = stage.base.size();
    absl::StatusOr<std::string> expanded =
        ExpandWord(stage.base, globals, dockerfile_.escape);
    if (!expanded.ok()) {
      return ErrorAt(
          dockerfile_.path, stage.line,
          absl::StrCat("FROM ", stage.base, ": ", expanded.status().message()));
    }
    use.expanded = *std::move(expanded);
    // An empty base is BuildKit's refusal too, but the tree gives
    // $DOCKER_IMAGE_PARENT its value itself: callers decide.
    if (use.expanded.empty()) return use;
    if (use.expanded == "scratch") {
      use.target = ReferenceUse::Target::kScratch;
      return use;
    }
    int earlier =
        EarlierStage(stages_, absl::AsciiStrToLower(use.expanded), stage.index);
    if (earlier >= 0) {
      use.target = ReferenceUse::Target::kStage;
      use.stage_index = earlier;
    }
    return use;
  }

  // COPY --from and RUN --mount from: a stage (name or index) defined
  // before, or an image; never expanded.
  absl::StatusOr<ReferenceUse> Named(int line, ReferenceUse::Source source,
                                     const std::string& value, size_t offset,
                                     int stage) {
    ReferenceUse use;
    use.source = source;
    use.from_copy = true;
    use.line = line;
    use.stage = stage;
    use.raw = value;
    use.expanded = value;
    use.offset = offset;
    use.length = value.size();
    if (HasVariable(value)) {
      return ErrorAt(
          dockerfile_.path, line,
          absl::StrCat(
              use.Describe(), ": BuildKit does not expand variables in ",
              source == ReferenceUse::Source::kCopyFrom ? "--from"
                                                        : "a mount's from",
              ": define a stage FROM <image> AS <name> (its ARGs "
              "declared before the first FROM) and use its name"));
    }
    int index;
    if (absl::SimpleAtoi(value, &index)) {
      if (index < 0 || index >= stage) {
        return ErrorAt(
            dockerfile_.path, line,
            absl::StrCat(use.Describe(), " names stage index ", value,
                         ", which is not defined before this "
                         "stage: use the index of an earlier "
                         "stage (the first is 0)"));
      }
      use.target = ReferenceUse::Target::kStage;
      use.stage_index = index;
      return use;
    }
    const std::string lower = absl::AsciiStrToLower(value);
    int earlier = EarlierStage(stages_, lower, stage);
    if (earlier >= 0) {
      use.target = ReferenceUse::Target::kStage;
      use.stage_index = earlier;
      return use;
    }
    auto named = stages_.find(lower);
    if (named != stages_.end()) {
      const Stage& later = dockerfile_.stages[named->second.front()];
      return ErrorAt(dockerfile_.path, line,
                     absl::StrCat(use.Describe(), " names stage \"", lower,
                                  "\" which is not defined before this "
                                  "stage: move it above (line ",
                                  later.line, ")"));
    }
    return use;
  }

  const Dockerfile& dockerfile_;
  const absl::flat_hash_map<std::string, std::string>& build_args_;
  StagesByName stages_;
};

}  // namespace

const InstructionFlag* Instruction::FindFlag(absl::string_view name) const {
  for (const InstructionFlag& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::vector<const InstructionFlag*> Instruction::FindFlags(
    absl::string_view name) const {
  std::vector<const InstructionFlag*> found;
  for (const InstructionFlag& flag : flags) {
    if (flag.name == name) found.push_back(&flag);
  }
  return found;
}

std::vector<std::string> Dockerfile::PercentArgNames() const {
  std::vector<std::string> names;
  names.reserve(percent_args.size());
  for (const PercentArg& arg : percent_args) names.push_back(arg.name);
  return names;
}

absl::string_view ReferenceUse::Instruction() const {
  switch (source) {
    case Source::kFrom:
      return "FROM";
    case Source::kCopyFrom:
      return "COPY";
    case Source::kRunMountFrom:
      return "RUN";
  }
  return "FROM";
}

std::string ReferenceUse::Describe() const {
  std::string text;
  switch (source) {
    case Source::kFrom:
      text = absl::StrCat("FROM ", expanded.empty() ? raw : expanded);
      break;
    case Source::kCopyFrom:
      text = absl::StrCat("COPY --from=", raw);
      break;
    case Source::kRunMountFrom:
      text = absl::StrCat("RUN --mount=from=", raw);
      break;
  }
  if (!expanded.empty() && raw != expanded) {
    absl::StrAppend(&text, " (written ", raw, ")");
  }
  return text;
}

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text) {
  return Parser(path, text).Parse();
}

const absl::flat_hash_map<std::string, std::string>& BuiltinPlatformArgs() {
  static const auto* const kArgs = [] {
    auto* args = new absl::flat_hash_map<std::string, std::string>;
    const Platform platform = HostPlatform();
    for (const char* prefix : {"BUILD", "TARGET"}) {
      (*args)[absl::StrCat(prefix, "PLATFORM")] = platform.ToString();
      (*args)[absl::StrCat(prefix, "OS")] = platform.os;
      (*args)[absl::StrCat(prefix, "ARCH")] = platform.architecture;
      (*args)[absl::StrCat(prefix, "VARIANT")] = platform.variant;
    }
    return args;
  }();
  return *kArgs;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> GlobalArgValues(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args) {
  ShellVariables values = BuiltinPlatformArgs();
  for (auto& [name, value] : values) {
    if (auto given = build_args.find(name); given != build_args.end()) {
      value = given->second;
    }
  }
  for (const ArgDeclaration& arg : dockerfile.global_args) {
    if (auto given = build_args.find(arg.name); given != build_args.end()) {
      values[arg.name] = given->second;
    } else if (arg.default_value.has_value()) {
      absl::StatusOr<std::string> value =
          ExpandWord(*arg.default_value, values, dockerfile.escape);
      if (!value.ok()) {
        return ErrorAt(dockerfile.path, arg.line,
                       absl::StrCat("ARG ", arg.name, "=", *arg.default_value,
                                    ": ", value.status().message()));
      }
      values[arg.name] = *std::move(value);
    } else {
      // Declared without a value: set, and empty (BuildKit's meta ARGs).
      values[arg.name] = "";
    }
  }
  return values;
}

absl::StatusOr<std::vector<ReferenceUse>> ExpandReferences(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args) {
  return ReferenceExpander(dockerfile, build_args).Expand();
}

}  // namespace imagegraph
