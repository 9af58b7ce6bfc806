#include "tools/dockerfile/shell_word.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr int kEnd = -1;

// At most `limit` characters of `text`, for messages.
std::string Excerpt(absl::string_view text) {
  constexpr size_t kLimit = 80;
  if (text.size() <= kLimit) return std::string(text);
  return absl::StrCat(text.substr(0, kLimit), "...");
}

bool IsSpecialParameter(int c) {
  switch (c) {
    case '@':
    case '*':
    case '#':
    case '?':
    case '-':
    case '$':
    case '!':
    case '0':
      return true;
    default:
      return false;
  }
}

// A shell pattern of `${V#p}` and the like: `*` and `?` match any string
// and any one character but a newline (BuildKit turns the pattern into a Go
// regular expression, whose `.` excludes it); `\` escapes `*`, `?`, `\`,
// and is dropped before `}` and `/`.
struct GlobToken {
  enum class Kind { kLiteral, kAny, kStar };
  Kind kind;
  std::string literal;  // one character (UTF-8)
};

absl::StatusOr<std::vector<GlobToken>> CompileGlob(absl::string_view pattern) {
  std::vector<GlobToken> tokens;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '*') {
      if (tokens.empty() || tokens.back().kind != GlobToken::Kind::kStar) {
        tokens.push_back({GlobToken::Kind::kStar, ""});
      }
      ++i;
    } else if (c == '?') {
      tokens.push_back({GlobToken::Kind::kAny, ""});
      ++i;
    } else if (c == '\\') {
      if (i + 1 < pattern.size() &&
          (pattern[i + 1] == '}' || pattern[i + 1] == '/')) {
        ++i;  // the escape belongs to ${...}, not to the pattern
        continue;
      }
      if (i + 1 >= pattern.size()) {
        return absl::InvalidArgumentError(
            "invalid escape '\\' at the end of the pattern");
      }
      const size_t length = Utf8Length(pattern, i + 1);
      absl::string_view escaped = pattern.substr(i + 1, length);
      if (escaped != "*" && escaped != "?" && escaped != "\\") {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid escape '\\", escaped, "': only \\*, \\? and \\\\ are"));
      }
      tokens.push_back({GlobToken::Kind::kLiteral, std::string(escaped)});
      i += 1 + length;
    } else {
      const size_t length = Utf8Length(pattern, i);
      tokens.push_back(
          {GlobToken::Kind::kLiteral, std::string(pattern.substr(i, length))});
      i += length;
    }
  }
  return tokens;
}

// Matches glob tokens against a value, counting its work.
class GlobMatcher {
 public:
  GlobMatcher(const std::vector<GlobToken>& tokens, absl::string_view value,
              long* steps)
      : tokens_(tokens), value_(value), steps_(steps) {
    for (size_t pos = 0; pos < value.size(); pos += Utf8Length(value, pos)) {
      boundaries_.push_back(pos);
    }
    boundaries_.push_back(value.size());
  }

  // Whether value[start, end) matches the whole pattern, for every end
  // (indexed by byte offset; only character boundaries can be set).
  absl::StatusOr<std::vector<char>> Ends(size_t start) {
    const size_t n = value_.size();
    std::vector<char> current(n + 1, 0);
    current[start] = 1;
    const auto first =
        std::lower_bound(boundaries_.begin(), boundaries_.end(), start);
    for (const GlobToken& token : tokens_) {
      *steps_ += static_cast<long>(boundaries_.end() - first) + 1;
      if (*steps_ > kMaxPatternSteps) {
        return absl::ResourceExhaustedError(
            "pattern matching takes too long: simplify the pattern or the "
            "value");
      }
      std::vector<char> next(n + 1, 0);
      bool reach = false;
      for (auto it = first; it != boundaries_.end(); ++it) {
        const size_t pos = *it;
        switch (token.kind) {
          case GlobToken::Kind::kStar:
            if (it != first && value_[*(it - 1)] == '\n') reach = false;
            reach = reach || current[pos];
            next[pos] = reach;
            break;
          case GlobToken::Kind::kAny:
            if (current[pos] && pos < n && value_[pos] != '\n') {
              next[pos + Utf8Length(value_, pos)] = 1;
            }
            break;
          case GlobToken::Kind::kLiteral:
            if (current[pos] &&
                value_.substr(pos, token.literal.size()) == token.literal) {
              next[pos + token.literal.size()] = 1;
            }
            break;
        }
      }
      current = std::move(next);
    }
    return current;
  }

 private:
  const std::vector<GlobToken>& tokens_;
  absl::string_view value_;
  long* steps_;
  std::vector<size_t> boundaries_;
};

std::string ReverseRunes(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::vector<std::pair<size_t, size_t>> runes;
  for (size_t pos = 0; pos < s.size(); pos += Utf8Length(s, pos)) {
    runes.emplace_back(pos, Utf8Length(s, pos));
  }
  for (auto it = runes.rbegin(); it != runes.rend(); ++it) {
    absl::StrAppend(&out, s.substr(it->first, it->second));
  }
  return out;
}

// `value` without its shortest (or longest, `greedy`) prefix matching
// `tokens`.
absl::StatusOr<std::string> TrimPrefix(const std::vector<GlobToken>& tokens,
                                       absl::string_view value, bool greedy,
                                       long* steps) {
  GlobMatcher matcher(tokens, value, steps);
  IG_ASSIGN_OR_RETURN(std::vector<char> ends, matcher.Ends(0));
  for (size_t i = 0; i < ends.size(); ++i) {
    const size_t end = greedy ? ends.size() - 1 - i : i;
    if (ends[end]) return std::string(value.substr(end));
  }
  return std::string(value);
}

// Go's Regexp.Expand of a replacement: `$$` is `$`, `$0`/`${0}` the match,
// other `$name`/`${name}` empty (the pattern has no groups), any other `$`
// itself.
std::string ExpandReplacement(absl::string_view replacement,
                              absl::string_view match) {
  std::string out;
  size_t i = 0;
  while (i < replacement.size()) {
    const size_t dollar = replacement.find('$', i);
    if (dollar == absl::string_view::npos) {
      absl::StrAppend(&out, replacement.substr(i));
      break;
    }
    absl::StrAppend(&out, replacement.substr(i, dollar - i));
    absl::string_view rest = replacement.substr(dollar + 1);
    if (!rest.empty() && rest[0] == '$') {
      out.push_back('$');
      i = dollar + 2;
      continue;
    }
    const bool brace = !rest.empty() && rest[0] == '{';
    absl::string_view name_start = brace ? rest.substr(1) : rest;
    size_t length = 0;
    while (length < name_start.size() && IsShellNameChar(name_start[length])) {
      ++length;
    }
    if (length == 0 ||
        (brace && (length >= name_start.size() || name_start[length] != '}'))) {
      out.push_back('$');  // malformed: the `$` is text
      i = dollar + 1;
      continue;
    }
    if (name_start.substr(0, length) == "0") absl::StrAppend(&out, match);
    i = dollar + 1 + (brace ? 1 : 0) + length + (brace ? 1 : 0);
  }
  return out;
}

// `value` with the first (or every, `all`) longest leftmost match of
// `tokens` replaced, as Go's regexp replaces them.
absl::StatusOr<std::string> ReplaceMatches(const std::vector<GlobToken>& tokens,
                                           absl::string_view value,
                                           absl::string_view replacement,
                                           bool all, long* steps) {
  GlobMatcher matcher(tokens, value, steps);
  // The leftmost start at or after `from` with a match, and its longest end.
  auto find = [&](size_t from) -> absl::StatusOr<std::pair<size_t, size_t>> {
    for (size_t start = from; start <= value.size();) {
      IG_ASSIGN_OR_RETURN(std::vector<char> ends, matcher.Ends(start));
      for (size_t end = value.size() + 1; end-- > start;) {
        if (ends[end]) return std::make_pair(start, end);
      }
      if (start == value.size()) break;
      start += Utf8Length(value, start);
    }
    return std::make_pair(absl::string_view::npos, absl::string_view::npos);
  };
  if (!all) {
    IG_ASSIGN_OR_RETURN(auto match, find(0));
    if (match.first == absl::string_view::npos) return std::string(value);
    return absl::StrCat(value.substr(0, match.first), replacement,
                        value.substr(match.second));
  }
  // As Go's Regexp.ReplaceAllString: no replacement for an empty match right
  // after another match, and the search advances by at least a character.
  std::string out;
  size_t last_end = 0;
  size_t search = 0;
  while (search <= value.size()) {
    IG_ASSIGN_OR_RETURN(auto match, find(search));
    if (match.first == absl::string_view::npos) break;
    absl::StrAppend(&out, value.substr(last_end, match.first - last_end));
    if (match.second > last_end || match.first == 0) {
      absl::StrAppend(
          &out, ExpandReplacement(
                    replacement,
                    value.substr(match.first, match.second - match.first)));
    }
    last_end = match.second;
    const size_t width = search < value.size() ? Utf8Length(value, search) : 0;
    if (search + width > match.second) {
      search += width;
    } else if (search + 1 > match.second) {
      ++search;
    } else {
      search = match.second;
    }
    if (out.size() > kMaxExpandedBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the replacement grows over ", kMaxExpandedBytes, " bytes"));
    }
  }
  absl::StrAppend(&out, value.substr(std::min(last_end, value.size())));
  return out;
}

// BuildKit's shell lexer over one input.
class Lexer {
 public:
  Lexer(absl::string_view input, const ShellVariables& variables,
        const ShellLexOptions& options)
      : input_(input),
        variables_(variables),
        options_(options),
        raw_escapes_(options.raw_escapes) {}

  absl::Status Run(std::string* result, std::vector<std::string>* words) {
    Words collected;
    absl::Status status =
        StopOn(kEnd, options_.raw_escapes, result, &collected);
    if (!status.ok()) return status;
    *words = collected.Finish();
    return absl::OkStatus();
  }

 private:
  // The words of the result (BuildKit's wordsStruct).
  class Words {
   public:
    void AddChar(absl::string_view c) {
      if (SpaceLengthAt(c, 0) > 0) {
        if (in_word_ && !buffer_.empty()) {
          words_.push_back(std::move(buffer_));
          buffer_.clear();
          in_word_ = false;
        }
      } else {
        AddRaw(c);
      }
    }
    void AddRaw(absl::string_view s) {
      absl::StrAppend(&buffer_, s);
      in_word_ = true;
    }
    void AddString(absl::string_view s) {
      for (size_t pos = 0; pos < s.size(); pos += Utf8Length(s, pos)) {
        AddChar(s.substr(pos, Utf8Length(s, pos)));
      }
    }
    std::vector<std::string> Finish() {
      if (!buffer_.empty()) words_.push_back(std::move(buffer_));
      return std::move(words_);
    }

   private:
    std::string buffer_;
    std::vector<std::string> words_;
    bool in_word_ = false;
  };

  int Peek() const {
    return pos_ < input_.size() ? static_cast<unsigned char>(input_[pos_])
                                : kEnd;
  }
  absl::string_view NextRune() {
    const size_t length = Utf8Length(input_, pos_);
    absl::string_view rune = input_.substr(pos_, length);
    pos_ += length;
    return rune;
  }

  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(message, " in ", Excerpt(input_)));
  }

  absl::Status Append(std::string* result, absl::string_view text) const {
    absl::StrAppend(result, text);
    if (result->size() > kMaxExpandedBytes) {
      return Error(
          absl::StrCat("the expansion is over ", kMaxExpandedBytes, " bytes"));
    }
    return absl::OkStatus();
  }

  // Nesting guard: BuildKit recurses without bound.
  class Nested {
   public:
    explicit Nested(Lexer* lexer) : lexer_(lexer) { ++lexer_->depth_; }
    ~Nested() { --lexer_->depth_; }
    bool TooDeep() const { return lexer_->depth_ > kMaxShellNesting; }

   private:
    Lexer* lexer_;
  };

  absl::Status TooDeep() const {
    return Error(absl::StrCat("${...} and quotes nested more than ",
                              kMaxShellNesting, " deep"));
  }

  // Reads up to `stop` (or the end when kEnd), consuming it.
  absl::Status StopOn(int stop, bool raw_escapes, std::string* result,
                      Words* words) {
    Nested nested(this);
    if (nested.TooDeep()) return TooDeep();
    const bool saved_raw_escapes = raw_escapes_;
    raw_escapes_ = raw_escapes;
    absl::Status status = StopOnBody(stop, result, words);
    raw_escapes_ = saved_raw_escapes;
    return status;
  }

  absl::Status StopOnBody(int stop, std::string* result, Words* words) {
    while (Peek() != kEnd) {
      const int c = Peek();
      if (stop != kEnd && c == stop) {
        ++pos_;
        return absl::OkStatus();
      }
      std::string piece;
      if (c == '$') {
        IG_RETURN_IF_ERROR(Dollar(&piece));
        IG_RETURN_IF_ERROR(Append(result, piece));
        words->AddString(piece);
        continue;
      }
      if (c == '\'' || c == '"') {
        IG_RETURN_IF_ERROR(c == '\'' ? SingleQuote(&piece)
                                     : DoubleQuote(&piece));
        IG_RETURN_IF_ERROR(Append(result, piece));
        words->AddRaw(piece);
        continue;
      }
      if (c == '<') {
        PossibleHeredoc(&piece);
        IG_RETURN_IF_ERROR(Append(result, piece));
        words->AddRaw(piece);
        continue;
      }
      absl::string_view rune = NextRune();
      if (rune.size() == 1 && rune[0] == options_.escape) {
        if (raw_escapes_) {
          words->AddRaw(rune);
          IG_RETURN_IF_ERROR(Append(result, rune));
        }
        if (Peek() == kEnd) break;
        rune = NextRune();
        words->AddRaw(rune);
      } else {
        words->AddChar(rune);
      }
      IG_RETURN_IF_ERROR(Append(result, rune));
    }
    if (stop != kEnd) {
      return Error(stop == '}'
                       ? "missing '}'"
                       : absl::StrCat("missing '", std::string(1, stop), "'"));
    }
    return absl::OkStatus();
  }

  absl::Status SingleQuote(std::string* out) {
    absl::string_view quote = NextRune();
    if (options_.raw_quotes) absl::StrAppend(out, quote);
    while (true) {
      if (Peek() == kEnd) return Error("unterminated single quote");
      absl::string_view rune = NextRune();
      if (rune == "'") {
        if (options_.raw_quotes) absl::StrAppend(out, rune);
        return absl::OkStatus();
      }
      absl::StrAppend(out, rune);
    }
  }

  absl::Status DoubleQuote(std::string* out) {
    Nested nested(this);
    if (nested.TooDeep()) return TooDeep();
    absl::string_view quote = NextRune();
    if (options_.raw_quotes) absl::StrAppend(out, quote);
    while (true) {
      const int c = Peek();
      if (c == kEnd) return Error("unterminated double quote");
      if (c == '"') {
        absl::string_view close = NextRune();
        if (options_.raw_quotes) absl::StrAppend(out, close);
        return absl::OkStatus();
      }
      if (c == '$') {
        std::string value;
        IG_RETURN_IF_ERROR(Dollar(&value));
        IG_RETURN_IF_ERROR(Append(out, value));
        continue;
      }
      absl::string_view rune = NextRune();
      if (rune.size() == 1 && rune[0] == options_.escape) {
        if (raw_escapes_) absl::StrAppend(out, rune);
        const int next = Peek();
        if (next == kEnd) continue;  // a final escape is dropped
        if (next == '"' || next == '$' || next == options_.escape) {
          rune = NextRune();
        }
      }
      IG_RETURN_IF_ERROR(Append(out, rune));
    }
  }

  // `<<` keeps the blanks after it in its word, so that `<< EOF` reads as
  // one here-document word.
  void PossibleHeredoc(std::string* out) {
    ++pos_;
    if (Peek() != '<') {
      *out = "<";
      return;
    }
    ++pos_;
    *out = "<<";
    while (Peek() == ' ' || Peek() == '\t') out->push_back(input_[pos_++]);
  }

  std::string ReadName() {
    std::string name;
    while (Peek() != kEnd) {
      const int c = Peek();
      if (name.empty() && std::isdigit(c)) {
        while (Peek() != kEnd && std::isdigit(Peek())) {
          name.push_back(input_[pos_++]);
        }
        return name;
      }
      if (name.empty() && IsSpecialParameter(c)) {
        ++pos_;
        return std::string(1, static_cast<char>(c));
      }
      if (!IsShellNameChar(static_cast<char>(c))) break;
      name.push_back(input_[pos_++]);
    }
    return name;
  }

  const std::string* Lookup(const std::string& name) const {
    auto it = variables_.find(name);
    return it == variables_.end() ? nullptr : &it->second;
  }

  absl::Status Dollar(std::string* out) {
    ++pos_;  // '$'
    if (Peek() != '{') {
      const std::string name = ReadName();
      if (name.empty()) {
        *out = "$";
      } else if (const std::string* value = Lookup(name)) {
        *out = *value;
      } else if (options_.skip_unset) {
        *out = absl::StrCat("$", name);
      }
      return absl::OkStatus();
    }
    ++pos_;  // '{'
    const size_t open = pos_ - 2;
    const int first = Peek();
    if (first == kEnd) return Error("missing '}'");
    if (first == '{' || first == '}' || first == ':') {
      return Error("bad substitution: ${ needs a variable name");
    }
    const std::string name = ReadName();
    if (Peek() == kEnd) return Error("missing '}'");
    absl::string_view modifier = NextRune();
    std::string modifiers(modifier);
    bool null_is_unset = false;
    const std::string* value = Lookup(name);
    if (modifier == "}") {
      if (value != nullptr) {
        *out = *value;
      } else if (options_.skip_unset) {
        *out = absl::StrCat("${", name, "}");
      }
      return absl::OkStatus();
    }
    if (modifier == "/") return Replace(name, value, out);
    if (modifier == ":") {
      null_is_unset = true;
      if (Peek() == kEnd) return Error("missing '}'");
      modifier = NextRune();
      absl::StrAppend(&modifiers, modifier);
    }
    const char op = modifier.size() == 1 ? modifier[0] : '\0';
    const bool pattern_op = op == '#' || op == '%';
    if (op != '-' && op != '+' && op != '?' && !pattern_op) {
      return Unsupported(open, modifiers);
    }
    if (null_is_unset && pattern_op) return Unsupported(open, modifiers);
    std::string word;
    Words ignored;
    absl::Status read = StopOn('}', pattern_op, &word, &ignored);
    if (!read.ok()) {
      return Peek() == kEnd ? Error("missing '}'") : read;
    }
    if (options_.skip_unset && value == nullptr) {
      *out = absl::StrCat("${", name, modifiers, word, "}");
      return absl::OkStatus();
    }
    const bool set = value != nullptr && !(null_is_unset && value->empty());
    switch (op) {
      case '-':
        *out = set ? *value : word;
        return absl::OkStatus();
      case '+':
        *out = set ? word : "";
        return absl::OkStatus();
      case '?':
        if (value == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              name, ": ", word.empty() ? "is not allowed to be unset" : word));
        }
        if (!set) {
          return absl::InvalidArgumentError(absl::StrCat(
              name, ": ", word.empty() ? "is not allowed to be empty" : word));
        }
        *out = *value;
        return absl::OkStatus();
      default:
        break;
    }
    // ${V#p} ${V##p} ${V%p} ${V%%p}: shortest or longest match.
    bool greedy = false;
    if (!word.empty() && word[0] == op) {
      greedy = true;
      word.erase(0, 1);
    }
    const std::string subject = value == nullptr ? "" : *value;
    if (op == '#') {
      IG_ASSIGN_OR_RETURN(std::vector<GlobToken> tokens, CompilePattern(word));
      absl::StatusOr<std::string> trimmed =
          TrimPrefix(tokens, subject, greedy, &steps_);
      if (!trimmed.ok()) return Wrap(trimmed.status());
      *out = *std::move(trimmed);
      return absl::OkStatus();
    }
    // A suffix is a prefix of the reversed value, for the reversed pattern.
    IG_ASSIGN_OR_RETURN(std::vector<GlobToken> tokens, CompilePattern(word));
    std::reverse(tokens.begin(), tokens.end());
    absl::StatusOr<std::string> trimmed =
        TrimPrefix(tokens, ReverseRunes(subject), greedy, &steps_);
    if (!trimmed.ok()) return Wrap(trimmed.status());
    *out = ReverseRunes(*trimmed);
    return absl::OkStatus();
  }

  absl::Status Replace(const std::string& name, const std::string* value,
                       std::string* out) {
    const bool all = Peek() == '/';
    if (all) ++pos_;
    std::string pattern;
    Words ignored;
    absl::Status read = StopOn('/', true, &pattern, &ignored);
    if (!read.ok()) {
      return Peek() == kEnd ? Error("missing '/' in ${NAME/pattern/string}")
                            : read;
    }
    std::string replacement;
    read = StopOn('}', true, &replacement, &ignored);
    if (!read.ok()) return Peek() == kEnd ? Error("missing '}'") : read;
    if (options_.skip_unset && value == nullptr) {
      *out = absl::StrCat("${", name, "/", pattern, "/", replacement, "}");
      return absl::OkStatus();
    }
    IG_ASSIGN_OR_RETURN(std::vector<GlobToken> tokens, CompilePattern(pattern));
    absl::StatusOr<std::string> replaced = ReplaceMatches(
        tokens, value == nullptr ? "" : *value, replacement, all, &steps_);
    if (!replaced.ok()) return Wrap(replaced.status());
    *out = *std::move(replaced);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<GlobToken>> CompilePattern(
      absl::string_view pattern) const {
    absl::StatusOr<std::vector<GlobToken>> tokens = CompileGlob(pattern);
    if (!tokens.ok()) {
      return Error(absl::StrCat("invalid pattern \"", Excerpt(pattern),
                                "\": ", tokens.status().message()));
    }
    return tokens;
  }

  absl::Status Wrap(const absl::Status& status) const {
    return Error(status.message());
  }

  absl::Status Unsupported(size_t open, absl::string_view modifiers) const {
    return Error(absl::StrCat(
        "unsupported substitution ", Excerpt(input_.substr(open, pos_ - open)),
        "...}", " (modifier \"", modifiers,
        "\"): use ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m} ${V#p} ${V##p} "
        "${V%p} ${V%%p} ${V/p/r} or ${V//p/r}"));
  }

  absl::string_view input_;
  const ShellVariables& variables_;
  const ShellLexOptions& options_;
  bool raw_escapes_;
  size_t pos_ = 0;
  int depth_ = 0;
  long steps_ = 0;
};

}  // namespace

size_t Utf8Length(absl::string_view s, size_t pos) {
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  size_t length = c < 0x80    ? 1
                  : c >= 0xF0 ? 4
                  : c >= 0xE0 ? 3
                  : c >= 0xC0 ? 2
                              : 1;
  if (length == 1 || pos + length > s.size()) return 1;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(s[pos + i]) & 0xC0) != 0x80) return 1;
  }
  return length;
}

void AppendUtf8(std::string* out, uint32_t code) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

bool IsShellNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

size_t SpaceLengthAt(absl::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c < 0x80) return 0;
  const size_t length = Utf8Length(s, pos);
  if (length == 1) return 0;
  uint32_t cp = c & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (size_t i = 1; i < length; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  }
  const bool space = cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
                     (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                     cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                     cp == 0x3000;
  return space ? length : 0;
}

absl::string_view TrimLeadingSpace(absl::string_view s) {
  size_t length;
  while ((length = SpaceLengthAt(s, 0)) > 0) s.remove_prefix(length);
  return s;
}

absl::string_view TrimSpace(absl::string_view s) {
  s = TrimLeadingSpace(s);
  // Trailing: find the last character that is not white space.
  size_t end = 0;
  for (size_t pos = 0; pos < s.size();) {
    const size_t space = SpaceLengthAt(s, pos);
    if (space > 0) {
      pos += space;
    } else {
      pos += Utf8Length(s, pos);
      end = pos;
    }
  }
  return s.substr(0, end);
}

absl::StatusOr<std::string> ExpandWord(absl::string_view word,
                                       const ShellVariables& variables,
                                       char escape) {
  ShellLexOptions options;
  options.escape = escape;
  return ExpandWord(word, variables, options);
}

absl::StatusOr<std::string> ExpandWord(absl::string_view word,
                                       const ShellVariables& variables,
                                       const ShellLexOptions& options) {
  std::string result;
  std::vector<std::string> words;
  IG_RETURN_IF_ERROR(Lexer(word, variables, options).Run(&result, &words));
  return result;
}

absl::StatusOr<std::vector<std::string>> ExpandWords(
    absl::string_view text, const ShellVariables& variables,
    const ShellLexOptions& options) {
  std::string result;
  std::vector<std::string> words;
  IG_RETURN_IF_ERROR(Lexer(text, variables, options).Run(&result, &words));
  return words;
}

}  // namespace imagegraph
