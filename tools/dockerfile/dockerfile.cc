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

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) {
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

// A shell word of an instruction's arguments: raw text and position.
struct RawWord {
  std::string text;
  size_t begin;  // in the instruction's logical text
};

// Splits on whitespace that is not quoted or escaped. Words keep their quotes.
std::vector<RawWord> SplitWords(absl::string_view s, size_t base, char escape) {
  std::vector<RawWord> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsBlank(s[i])) ++i;
    if (i >= s.size()) break;
    size_t begin = i;
    char quote = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == escape && quote != '\'' && i + 1 < s.size()) {
        i += 2;
        continue;
      }
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (IsBlank(c)) {
        break;
      }
      ++i;
    }
    words.push_back({std::string(s.substr(begin, i - begin)), base + begin});
  }
  return words;
}

// Expands variables in one shell word, Docker-style.
class WordExpander {
 public:
  WordExpander(absl::string_view word,
               const absl::flat_hash_map<std::string, std::string>& variables,
               char escape)
      : word_(word), variables_(variables), escape_(escape) {}

  absl::StatusOr<std::string> Expand() {
    std::string out;
    IG_RETURN_IF_ERROR(ProcessUntil(&out, /*in_braces=*/false));
    return out;
  }

 private:
  absl::Status ProcessUntil(std::string* out, bool in_braces) {
    while (pos_ < word_.size()) {
      char c = word_[pos_];
      if (in_braces && c == '}') return absl::OkStatus();
      if (c == escape_) {
        if (pos_ + 1 < word_.size()) {
          out->push_back(word_[pos_ + 1]);
          pos_ += 2;
        } else {
          out->push_back(c);
          ++pos_;
        }
      } else if (c == '\'') {
        size_t close = word_.find('\'', pos_ + 1);
        if (close == kNpos) {
          return absl::InvalidArgumentError(
              absl::StrCat("unterminated single quote in ", word_));
        }
        absl::StrAppend(out, word_.substr(pos_ + 1, close - pos_ - 1));
        pos_ = close + 1;
      } else if (c == '"') {
        ++pos_;
        IG_RETURN_IF_ERROR(ProcessDoubleQuoted(out));
      } else if (c == '$') {
        IG_RETURN_IF_ERROR(ProcessDollar(out));
      } else {
        out->push_back(c);
        ++pos_;
      }
    }
    if (in_braces) {
      return absl::InvalidArgumentError(absl::StrCat("missing '}' in ", word_));
    }
    return absl::OkStatus();
  }

  absl::Status ProcessDoubleQuoted(std::string* out) {
    while (pos_ < word_.size()) {
      char c = word_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == escape_ && pos_ + 1 < word_.size()) {
        char next = word_[pos_ + 1];
        if (next != '"' && next != '$' && next != escape_) out->push_back(c);
        out->push_back(next);
        pos_ += 2;
      } else if (c == '$') {
        IG_RETURN_IF_ERROR(ProcessDollar(out));
      } else {
        out->push_back(c);
        ++pos_;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unterminated double quote in ", word_));
  }

  const std::string* Lookup(const std::string& name) const {
    auto it = variables_.find(name);
    return it == variables_.end() ? nullptr : &it->second;
  }

  absl::Status ProcessDollar(std::string* out) {
    ++pos_;  // '$'
    if (pos_ >= word_.size()) {
      out->push_back('$');
      return absl::OkStatus();
    }
    if (word_[pos_] != '{') {
      size_t begin = pos_;
      while (pos_ < word_.size() && IsNameChar(word_[pos_])) ++pos_;
      if (pos_ == begin) {
        out->push_back('$');
        return absl::OkStatus();
      }
      const std::string* value =
          Lookup(std::string(word_.substr(begin, pos_ - begin)));
      if (value != nullptr) out->append(*value);
      return absl::OkStatus();
    }
    ++pos_;  // '{'
    size_t begin = pos_;
    while (pos_ < word_.size() && IsNameChar(word_[pos_])) ++pos_;
    std::string name(word_.substr(begin, pos_ - begin));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad substitution in ", word_,
                       ": expected a variable name after ${"));
    }
    if (pos_ >= word_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("missing '}' in ", word_));
    }
    const std::string* value = Lookup(name);
    if (word_[pos_] == '}') {
      ++pos_;
      if (value != nullptr) out->append(*value);
      return absl::OkStatus();
    }
    bool colon = false;
    if (word_[pos_] == ':') {
      colon = true;
      ++pos_;
    }
    if (pos_ >= word_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("missing '}' in ", word_));
    }
    char modifier = word_[pos_];
    if (modifier != '-' && modifier != '+' && modifier != '?') {
      return absl::InvalidArgumentError(absl::StrCat(
          "unsupported substitution in ", word_, ": ${", name, colon ? ":" : "",
          std::string(1, modifier),
          "...}; use ${NAME}, ${NAME:-default} or ${NAME:+alternative}"));
    }
    ++pos_;
    std::string alternative;
    IG_RETURN_IF_ERROR(ProcessUntil(&alternative, /*in_braces=*/true));
    ++pos_;  // '}'
    bool set = value != nullptr && (!colon || !value->empty());
    switch (modifier) {
      case '-':
        out->append(set ? *value : alternative);
        break;
      case '+':
        if (set) out->append(alternative);
        break;
      case '?':
        if (!set) {
          return absl::InvalidArgumentError(absl::StrCat(
              name, ": ", alternative.empty() ? "is not set" : alternative));
        }
        out->append(*value);
        break;
    }
    return absl::OkStatus();
  }

  absl::string_view word_;
  const absl::flat_hash_map<std::string, std::string>& variables_;
  char escape_;
  size_t pos_ = 0;
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
  if (!s.empty() && !IsBlank(s.front())) return std::nullopt;
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
    if (!IsNameChar(c) && c != '.' && c != '-') return false;
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
          !std::all_of(names[0].begin(), names[0].end(), IsNameChar)) {
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
    while (end > line.begin && IsBlank(text_[end - 1])) --end;
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
    while (begin < first.end && IsBlank(text_[begin])) ++begin;
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
    while (keyword_end < all.size() && !IsBlank(all[keyword_end])) {
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
    while (args_begin < all.size() && IsBlank(all[args_begin])) ++args_begin;
    size_t args_end = all.size();
    while (args_end > args_begin && IsBlank(all[args_end - 1])) --args_end;
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
        while (word_end < args_end && !IsBlank(all[word_end])) ++word_end;
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
        while (rest_begin < args_end && IsBlank(all[rest_begin])) ++rest_begin;
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
        SplitWords(instruction.rest, rest_begin, dockerfile_.escape);
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
          !std::all_of(arg.name.begin(), arg.name.end(), IsNameChar)) {
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

// Splits an image reference into the part before the tag/digest, the tag and
// the digest ("" when absent).
struct ParsedReference {
  std::string repository;
  std::string tag;
  std::string digest;
};

ParsedReference SplitReference(absl::string_view reference) {
  ParsedReference parsed;
  size_t at = reference.find('@');
  if (at != kNpos) {
    parsed.digest = std::string(reference.substr(at + 1));
    reference = reference.substr(0, at);
  }
  size_t colon = reference.rfind(':');
  size_t slash = reference.rfind('/');
  if (colon != kNpos && (slash == kNpos || colon > slash)) {
    parsed.tag = std::string(reference.substr(colon + 1));
    reference = reference.substr(0, colon);
  }
  parsed.repository = std::string(reference);
  return parsed;
}

bool IsSha256Digest(absl::string_view digest) {
  if (!absl::ConsumePrefix(&digest, "sha256:") || digest.size() != 64) {
    return false;
  }
  return std::all_of(digest.begin(), digest.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

struct ResolvedReference {
  ImageReference reference;
  size_t offset;  // of the raw reference in the text (npos if split)
  size_t length;
};

class Resolver {
 public:
  Resolver(const Dockerfile& dockerfile, const ResolveOptions& options)
      : dockerfile_(dockerfile), options_(options) {}

  absl::StatusOr<std::vector<ResolvedReference>> Resolve() {
    if (!options_.docker_image_parent.empty() &&
        !options_.in_tree_names.empty() &&
        !options_.in_tree_names.contains(options_.docker_image_parent)) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_.path, ": the declared parent \"",
          options_.docker_image_parent,
          "\" is not an image folder of the tree: name one of its folders"));
    }
    absl::flat_hash_map<std::string, std::string> global_vars;
    for (const ArgDeclaration& arg : dockerfile_.global_args) {
      IG_RETURN_IF_ERROR(Declare(arg.line, arg.name, arg.default_value,
                                 /*globals=*/nullptr, &global_vars));
    }
    std::vector<ResolvedReference> references;
    absl::flat_hash_map<std::string, std::string> stage_vars;
    int stage = -1;
    for (size_t i = 0; i < dockerfile_.instructions.size(); ++i) {
      const Instruction& instruction = dockerfile_.instructions[i];
      if (instruction.keyword == "FROM") {
        ++stage;
        stage_vars.clear();
        const Stage& current = dockerfile_.stages[stage];
        IG_ASSIGN_OR_RETURN(ResolvedReference resolved,
                            ResolveOne(instruction.line, /*from_copy=*/false,
                                       current.base, global_vars, stage));
        resolved.offset = current.base_offset;
        resolved.length = current.base.size();
        references.push_back(std::move(resolved));
      } else if (stage < 0) {
        continue;
      } else if (instruction.keyword == "ARG") {
        for (const RawWord& word :
             SplitWords(instruction.rest, 0, dockerfile_.escape)) {
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
          return Error(instruction.line,
                       "COPY --from needs a stage name, stage index or "
                       "image: write COPY --from=<stage> ...");
        }
        IG_ASSIGN_OR_RETURN(ResolvedReference resolved,
                            ResolveOne(instruction.line, /*from_copy=*/true,
                                       from->value, stage_vars, stage));
        resolved.offset = from->value_offset;
        resolved.length = from->value.size();
        references.push_back(std::move(resolved));
      }
    }
    return references;
  }

 private:
  absl::Status Error(int line, absl::string_view message) const {
    return ErrorAt(dockerfile_.path, line, message);
  }

  absl::Status Declare(
      int line, const std::string& name,
      const std::optional<std::string>& default_value,
      const absl::flat_hash_map<std::string, std::string>* globals,
      absl::flat_hash_map<std::string, std::string>* vars) {
    auto build_arg = options_.build_args.find(name);
    if (build_arg != options_.build_args.end()) {
      (*vars)[name] = build_arg->second;
    } else if (default_value.has_value()) {
      absl::StatusOr<std::string> value =
          ExpandWord(*default_value, *vars, dockerfile_.escape);
      if (!value.ok()) {
        return Error(
            line, absl::StrCat("ARG ", name, ": ", value.status().message()));
      }
      (*vars)[name] = *std::move(value);
    } else if (globals != nullptr && globals->contains(name)) {
      (*vars)[name] = globals->at(name);
    }
    return absl::OkStatus();
  }

  static bool IsParentArg(absl::string_view raw) {
    return raw == "$DOCKER_IMAGE_PARENT" || raw == "${DOCKER_IMAGE_PARENT}";
  }

  std::string Describe(bool from_copy, absl::string_view raw,
                       absl::string_view written) const {
    std::string text = from_copy ? absl::StrCat("COPY --from=", written)
                                 : absl::StrCat("FROM ", written);
    if (raw != written) absl::StrAppend(&text, " (written ", raw, ")");
    return text;
  }

  absl::StatusOr<ResolvedReference> ResolveOne(
      int line, bool from_copy, const std::string& raw,
      const absl::flat_hash_map<std::string, std::string>& vars, int stage) {
    ResolvedReference resolved;
    ImageReference& ref = resolved.reference;
    ref.line = line;
    ref.from_copy = from_copy;
    absl::StatusOr<std::string> written =
        ExpandWord(raw, vars, dockerfile_.escape);
    if (!written.ok()) {
      return Error(line, absl::StrCat(from_copy ? "COPY --from=" : "FROM ", raw,
                                      ": ", written.status().message()));
    }
    ref.written = *written;

    if (IsParentArg(raw)) {
      if (!options_.docker_image_parent.empty()) {
        ref.kind = ImageReference::Kind::kParentArg;
        ref.in_tree_name = options_.docker_image_parent;
        if (ref.written.empty()) ref.written = raw;
        return resolved;
      }
      if (ref.written.empty()) {
        return Error(line,
                     absl::StrCat(from_copy ? "COPY --from=" : "FROM ", raw,
                                  " but the image declares no parent: set "
                                  "parent: in kind.yml (or parents on the "
                                  "docker_image target)"));
      }
    }
    if (ref.written.empty()) {
      std::string hint =
          from_copy ? "declare it with ARG in this stage"
                    : "declare it with ARG NAME=<image> before the first FROM";
      return Error(line, absl::StrCat(from_copy ? "COPY --from=" : "FROM ", raw,
                                      " expands to an empty image name: ", hint,
                                      " or pass it as a build argument"));
    }
    if (absl::EqualsIgnoreCase(ref.written, "scratch")) {
      ref.kind = ImageReference::Kind::kScratch;
      return resolved;
    }
    // Build stages: by name (case-insensitive) or, for COPY, by index.
    std::string lower = absl::AsciiStrToLower(ref.written);
    for (const Stage& other : dockerfile_.stages) {
      if (other.name.empty() || other.name != lower) continue;
      if (other.index >= stage) {
        return Error(line, absl::StrCat(Describe(from_copy, raw, ref.written),
                                        " names stage \"", other.name,
                                        "\" which is not defined before this "
                                        "stage: move it above (line ",
                                        other.line, ")"));
      }
      ref.kind = ImageReference::Kind::kStage;
      return resolved;
    }
    int index;
    if (from_copy && absl::SimpleAtoi(ref.written, &index)) {
      if (index < 0 || index >= stage) {
        return Error(line, absl::StrCat("COPY --from=", ref.written,
                                        " names stage index ", ref.written,
                                        ", which is not defined before this "
                                        "stage: use the index of an earlier "
                                        "stage (the first is 0)"));
      }
      ref.kind = ImageReference::Kind::kStage;
      return resolved;
    }

    ParsedReference parsed = SplitReference(ref.written);
    if (!parsed.digest.empty()) {
      if (!IsSha256Digest(parsed.digest)) {
        return Error(line,
                     absl::StrCat(Describe(from_copy, raw, ref.written),
                                  " has an invalid digest \"", parsed.digest,
                                  "\": expected @sha256:<64 lowercase hex "
                                  "digits>"));
      }
      ref.kind = ImageReference::Kind::kPinned;
      ref.pinned = ref.written;
      return resolved;
    }

    // In-tree: NAME, or REGISTRY/NAME[:TAG] with the image's registry.
    std::string name;
    std::string registry;
    if (parsed.tag.empty() && parsed.repository.find('/') == kNpos) {
      name = parsed.repository;
    } else {
      size_t slash = parsed.repository.rfind('/');
      if (slash != kNpos) {
        registry = parsed.repository.substr(0, slash);
        name = parsed.repository.substr(slash + 1);
      }
    }
    if (!name.empty() && KnownRegistry(name, registry)) {
      if (options_.in_tree_names.contains(name)) {
        ref.kind = ImageReference::Kind::kInTree;
        ref.in_tree_name = name;
        return resolved;
      }
      auto pinned = options_.pinned_digests.find(name);
      if (pinned != options_.pinned_digests.end()) {
        if (registry.empty()) registry = RegistryOf(name);
        ref.kind = ImageReference::Kind::kPinned;
        ref.pinned = absl::StrCat(registry.empty() ? "" : registry + "/", name,
                                  "@", pinned->second);
        return resolved;
      }
    }

    std::string message = absl::StrCat(
        Describe(from_copy, raw, ref.written), " is not pinned: use ",
        ref.written, "@sha256:<digest> (skopeo inspect docker://", ref.written,
        " prints it), or name an in-tree image folder");
    std::string bare =
        parsed.repository.substr(parsed.repository.rfind('/') + 1);
    if (options_.in_tree_names.contains(bare)) {
      absl::StrAppend(&message, " (", bare, " is one: write ", bare, " or ",
                      RegistryOf(bare).empty() ? "" : RegistryOf(bare) + "/",
                      bare, ":<tag>)");
    }
    return Error(line, message);
  }

  std::string RegistryOf(const std::string& name) const {
    auto it = options_.in_tree_registries.find(name);
    return it != options_.in_tree_registries.end() ? it->second
                                                   : options_.registry;
  }

  bool KnownRegistry(const std::string& name,
                     const std::string& registry) const {
    if (registry.empty()) return true;
    if (!options_.registry.empty() && registry == options_.registry) {
      return true;
    }
    auto it = options_.in_tree_registries.find(name);
    return it != options_.in_tree_registries.end() && it->second == registry;
  }

  const Dockerfile& dockerfile_;
  const ResolveOptions& options_;
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

absl::StatusOr<std::string> ExpandWord(
    absl::string_view word,
    const absl::flat_hash_map<std::string, std::string>& variables,
    char escape) {
  return WordExpander(word, variables, escape).Expand();
}

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text) {
  return Parser(path, text).Parse();
}

absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options) {
  IG_ASSIGN_OR_RETURN(std::vector<ResolvedReference> resolved,
                      Resolver(dockerfile, options).Resolve());
  std::vector<ImageReference> references;
  references.reserve(resolved.size());
  for (ResolvedReference& r : resolved) {
    references.push_back(std::move(r.reference));
  }
  return references;
}

absl::StatusOr<std::vector<std::string>> InTreeParents(
    const Dockerfile& dockerfile, const ResolveOptions& options) {
  IG_ASSIGN_OR_RETURN(std::vector<ImageReference> references,
                      ResolveImageReferences(dockerfile, options));
  std::vector<std::string> parents;
  absl::flat_hash_set<std::string> seen;
  for (const ImageReference& ref : references) {
    if (ref.kind != ImageReference::Kind::kInTree &&
        ref.kind != ImageReference::Kind::kParentArg) {
      continue;
    }
    if (seen.insert(ref.in_tree_name).second) {
      parents.push_back(ref.in_tree_name);
    }
  }
  return parents;
}

absl::StatusOr<std::string> RewriteInTreeReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options,
    const absl::flat_hash_map<std::string, std::string>& local_refs) {
  IG_ASSIGN_OR_RETURN(std::vector<ResolvedReference> resolved,
                      Resolver(dockerfile, options).Resolve());
  std::string out;
  size_t copied = 0;
  for (const ResolvedReference& r : resolved) {
    const ImageReference& ref = r.reference;
    if (ref.kind != ImageReference::Kind::kInTree &&
        ref.kind != ImageReference::Kind::kParentArg) {
      continue;
    }
    auto local = local_refs.find(ref.in_tree_name);
    if (local == local_refs.end()) {
      return ErrorAt(
          dockerfile.path, ref.line,
          absl::StrCat("no local reference for in-tree image \"",
                       ref.in_tree_name, "\": add it to the image's parents"));
    }
    if (r.offset == kNpos) {
      return ErrorAt(dockerfile.path, ref.line,
                     absl::StrCat("cannot rewrite ", ref.written,
                                  ": the reference is split by a line "
                                  "continuation; write it on one line"));
    }
    out.append(dockerfile.text, copied, r.offset - copied);
    out.append(local->second);
    copied = r.offset + r.length;
  }
  out.append(dockerfile.text, copied, kNpos);
  return out;
}

absl::Status CheckAcyclic(
    const absl::flat_hash_map<std::string, std::vector<std::string>>& parents) {
  enum class Color { kWhite, kGray, kBlack };
  absl::flat_hash_map<std::string, Color> color;
  std::vector<std::string> names;
  names.reserve(parents.size());
  for (const auto& [name, unused] : parents) names.push_back(name);
  std::sort(names.begin(), names.end());

  static const std::vector<std::string> kNone;
  auto parents_of =
      [&](const std::string& name) -> const std::vector<std::string>& {
    auto it = parents.find(name);
    return it == parents.end() ? kNone : it->second;
  };

  for (const std::string& root : names) {
    if (color[root] != Color::kWhite) continue;
    // Iterative DFS: path holds the gray chain, next_child the position in
    // each node's parent list.
    std::vector<std::string> path = {root};
    std::vector<size_t> next_child = {0};
    color[root] = Color::kGray;
    while (!path.empty()) {
      const std::string& node = path.back();
      const std::vector<std::string>& edges = parents_of(node);
      if (next_child.back() >= edges.size()) {
        color[node] = Color::kBlack;
        path.pop_back();
        next_child.pop_back();
        continue;
      }
      const std::string& parent = edges[next_child.back()++];
      Color& c = color[parent];
      if (c == Color::kGray) {
        auto start = std::find(path.begin(), path.end(), parent);
        std::vector<std::string> cycle(start, path.end());
        // Start at the smallest name, so a cycle reads the same however
        // it was found.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()),
                    cycle.end());
        cycle.push_back(cycle.front());
        return absl::FailedPreconditionError(absl::StrCat(
            "the image graph has a cycle: ", absl::StrJoin(cycle, " -> "),
            " (each image names the next in FROM or COPY --from); remove one "
            "of these references"));
      }
      if (c == Color::kWhite) {
        c = Color::kGray;
        path.push_back(parent);
        next_child.push_back(0);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace imagegraph
