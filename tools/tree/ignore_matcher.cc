#include "tools/tree/ignore_matcher.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

// Decodes one UTF-8 character at the start of `s` (non-empty); an invalid
// sequence counts as one byte so matching never stalls.
std::pair<uint32_t, size_t> DecodeRune(absl::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len = 1;
  uint32_t cp = b0;
  if (b0 >= 0xF0 && b0 < 0xF8) {
    len = 4;
    cp = b0 & 0x07;
  } else if (b0 >= 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  }
  if (len == 1 || len > s.size()) return {b0, 1};
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {b0, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

}  // namespace

std::string CleanPath(absl::string_view path) {
  const bool rooted = absl::StartsWith(path, "/");
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (rooted) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

absl::StatusOr<IgnoreMatcher::Pattern> IgnoreMatcher::Compile(
    absl::string_view p) {
  Pattern pattern;
  size_t i = 0;
  while (i < p.size()) {
    const char ch = p[i];
    Token token;
    if (ch == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        i += 2;
        if (i < p.size() && p[i] == '/') ++i;  // "**/" behaves as "**"
        token.kind = i == p.size() ? TokenKind::kDoubleStarEnd
                                   : TokenKind::kDoubleStarSlash;
      } else {
        ++i;
        token.kind = TokenKind::kStar;
      }
    } else if (ch == '?') {
      ++i;
      token.kind = TokenKind::kQuestion;
    } else if (ch == '\\') {
      if (i + 1 >= p.size()) {
        return absl::InvalidArgumentError("pattern ends with a lone '\\'");
      }
      token.kind = TokenKind::kLiteral;
      token.literal = p[i + 1];
      i += 2;
    } else if (ch == '[') {
      token.kind = TokenKind::kClass;
      ++i;
      if (i < p.size() && p[i] == '^') {
        token.negated = true;
        ++i;
      }
      bool closed = false;
      bool first = true;
      while (i < p.size()) {
        if (p[i] == ']' && !first) {
          closed = true;
          ++i;
          break;
        }
        first = false;
        if (p[i] == '\\' && i + 1 < p.size()) ++i;
        auto [lo, lo_len] = DecodeRune(p.substr(i));
        i += lo_len;
        uint32_t hi = lo;
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
          ++i;
          if (p[i] == '\\' && i + 1 < p.size()) ++i;
          auto [h, h_len] = DecodeRune(p.substr(i));
          i += h_len;
          hi = h;
          if (hi < lo) {
            return absl::InvalidArgumentError(
                "character range is out of order");
          }
        }
        token.ranges.emplace_back(lo, hi);
      }
      if (!closed) {
        return absl::InvalidArgumentError("'[' has no matching ']'");
      }
    } else {
      ++i;
      token.kind = TokenKind::kLiteral;
      token.literal = ch;
    }
    pattern.tokens.push_back(std::move(token));
  }
  return pattern;
}

bool IgnoreMatcher::MatchPattern(const Pattern& pattern,
                                 absl::string_view path) {
  const std::vector<Token>& tokens = pattern.tokens;
  const size_t n = path.size();
  // memo[t * (n + 1) + s]: 0 unknown, 1 false, 2 true. Bounds the
  // backtracking of `*` and `**` to polynomial time.
  std::vector<char> memo((tokens.size() + 1) * (n + 1), 0);
  auto match = [&](auto&& self, size_t t, size_t s) -> bool {
    char& slot = memo[t * (n + 1) + s];
    if (slot != 0) return slot == 2;
    bool result = false;
    if (t == tokens.size()) {
      result = s == n;
    } else {
      const Token& token = tokens[t];
      switch (token.kind) {
        case TokenKind::kLiteral:
          result =
              s < n && path[s] == token.literal && self(self, t + 1, s + 1);
          break;
        case TokenKind::kQuestion:
          if (s < n && path[s] != '/') {
            result = self(self, t + 1, s + DecodeRune(path.substr(s)).second);
          }
          break;
        case TokenKind::kClass:
          if (s < n) {
            auto [cp, len] = DecodeRune(path.substr(s));
            bool in = false;
            for (const auto& [lo, hi] : token.ranges) {
              if (cp >= lo && cp <= hi) in = true;
            }
            if (in != token.negated) result = self(self, t + 1, s + len);
          }
          break;
        case TokenKind::kStar:
          for (size_t e = s;; ++e) {
            if (self(self, t + 1, e)) {
              result = true;
              break;
            }
            if (e == n || path[e] == '/') break;
          }
          break;
        case TokenKind::kDoubleStarSlash:
          result = self(self, t + 1, s);
          for (size_t e = s; !result && e < n; ++e) {
            if (path[e] == '/') result = self(self, t + 1, e + 1);
          }
          break;
        case TokenKind::kDoubleStarEnd:
          result = true;
          break;
      }
    }
    slot = result ? 2 : 1;
    return result;
  };
  return match(match, 0, 0);
}

absl::StatusOr<IgnoreMatcher> IgnoreMatcher::Parse(
    absl::string_view text, absl::string_view display_path) {
  IgnoreMatcher matcher;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line_number == 1) line = absl::StripPrefix(line, "\xEF\xBB\xBF");
    if (absl::StartsWith(line, "#")) continue;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    bool exception = false;
    if (line[0] == '!') {
      exception = true;
      line = absl::StripAsciiWhitespace(line.substr(1));
      if (line.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            display_path, ":", line_number,
            ": a lone \"!\" excludes nothing; write !PATTERN or remove the "
            "line"));
      }
    }
    std::string cleaned = CleanPath(line);
    if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    absl::StatusOr<Pattern> pattern = Compile(cleaned);
    if (!pattern.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(display_path, ":", line_number, ": pattern \"", line,
                       "\" is malformed: ", pattern.status().message()));
    }
    pattern->exception = exception;
    matcher.has_exceptions_ |= exception;
    matcher.patterns_.push_back(*std::move(pattern));
  }
  return matcher;
}

bool IgnoreMatcher::Excludes(absl::string_view path) const {
  bool matched = false;
  for (const Pattern& pattern : patterns_) {
    // An include pattern cannot change an already excluded path, nor an
    // exception an included one.
    if (pattern.exception != matched) continue;
    bool match = MatchPattern(pattern, path);
    for (size_t slash = path.find('/'); !match && slash != path.npos;
         slash = path.find('/', slash + 1)) {
      match = MatchPattern(pattern, path.substr(0, slash));
    }
    if (match) matched = !pattern.exception;
  }
  return matched;
}

}  // namespace imagegraph
