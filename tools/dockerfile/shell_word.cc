#include "tools/dockerfile/shell_word.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr size_t kNpos = std::string::npos;

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
      while (pos_ < word_.size() && IsShellNameChar(word_[pos_])) ++pos_;
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
    while (pos_ < word_.size() && IsShellNameChar(word_[pos_])) ++pos_;
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

}  // namespace

bool IsShellNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::vector<RawWord> SplitShellWords(absl::string_view s, size_t base,
                                     char escape) {
  std::vector<RawWord> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsShellBlank(s[i])) ++i;
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
      } else if (IsShellBlank(c)) {
        break;
      }
      ++i;
    }
    words.push_back({std::string(s.substr(begin, i - begin)), base + begin});
  }
  return words;
}

absl::StatusOr<std::string> ExpandWord(
    absl::string_view word,
    const absl::flat_hash_map<std::string, std::string>& variables,
    char escape) {
  return WordExpander(word, variables, escape).Expand();
}

}  // namespace imagegraph
