#include "tools/dockerfile/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/status_macros.h"
#include "tools/dockerfile/shell_word.h"

namespace imagegraph {
namespace {

constexpr size_t kNpos = std::string::npos;

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

// Flags each instruction accepts; instructions not listed take no flags.
const std::vector<std::string>* AllowedFlags(absl::string_view keyword) {
  static const auto* const kFrom = new std::vector<std::string>{"platform"};
  static const auto* const kCopy = new std::vector<std::string>{
      "from", "chown", "chmod", "link", "parents", "exclude"};
  static const auto* const kAdd = new std::vector<std::string>{
      "chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"};
  static const auto* const kRun =
      new std::vector<std::string>{"mount", "network", "security", "device"};
  static const auto* const kHealthcheck = new std::vector<std::string>{
      "interval", "timeout", "start-period", "start-interval", "retries"};
  if (keyword == "FROM") return kFrom;
  if (keyword == "COPY") return kCopy;
  if (keyword == "ADD") return kAdd;
  if (keyword == "RUN") return kRun;
  if (keyword == "HEALTHCHECK") return kHealthcheck;
  return nullptr;
}

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && (IsShellBlank(s.front()) || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsShellBlank(s.back()) || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Location(absl::string_view path, int line) {
  return absl::StrCat(path, ":", line);
}

absl::Status ErrorAt(absl::string_view path, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(Location(path, line), ": ", message));
}

// A physical line of the file: [begin, end) excludes the newline and a
// trailing carriage return.
struct PhysicalLine {
  size_t begin;
  size_t end;
};

std::vector<PhysicalLine> SplitLines(absl::string_view text) {
  std::vector<PhysicalLine> lines;
  size_t begin = 0;
  // A UTF-8 byte order mark is not part of the first line.
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) begin = 3;
  while (begin < text.size()) {
    size_t newline = text.find('\n', begin);
    size_t end = newline == kNpos ? text.size() : newline;
    size_t content_end = end;
    if (content_end > begin && text[content_end - 1] == '\r') --content_end;
    lines.push_back({begin, content_end});
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
    for (size_t i = begin; i < end; ++i) {
      text.push_back(source[i]);
      origin.push_back(i);
    }
  }
  // Offset in the file of [begin, begin + length), or npos when the range is
  // not contiguous there.
  size_t SourceOffset(size_t begin, size_t length) const {
    if (length == 0) return begin < origin.size() ? origin[begin] : kNpos;
    size_t first = origin[begin];
    size_t last = origin[begin + length - 1];
    return last - first == length - 1 ? first : kNpos;
  }
};

// `# name=value` at the top of the file.
bool ParseDirective(absl::string_view line, std::string* name,
                    std::string* value) {
  absl::string_view s = TrimBlanks(line);
  if (!absl::ConsumePrefix(&s, "#")) return false;
  s = TrimBlanks(s);
  size_t i = 0;
  if (i >= s.size() || !std::isalpha(static_cast<unsigned char>(s[i]))) {
    return false;
  }
  while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
  absl::string_view key = s.substr(0, i);
  absl::string_view after = TrimBlanks(s.substr(i));
  if (!absl::ConsumePrefix(&after, "=")) return false;
  after = TrimBlanks(after);
  if (after.empty()) return false;
  *name = absl::AsciiStrToLower(key);
  *value = std::string(after);
  return true;
}

bool IsCommentLine(absl::string_view line) {
  absl::string_view s = TrimBlanks(line);
  return absl::StartsWith(s, "#");
}

// `# %include P` / `# %ARG NAME`: returns the text after the marker, or
// nullopt when the comment is not one.
std::optional<std::string> PercentDirective(absl::string_view comment,
                                            absl::string_view marker) {
  // Like the context hashing, only a `#` in the first column starts one.
  absl::string_view s = comment;
  if (!absl::ConsumePrefix(&s, "#")) return std::nullopt;
  s = TrimBlanks(s);
  if (!absl::ConsumePrefix(&s, marker)) return std::nullopt;
  if (!s.empty() && !IsShellBlank(s.front())) return std::nullopt;
  return std::string(TrimBlanks(s));
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
  return absl::OkStatus();
}

// Parses `["a", "b"]`; nullopt when `s` is not a JSON array of strings.
std::optional<std::vector<std::string>> ParseJsonStringArray(
    absl::string_view s) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto append_utf8 = [](std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  };
  skip_space();
  if (i >= s.size() || s[i] != '[') return std::nullopt;
  ++i;
  std::vector<std::string> values;
  skip_space();
  if (i < s.size() && s[i] == ']') {
    ++i;
    skip_space();
    if (i != s.size()) return std::nullopt;
    return values;
  }
  while (true) {
    skip_space();
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    ++i;
    std::string value;
    while (true) {
      if (i >= s.size()) return std::nullopt;
      char c = s[i++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (i >= s.size()) return std::nullopt;
      char e = s[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          value.push_back(e);
          break;
        case 'b':
          value.push_back('\b');
          break;
        case 'f':
          value.push_back('\f');
          break;
        case 'n':
          value.push_back('\n');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'u': {
          if (i + 4 > s.size()) return std::nullopt;
          uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            char h = s[i++];
            cp <<= 4;
            if (h >= '0' && h <= '9') {
              cp |= h - '0';
            } else if (h >= 'a' && h <= 'f') {
              cp |= h - 'a' + 10;
            } else if (h >= 'A' && h <= 'F') {
              cp |= h - 'A' + 10;
            } else {
              return std::nullopt;
            }
          }
          append_utf8(&value, cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    values.push_back(std::move(value));
    skip_space();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == ']') {
      ++i;
      skip_space();
      if (i != s.size()) return std::nullopt;
      return values;
    }
    return std::nullopt;
  }
}

// `<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`: returns the delimiter and whether
// leading tabs are stripped.
bool ParseHeredocWord(absl::string_view word, std::string* delimiter,
                      bool* strip_tabs) {
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) {
    ++i;
  }
  if (word.substr(i, 2) != "<<") return false;
  i += 2;
  *strip_tabs = false;
  if (i < word.size() && word[i] == '-') {
    *strip_tabs = true;
    ++i;
  }
  absl::string_view rest = word.substr(i);
  if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') &&
      rest.back() == rest.front()) {
    rest = rest.substr(1, rest.size() - 2);
  }
  if (rest.empty()) return false;
  if (!std::isalpha(static_cast<unsigned char>(rest.front())) &&
      rest.front() != '_') {
    return false;
  }
  for (char c : rest) {
    if (!IsShellNameChar(c) && c != '.' && c != '-') return false;
  }
  *delimiter = std::string(rest);
  return true;
}

bool IsValidStageName(absl::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

class Parser {
 public:
  Parser(absl::string_view path, absl::string_view text) {
    dockerfile_.path = std::string(path);
    dockerfile_.text = std::string(text);
    text_ = dockerfile_.text;
    lines_ = SplitLines(text_);
  }

  absl::StatusOr<Dockerfile> Parse() {
    size_t next = 0;
    IG_RETURN_IF_ERROR(ParseDirectives(&next));
    while (next < lines_.size()) {
      absl::string_view line = LineText(next);
      if (TrimBlanks(line).empty()) {
        ++next;
        continue;
      }
      if (IsCommentLine(line)) {
        IG_RETURN_IF_ERROR(ParseComment(next));
        ++next;
        continue;
      }
      IG_RETURN_IF_ERROR(ParseInstruction(&next));
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

  absl::Status ParseDirectives(size_t* next) {
    while (*next < lines_.size()) {
      std::string name, value;
      if (!ParseDirective(LineText(*next), &name, &value))
        return absl::OkStatus();
      if (name != "syntax" && name != "escape" && name != "check") {
        // An unknown directive is a comment, and ends the directives.
        return absl::OkStatus();
      }
      int line = static_cast<int>(*next) + 1;
      if (dockerfile_.directives.contains(name)) {
        return Error(line, absl::StrCat("the ", name,
                                        " parser directive appears twice: "
                                        "keep only one"));
      }
      if (name == "escape") {
        if (value != "\\" && value != "`") {
          return Error(line, absl::StrCat("invalid escape directive \"", value,
                                          "\": use # escape=\\ or # escape=`"));
        }
        dockerfile_.escape = value[0];
      }
      dockerfile_.directives[name] = value;
      ++*next;
    }
    return absl::OkStatus();
  }

  absl::Status ParseComment(size_t index) {
    int line = static_cast<int>(index) + 1;
    absl::string_view text = LineText(index);
    if (std::optional<std::string> include =
            PercentDirective(text, "%include")) {
      IG_RETURN_IF_ERROR(ValidateIncludePath(dockerfile_.path, line, *include));
      dockerfile_.includes.push_back({line, *include});
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

  // Whether the line ends with the escape character (a continuation);
  // `*content_end` is where the content before it ends.
  bool ContinuationEnd(const PhysicalLine& line, size_t* content_end) const {
    size_t end = line.end;
    while (end > line.begin && IsShellBlank(text_[end - 1])) --end;
    if (end > line.begin && text_[end - 1] == dockerfile_.escape) {
      *content_end = end - 1;
      return true;
    }
    *content_end = line.end;
    return false;
  }

  absl::Status ParseInstruction(size_t* next) {
    const int start_line = static_cast<int>(*next) + 1;
    MappedText logical;
    // The first line's leading whitespace is not part of the instruction.
    const PhysicalLine& first = lines_[*next];
    size_t begin = first.begin;
    while (begin < first.end && IsShellBlank(text_[begin])) ++begin;
    size_t content_end;
    bool continues = ContinuationEnd(first, &content_end);
    logical.Append(text_, begin, std::max(begin, content_end));
    ++*next;
    while (continues && *next < lines_.size()) {
      const PhysicalLine& line = lines_[*next];
      absl::string_view text = LineText(*next);
      if (IsCommentLine(text)) {
        IG_RETURN_IF_ERROR(ParseComment(*next));
        ++*next;
        continue;
      }
      ++*next;
      if (TrimBlanks(text).empty()) continue;
      continues = ContinuationEnd(line, &content_end);
      logical.Append(text_, line.begin, content_end);
    }

    Instruction instruction;
    instruction.line = start_line;
    absl::string_view all = logical.text;
    size_t keyword_end = 0;
    while (keyword_end < all.size() && !IsShellBlank(all[keyword_end])) {
      ++keyword_end;
    }
    std::string written_keyword(all.substr(0, keyword_end));
    instruction.keyword = absl::AsciiStrToUpper(written_keyword);
    if (!IsInstruction(instruction.keyword)) {
      return Error(start_line,
                   absl::StrCat("unknown instruction \"", written_keyword,
                                "\": Dockerfile instructions are ",
                                absl::StrJoin(kInstructions, ", "),
                                " (a previous line may lack its trailing ",
                                std::string(1, dockerfile_.escape), ")"));
    }
    size_t args_begin = keyword_end;
    while (args_begin < all.size() && IsShellBlank(all[args_begin]))
      ++args_begin;
    size_t args_end = all.size();
    while (args_end > args_begin && IsShellBlank(all[args_end - 1])) --args_end;
    instruction.arguments =
        std::string(all.substr(args_begin, args_end - args_begin));
    if (instruction.arguments.empty()) {
      return Error(start_line, absl::StrCat(instruction.keyword,
                                            " requires at least one argument"));
    }

    // Leading flags.
    size_t rest_begin = args_begin;
    if (const std::vector<std::string>* allowed =
            AllowedFlags(instruction.keyword)) {
      while (rest_begin < args_end && all.substr(rest_begin, 2) == "--") {
        size_t word_end = rest_begin;
        while (word_end < args_end && !IsShellBlank(all[word_end])) ++word_end;
        absl::string_view word = all.substr(rest_begin, word_end - rest_begin);
        InstructionFlag flag;
        size_t equals = word.find('=');
        flag.name =
            std::string(word.substr(2, equals == kNpos ? kNpos : equals - 2));
        if (equals != kNpos) {
          flag.has_value = true;
          flag.value = std::string(word.substr(equals + 1));
          flag.value_offset =
              logical.SourceOffset(rest_begin + equals + 1, flag.value.size());
        }
        if (std::find(allowed->begin(), allowed->end(), flag.name) ==
            allowed->end()) {
          return Error(start_line,
                       absl::StrCat("unknown flag --", flag.name, " for ",
                                    instruction.keyword, " (it takes --",
                                    absl::StrJoin(*allowed, ", --"), ")"));
        }
        if (instruction.FindFlag(flag.name) != nullptr &&
            flag.name != "mount" && flag.name != "exclude") {
          return Error(start_line,
                       absl::StrCat("flag --", flag.name, " is given twice to ",
                                    instruction.keyword));
        }
        instruction.flags.push_back(std::move(flag));
        rest_begin = word_end;
        while (rest_begin < args_end && IsShellBlank(all[rest_begin]))
          ++rest_begin;
      }
    }
    instruction.rest =
        std::string(all.substr(rest_begin, args_end - rest_begin));

    // Exec (JSON) form.
    if (absl::StartsWith(instruction.rest, "[")) {
      if (std::optional<std::vector<std::string>> json =
              ParseJsonStringArray(instruction.rest)) {
        instruction.json_form = true;
        instruction.json_args = std::move(*json);
      }
    }
    if (instruction.keyword == "SHELL" && !instruction.json_form) {
      return Error(start_line,
                   "SHELL requires the JSON form, e.g. SHELL [\"/bin/sh\", "
                   "\"-c\"]");
    }

    // Here-documents follow the instruction line.
    std::vector<RawWord> words =
        SplitShellWords(instruction.rest, rest_begin, dockerfile_.escape);
    if (!instruction.json_form &&
        (instruction.keyword == "RUN" || instruction.keyword == "COPY" ||
         instruction.keyword == "ADD")) {
      for (const RawWord& word : words) {
        Heredoc heredoc;
        bool strip_tabs;
        if (!ParseHeredocWord(word.text, &heredoc.delimiter, &strip_tabs)) {
          continue;
        }
        bool terminated = false;
        while (*next < lines_.size()) {
          absl::string_view body_line = LineText((*next)++);
          absl::string_view compared = body_line;
          if (strip_tabs) {
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
        instruction.heredocs.push_back(std::move(heredoc));
      }
    }
    instruction.end_line = static_cast<int>(*next);

    if (instruction.keyword != "ARG" && instruction.keyword != "FROM" &&
        dockerfile_.stages.empty()) {
      return Error(start_line,
                   absl::StrCat(instruction.keyword,
                                " comes before the first FROM: only ARG may "
                                "precede FROM"));
    }
    if (instruction.keyword == "FROM") {
      IG_RETURN_IF_ERROR(AddStage(instruction, words, logical));
    } else if (instruction.keyword == "ARG") {
      IG_RETURN_IF_ERROR(AddArgs(instruction, words));
    } else if (!instruction.json_form &&
               (instruction.keyword == "COPY" ||
                instruction.keyword == "ADD") &&
               words.size() < 2) {
      return Error(
          start_line,
          absl::StrCat(instruction.keyword,
                       " requires a source and a destination, e.g. ",
                       instruction.keyword, " setup.sh /usr/local/bin/"));
    } else if (instruction.json_form &&
               (instruction.keyword == "COPY" ||
                instruction.keyword == "ADD") &&
               instruction.json_args.size() < 2) {
      return Error(start_line,
                   absl::StrCat(instruction.keyword,
                                " requires a source and a destination, e.g. ",
                                instruction.keyword, " [\"src\", \"/dest/\"]"));
    } else if (instruction.keyword == "ENV" &&
               words.front().text.find('=') == std::string::npos &&
               words.size() < 2) {
      return Error(start_line, absl::StrCat("ENV ", instruction.rest,
                                            " has no value: write ENV ",
                                            instruction.rest, "=<value>"));
    } else if (instruction.keyword == "LABEL") {
      for (const RawWord& word : words) {
        if (word.text.find('=') == std::string::npos) {
          return Error(start_line, absl::StrCat("LABEL ", word.text,
                                                " has no value: write LABEL ",
                                                word.text, "=<value>"));
        }
      }
    } else if (instruction.keyword == "ONBUILD") {
      std::string inner = absl::AsciiStrToUpper(
          instruction.rest.substr(0, instruction.rest.find_first_of(" \t")));
      if (inner == "ONBUILD" || inner == "FROM" || inner == "MAINTAINER") {
        return Error(start_line,
                     absl::StrCat("ONBUILD ", inner, " is not allowed"));
      }
      if (!IsInstruction(inner)) {
        return Error(start_line, absl::StrCat("unknown instruction \"", inner,
                                              "\" after ONBUILD"));
      }
    }
    dockerfile_.instructions.push_back(std::move(instruction));
    return absl::OkStatus();
  }

  absl::Status AddStage(const Instruction& instruction,
                        const std::vector<RawWord>& words,
                        const MappedText& logical) {
    int line = instruction.line;
    bool has_as =
        words.size() == 3 && absl::EqualsIgnoreCase(words[1].text, "AS");
    if (words.size() != 1 && !has_as) {
      return Error(line, absl::StrCat("FROM takes an image and optionally "
                                      "AS <stage name>, got \"",
                                      instruction.rest, "\""));
    }
    Stage stage;
    stage.index = static_cast<int>(dockerfile_.stages.size());
    stage.line = line;
    stage.base = words[0].text;
    stage.base_offset = logical.SourceOffset(words[0].begin, stage.base.size());
    stage.instruction = dockerfile_.instructions.size();
    if (const InstructionFlag* platform = instruction.FindFlag("platform")) {
      stage.platform = platform->value;
    }
    if (has_as) {
      stage.name = absl::AsciiStrToLower(words[2].text);
      if (!IsValidStageName(stage.name)) {
        return Error(line,
                     absl::StrCat("invalid stage name \"", words[2].text,
                                  "\": a stage name starts with a letter "
                                  "and holds letters, digits, -, _ and ."));
      }
      for (const Stage& other : dockerfile_.stages) {
        if (other.name == stage.name) {
          return Error(line, absl::StrCat("stage name \"", stage.name,
                                          "\" is already used on line ",
                                          other.line, ": rename one of them"));
        }
      }
    }
    dockerfile_.stages.push_back(std::move(stage));
    return absl::OkStatus();
  }

  absl::Status AddArgs(const Instruction& instruction,
                       const std::vector<RawWord>& words) {
    const bool global = dockerfile_.stages.empty();
    for (const RawWord& word : words) {
      ArgDeclaration arg;
      arg.line = instruction.line;
      size_t equals = word.text.find('=');
      arg.name = word.text.substr(0, equals);
      if (equals != kNpos) arg.default_value = word.text.substr(equals + 1);
      if (arg.name.empty() ||
          !std::all_of(arg.name.begin(), arg.name.end(), IsShellNameChar)) {
        return Error(instruction.line,
                     absl::StrCat("ARG \"", word.text,
                                  "\" is not NAME or NAME=default"));
      }
      if (global) dockerfile_.global_args.push_back(std::move(arg));
    }
    return absl::OkStatus();
  }

  Dockerfile dockerfile_;
  absl::string_view text_;
  std::vector<PhysicalLine> lines_;
};
// Expands the ARG values into every FROM base and COPY --from value, with
// Docker's scoping: ARGs before the first FROM are visible to FROM lines;
// inside a stage only ARGs declared in it (a bare `ARG NAME` takes the global
// value).
class ReferenceExpander {
 public:
  ReferenceExpander(
      const Dockerfile& dockerfile,
      const absl::flat_hash_map<std::string, std::string>& build_args)
      : dockerfile_(dockerfile), build_args_(build_args) {}

  absl::StatusOr<std::vector<ReferenceUse>> Expand() {
    absl::flat_hash_map<std::string, std::string> global_vars;
    for (const ArgDeclaration& arg : dockerfile_.global_args) {
      IG_RETURN_IF_ERROR(Declare(arg.line, arg.name, arg.default_value,
                                 /*globals=*/nullptr, &global_vars));
    }
    std::vector<ReferenceUse> references;
    absl::flat_hash_map<std::string, std::string> stage_vars;
    int stage = -1;
    for (const Instruction& instruction : dockerfile_.instructions) {
      if (instruction.keyword == "FROM") {
        ++stage;
        stage_vars.clear();
        const Stage& current = dockerfile_.stages[stage];
        IG_ASSIGN_OR_RETURN(
            ReferenceUse use,
            ExpandOne(instruction.line, /*from_copy=*/false, current.base,
                      current.base_offset, global_vars, stage));
        references.push_back(std::move(use));
      } else if (stage < 0) {
        continue;
      } else if (instruction.keyword == "ARG") {
        for (const RawWord& word :
             SplitShellWords(instruction.rest, 0, dockerfile_.escape)) {
          size_t equals = word.text.find('=');
          std::optional<std::string> default_value;
          if (equals != kNpos) default_value = word.text.substr(equals + 1);
          IG_RETURN_IF_ERROR(Declare(instruction.line,
                                     word.text.substr(0, equals), default_value,
                                     &global_vars, &stage_vars));
        }
      } else if (instruction.keyword == "COPY") {
        const InstructionFlag* from = instruction.FindFlag("from");
        if (from == nullptr) continue;
        if (!from->has_value || from->value.empty()) {
          return ErrorAt(dockerfile_.path, instruction.line,
                         "COPY --from needs a stage name, stage index or "
                         "image: write COPY --from=<stage> ...");
        }
        IG_ASSIGN_OR_RETURN(
            ReferenceUse use,
            ExpandOne(instruction.line, /*from_copy=*/true, from->value,
                      from->value_offset, stage_vars, stage));
        references.push_back(std::move(use));
      }
    }
    return references;
  }

 private:
  absl::Status Declare(
      int line, const std::string& name,
      const std::optional<std::string>& default_value,
      const absl::flat_hash_map<std::string, std::string>* globals,
      absl::flat_hash_map<std::string, std::string>* vars) {
    auto build_arg = build_args_.find(name);
    if (build_arg != build_args_.end()) {
      (*vars)[name] = build_arg->second;
    } else if (default_value.has_value()) {
      absl::StatusOr<std::string> value =
          ExpandWord(*default_value, *vars, dockerfile_.escape);
      if (!value.ok()) {
        return ErrorAt(
            dockerfile_.path, line,
            absl::StrCat("ARG ", name, ": ", value.status().message()));
      }
      (*vars)[name] = *std::move(value);
    } else if (globals != nullptr && globals->contains(name)) {
      (*vars)[name] = globals->at(name);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ReferenceUse> ExpandOne(
      int line, bool from_copy, const std::string& raw, size_t offset,
      const absl::flat_hash_map<std::string, std::string>& vars, int stage) {
    ReferenceUse use;
    use.line = line;
    use.from_copy = from_copy;
    use.stage = stage;
    use.raw = raw;
    use.offset = offset;
    use.length = raw.size();
    absl::StatusOr<std::string> expanded =
        ExpandWord(raw, vars, dockerfile_.escape);
    if (!expanded.ok()) {
      return ErrorAt(dockerfile_.path, line,
                     absl::StrCat(from_copy ? "COPY --from=" : "FROM ", raw,
                                  ": ", expanded.status().message()));
    }
    use.expanded = *std::move(expanded);
    if (use.expanded.empty()) return use;
    if (absl::EqualsIgnoreCase(use.expanded, "scratch")) {
      use.target = ReferenceUse::Target::kScratch;
      return use;
    }
    // Build stages: by name (case-insensitive) or, for COPY, by index.
    const std::string lower = absl::AsciiStrToLower(use.expanded);
    for (const Stage& other : dockerfile_.stages) {
      if (other.name.empty() || other.name != lower) continue;
      if (other.index >= stage) {
        return ErrorAt(
            dockerfile_.path, line,
            absl::StrCat(use.Describe(), " names stage \"", other.name,
                         "\" which is not defined before this "
                         "stage: move it above (line ",
                         other.line, ")"));
      }
      use.target = ReferenceUse::Target::kStage;
      use.stage_index = other.index;
      return use;
    }
    int index;
    if (from_copy && absl::SimpleAtoi(use.expanded, &index)) {
      if (index < 0 || index >= stage) {
        return ErrorAt(dockerfile_.path, line,
                       absl::StrCat("COPY --from=", use.expanded,
                                    " names stage index ", use.expanded,
                                    ", which is not defined before this "
                                    "stage: use the index of an earlier "
                                    "stage (the first is 0)"));
      }
      use.target = ReferenceUse::Target::kStage;
      use.stage_index = index;
      return use;
    }
    return use;
  }

  const Dockerfile& dockerfile_;
  const absl::flat_hash_map<std::string, std::string>& build_args_;
};

}  // namespace

const InstructionFlag* Instruction::FindFlag(absl::string_view name) const {
  for (const InstructionFlag& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::vector<std::string> Dockerfile::PercentArgNames() const {
  std::vector<std::string> names;
  names.reserve(percent_args.size());
  for (const PercentArg& arg : percent_args) names.push_back(arg.name);
  return names;
}

std::string ReferenceUse::Describe() const {
  std::string text = from_copy ? absl::StrCat("COPY --from=", expanded)
                               : absl::StrCat("FROM ", expanded);
  if (raw != expanded) absl::StrAppend(&text, " (written ", raw, ")");
  return text;
}

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text) {
  return Parser(path, text).Parse();
}

absl::StatusOr<std::vector<ReferenceUse>> ExpandReferences(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args) {
  return ReferenceExpander(dockerfile, build_args).Expand();
}

}  // namespace imagegraph
