#include "tools/dockerfile/buildkit_syntax.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/dockerfile/shell_word.h"

namespace imagegraph {
namespace {

constexpr size_t kNpos = std::string::npos;

// Go's regexp `\s`: [\t\n\f\r ].
bool IsRegexpSpace(char c) {
  return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

// BuildKit appends a byte as the character of that code point (so bytes
// over 0x7F come out as two UTF-8 bytes); flags are read that way.
void AppendByteAsRune(std::string* out, char c) {
  AppendUtf8(out, static_cast<unsigned char>(c));
}

// A JSON validator as strict as Go's encoding/json (which BuildKit uses to
// recognise the exec form), iterative so that nesting cannot exhaust the
// stack; Go refuses nesting deeper than 10000.
class JsonScanner {
 public:
  explicit JsonScanner(absl::string_view text) : text_(text) {}

  // Scans the whole text as one JSON value. For a top-level array, fills
  // `strings` with its string elements and sets `all_strings`.
  bool Scan(std::vector<std::string>* strings, bool* all_strings) {
    constexpr size_t kMaxDepth = 10000;
    std::vector<char> stack;  // '[' or '{'
    *all_strings = true;
    while (true) {
      // A value.
      SkipSpace();
      if (pos_ >= text_.size()) return false;
      const bool element = stack.size() == 1 && stack[0] == '[';
      const char c = text_[pos_];
      if (c == '[' || c == '{') {
        if (element) *all_strings = false;
        stack.push_back(c);
        if (stack.size() > kMaxDepth) return false;
        ++pos_;
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == (c == '[' ? ']' : '}')) {
          ++pos_;
          stack.pop_back();
        } else if (c == '{') {
          if (!Key()) return false;
          continue;
        } else {
          continue;
        }
      } else if (c == '"') {
        std::string value;
        if (!String(&value)) return false;
        if (element) strings->push_back(std::move(value));
      } else {
        if (!Literal()) return false;
        if (element) *all_strings = false;
      }
      // After a value: commas and closing brackets.
      while (true) {
        SkipSpace();
        if (stack.empty()) return pos_ == text_.size();
        if (pos_ >= text_.size()) return false;
        const char next = text_[pos_++];
        if (next == ',') {
          if (stack.back() == '{' && !Key()) return false;
          break;
        }
        if ((next == ']' && stack.back() == '[') ||
            (next == '}' && stack.back() == '{')) {
          stack.pop_back();
          continue;
        }
        return false;
      }
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // `"key" :` in an object.
  bool Key() {
    SkipSpace();
    std::string key;
    if (pos_ >= text_.size() || text_[pos_] != '"' || !String(&key)) {
      return false;
    }
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != ':') return false;
    ++pos_;
    return true;
  }

  bool Hex4(uint32_t* value) {
    if (pos_ + 4 > text_.size()) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      *value <<= 4;
      if (h >= '0' && h <= '9') {
        *value |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        *value |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        *value |= h - 'A' + 10;
      } else {
        return false;
      }
    }
    return true;
  }

  bool String(std::string* out) {
    ++pos_;  // '"'
    while (pos_ < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        const size_t length = Utf8Length(text_, pos_);
        if (length == 1 && c >= 0x80) {
          AppendUtf8(out, 0xFFFD);  // Go replaces invalid UTF-8
        } else {
          absl::StrAppend(out, text_.substr(pos_, length));
        }
        pos_ += length;
        continue;
      }
      if (++pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            // A surrogate pair, or U+FFFD for a lone one.
            uint32_t low;
            const size_t saved = pos_;
            if (pos_ + 2 <= text_.size() && text_[pos_] == '\\' &&
                text_[pos_ + 1] == 'u' && (pos_ += 2, Hex4(&low)) &&
                low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = saved;
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            cp = 0xFFFD;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Literal() {
    for (absl::string_view word : {"true", "false", "null"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return true;
      }
    }
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    auto digits = [&]() {
      const size_t start = pos_;
      while (pos_ < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      return pos_ - start;
    };
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return false;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (digits() == 0) return false;
    }
    return true;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool IsGoSpaceByte(char c) {
  const unsigned char byte = static_cast<unsigned char>(c);
  return byte == ' ' || (byte >= '\t' && byte <= '\r') || byte == 0x85 ||
         byte == 0xA0;
}

bool IsTokenWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

bool MatchDirective(absl::string_view line, std::string* name,
                    std::string* value) {
  // ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
  size_t i = 0;
  if (line.empty() || line[0] != '#') return false;
  ++i;
  while (i < line.size() && IsRegexpSpace(line[i])) ++i;
  const size_t name_start = i;
  if (i >= line.size() || !absl::ascii_isalpha(line[i])) return false;
  while (i < line.size() && absl::ascii_isalnum(line[i])) ++i;
  *name = std::string(line.substr(name_start, i - name_start));
  while (i < line.size() && IsRegexpSpace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  absl::string_view rest = line.substr(i);
  size_t skip = 0;
  while (skip < rest.size() && IsRegexpSpace(rest[skip])) ++skip;
  if (rest.empty()) return false;
  if (skip == rest.size()) {
    // All blanks: the lazy value takes the last one.
    *value = std::string(rest.substr(rest.size() - 1));
    return true;
  }
  rest.remove_prefix(skip);
  size_t end = rest.size();
  while (end > 0 && IsRegexpSpace(rest[end - 1])) --end;
  *value = std::string(rest.substr(0, end));
  return true;
}

size_t ExtractBuilderFlags(absl::string_view line,
                           std::vector<BuilderFlag>* flags) {
  enum class Phase { kSpaces, kWord, kQuote };
  Phase phase = Phase::kSpaces;
  std::string word;
  size_t word_begin = 0;
  char quote = 0;
  bool blank_ok = false;
  auto push = [&](size_t end) {
    BuilderFlag flag;
    flag.word = word;
    flag.begin = word_begin;
    flag.exact = line.substr(word_begin, end - word_begin) == word;
    flags->push_back(std::move(flag));
  };
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char c = pos < line.size() ? line[pos] : '\0';
    if (phase == Phase::kSpaces) {
      if (pos == line.size()) break;
      if (IsGoSpaceByte(c)) continue;
      if (c != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        return pos;
      }
      phase = Phase::kWord;
      word_begin = pos;
    }
    if (pos == line.size()) {
      if (word == "--") {
        push(pos);
      } else if (blank_ok || !word.empty()) {
        push(pos);
      }
      break;
    }
    if (phase == Phase::kWord) {
      if (IsGoSpaceByte(c)) {
        phase = Phase::kSpaces;
        if (word == "--") {
          push(pos);
          return pos;
        }
        if (blank_ok || !word.empty()) push(pos);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        phase = Phase::kQuote;
        continue;
      }
      if (c == '\\') {
        if (pos + 1 == line.size()) continue;
        c = line[++pos];
      }
      AppendByteAsRune(&word, c);
      continue;
    }
    // Phase::kQuote
    if (c == quote) {
      phase = Phase::kWord;
      continue;
    }
    if (c == '\\') {
      if (pos + 1 == line.size()) {
        phase = Phase::kWord;
        continue;
      }
      c = line[++pos];
    }
    AppendByteAsRune(&word, c);
  }
  return kNpos;
}

std::vector<std::string> ParseWords(absl::string_view text, char escape) {
  enum class Phase { kSpaces, kWord, kQuote };
  std::vector<std::string> words;
  Phase phase = Phase::kSpaces;
  char quote = 0;
  bool blank_ok = false;
  std::string word;
  size_t pos = 0;
  while (pos <= text.size()) {
    const bool at_end = pos == text.size();
    const size_t width = at_end ? 0 : Utf8Length(text, pos);
    absl::string_view rune = at_end ? "" : text.substr(pos, width);
    const bool space = !at_end && SpaceLengthAt(text, pos) > 0;
    if (phase == Phase::kSpaces) {
      if (at_end) break;
      if (space) {
        pos += width;
        continue;
      }
      phase = Phase::kWord;
    }
    if (at_end) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == Phase::kWord) {
      if (space) {
        phase = Phase::kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        pos += width;
        continue;
      }
      if (rune == "'" || rune == "\"") {
        quote = rune[0];
        blank_ok = true;
        phase = Phase::kQuote;
      }
      if (rune.size() == 1 && rune[0] == escape) {
        if (pos + width == text.size()) {
          pos += width;
          continue;  // an escape at the end is dropped
        }
        absl::StrAppend(&word, rune);
        pos += width;
        rune = text.substr(pos, Utf8Length(text, pos));
      }
      absl::StrAppend(&word, rune);
      pos += rune.size();
      continue;
    }
    // Phase::kQuote
    if (rune.size() == 1 && rune[0] == quote) phase = Phase::kWord;
    if (rune.size() == 1 && rune[0] == escape && quote != '\'') {
      if (pos + width == text.size()) {
        phase = Phase::kWord;
        pos += width;
        continue;
      }
      absl::StrAppend(&word, rune);
      pos += width;
      rune = text.substr(pos, Utf8Length(text, pos));
    }
    absl::StrAppend(&word, rune);
    pos += rune.size();
  }
  return words;
}

std::vector<WordSpan> SplitOnWhitespace(absl::string_view text, size_t limit) {
  std::vector<WordSpan> words;
  if (text.empty()) return words;
  size_t start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsTokenWhitespace(text[pos]) ||
        (limit != 0 && words.size() + 1 == limit)) {
      ++pos;
      continue;
    }
    words.push_back({start, pos - start});
    while (pos < text.size() && IsTokenWhitespace(text[pos])) ++pos;
    start = pos;
  }
  words.push_back({start, text.size() - start});
  return words;
}

JsonArray ParseJsonStringArray(absl::string_view text,
                               std::vector<std::string>* values) {
  text = TrimLeadingSpace(text);
  if (text.empty() || text[0] != '[') return JsonArray::kNotJson;
  std::vector<std::string> strings;
  bool all_strings = true;
  if (!JsonScanner(text).Scan(&strings, &all_strings)) {
    return JsonArray::kNotJson;
  }
  if (!all_strings) return JsonArray::kNotStrings;
  *values = std::move(strings);
  return JsonArray::kStrings;
}

std::vector<std::string> HeredocCandidateWords(absl::string_view line) {
  ShellLexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset = true;
  absl::StatusOr<std::vector<std::string>> words =
      ExpandWords(line, ShellVariables(), options);
  return words.ok() ? *std::move(words) : std::vector<std::string>();
}

absl::StatusOr<std::optional<HeredocWord>> ParseHeredocWord(
    absl::string_view word) {
  // ^(\d*)<<(-?)\s*([^<]*)$
  size_t i = 0;
  while (i < word.size() && absl::ascii_isdigit(word[i])) ++i;
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  HeredocWord heredoc;
  if (i < word.size() && word[i] == '-') {
    heredoc.strip_tabs = true;
    ++i;
  }
  while (i < word.size() && IsRegexpSpace(word[i])) ++i;
  absl::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != absl::string_view::npos) {
    return std::nullopt;
  }
  ShellLexOptions options;
  options.skip_unset = true;
  absl::StatusOr<std::vector<std::string>> words =
      ExpandWords(rest, ShellVariables(), options);
  if (!words.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("here-document <<", rest, ": ", words.status().message()));
  }
  if (words->size() != 1) return std::nullopt;
  heredoc.name = (*words)[0];
  return heredoc;
}

bool IsValidStageName(absl::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

namespace {

// One record of Go's encoding/csv (comma-separated, `"` quotes, `""` for a
// quote inside them); nullopt when it is not valid CSV. Each field keeps
// its offset in `text` when it was not quoted.
std::optional<std::vector<std::pair<std::string, size_t>>> CsvRecord(
    absl::string_view text) {
  if (text.empty()) return std::nullopt;
  std::vector<std::pair<std::string, size_t>> fields;
  size_t pos = 0;
  while (true) {
    if (pos < text.size() && text[pos] == '"') {
      std::string field;
      ++pos;
      while (true) {
        if (pos >= text.size()) return std::nullopt;
        if (text[pos] == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            field.push_back('"');
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        field.push_back(text[pos++]);
      }
      fields.emplace_back(std::move(field), kNpos);
      if (pos == text.size()) return fields;
      if (text[pos] != ',') return std::nullopt;
      ++pos;
      continue;
    }
    size_t comma = text.find(',', pos);
    absl::string_view field = text.substr(pos, comma == absl::string_view::npos
                                                   ? absl::string_view::npos
                                                   : comma - pos);
    if (field.find('"') != absl::string_view::npos) return std::nullopt;
    fields.emplace_back(std::string(field), pos);
    if (comma == absl::string_view::npos) return fields;
    pos = comma + 1;
  }
}

}  // namespace

bool HasVariable(absl::string_view value) {
  size_t dollar = value.find('$');
  return dollar != absl::string_view::npos && dollar + 1 != value.size();
}

std::vector<MountField> MountFields(absl::string_view mount) {
  std::vector<MountField> fields;
  std::optional<std::vector<std::pair<std::string, size_t>>> record =
      CsvRecord(mount);
  if (!record.has_value()) return fields;
  for (const auto& [field, offset] : *record) {
    size_t equals = field.find('=');
    if (equals == std::string::npos) continue;
    MountField parsed;
    parsed.key = absl::AsciiStrToLower(field.substr(0, equals));
    parsed.value = field.substr(equals + 1);
    if (offset != kNpos) parsed.offset = offset + equals + 1;
    fields.push_back(std::move(parsed));
  }
  return fields;
}

absl::Status CheckRunFlags(const std::vector<BuilderFlag>& flags) {
  for (const BuilderFlag& flag : flags) {
    if (flag.word == "--") break;
    absl::string_view word = flag.word;
    absl::ConsumePrefix(&word, "--");
    size_t equals = word.find('=');
    if (equals == absl::string_view::npos) continue;
    absl::string_view name = word.substr(0, equals);
    absl::string_view value = word.substr(equals + 1);
    if (name == "mount") {
      if (!CsvRecord(value).has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("RUN --mount=", value,
                         " is not a list of comma-separated key=value fields"));
      }
      for (const MountField& field : MountFields(value)) {
        if (field.key == "from" && HasVariable(field.value)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "RUN --mount=", value,
              ": BuildKit does not expand variables in a mount's from: "
              "define a stage FROM <image> AS <name> (its ARGs declared "
              "before the first FROM) and use its name"));
        }
      }
    } else if (name == "network") {
      if (value != "default" && value != "none" && value != "host") {
        return absl::InvalidArgumentError(
            absl::StrCat("RUN --network=", value,
                         " is not a network mode: use default, none or host"));
      }
    } else if (name == "security") {
      if (value != "sandbox" && value != "insecure") {
        return absl::InvalidArgumentError(
            absl::StrCat("RUN --security=", value,
                         " is not a security mode: use sandbox or insecure"));
      }
    }
  }
  return absl::OkStatus();
}

std::optional<int64_t> ParseGoDuration(absl::string_view text) {
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  const uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || absl::ascii_isdigit(s[0]))) return std::nullopt;
    uint64_t whole = 0;
    size_t i = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) {
      if (whole > (kMax - 1) / 10) return std::nullopt;
      whole = whole * 10 + (s[i] - '0');
      if (whole > kMax) return std::nullopt;
      ++i;
    }
    const bool had_whole = i > 0;
    s.remove_prefix(i);
    uint64_t fraction = 0;
    double scale = 1;
    bool had_fraction = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      while (j < s.size() && absl::ascii_isdigit(s[j])) {
        if (!overflow) {
          if (fraction > (kMax - 1) / 10) {
            overflow = true;  // further digits are ignored, as Go does
          } else {
            fraction = fraction * 10 + (s[j] - '0');
            scale *= 10;
          }
        }
        ++j;
      }
      had_fraction = j > 0;
      s.remove_prefix(j);
    }
    if (!had_whole && !had_fraction) return std::nullopt;
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !absl::ascii_isdigit(s[u])) ++u;
    absl::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xC2\xB5s" ||
               unit_name == "\xCE\xBCs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000000;
    } else if (unit_name == "s") {
      unit = 1000000000;
    } else if (unit_name == "m") {
      unit = 60 * uint64_t{1000000000};
    } else if (unit_name == "h") {
      unit = 3600 * uint64_t{1000000000};
    } else {
      return std::nullopt;
    }
    if (whole > kMax / unit) return std::nullopt;
    whole *= unit;
    if (fraction > 0) {
      whole += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(unit) / scale));
      if (whole > kMax) return std::nullopt;
    }
    total += whole;
    if (total > kMax) return std::nullopt;
  }
  if (negative)
    return total == kMax ? std::numeric_limits<int64_t>::min()
                         : -static_cast<int64_t>(total);
  if (total > kMax - 1) return std::nullopt;
  return static_cast<int64_t>(total);
}

bool ParseGoInt32(absl::string_view text, int32_t* value) {
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  int64_t parsed;
  if (!absl::SimpleAtoi(text, &parsed)) return false;
  if (parsed < std::numeric_limits<int32_t>::min() ||
      parsed > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *value = static_cast<int32_t>(parsed);
  return true;
}

}  // namespace imagegraph
