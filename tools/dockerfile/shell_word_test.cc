#include "tools/dockerfile/shell_word.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Expand(const std::string& word, const ShellVariables& vars,
                   char escape = '\\') {
  absl::StatusOr<std::string> expanded = ExpandWord(word, vars, escape);
  EXPECT_TRUE(expanded.ok()) << word << ": " << expanded.status();
  return expanded.ok() ? *expanded : "<error>";
}

std::string ExpandError(const std::string& word, const ShellVariables& vars) {
  absl::StatusOr<std::string> expanded = ExpandWord(word, vars);
  EXPECT_FALSE(expanded.ok()) << word << " expanded to " << *expanded;
  return expanded.ok() ? "" : std::string(expanded.status().message());
}

TEST(ExpandWordTest, DefaultAndAlternativeForms) {
  const ShellVariables vars = {{"A", "x"}, {"EMPTY", ""}};
  EXPECT_EQ(Expand("$A", vars), "x");
  EXPECT_EQ(Expand("${A}y", vars), "xy");
  EXPECT_EQ(Expand("$A-$UNSET-", vars), "x--");
  EXPECT_EQ(Expand("${UNSET:-d}", vars), "d");
  EXPECT_EQ(Expand("${EMPTY:-d}", vars), "d");
  EXPECT_EQ(Expand("${EMPTY-d}", vars), "");
  EXPECT_EQ(Expand("${UNSET-d}", vars), "d");
  EXPECT_EQ(Expand("${A:-d}", vars), "x");
  EXPECT_EQ(Expand("${A:+alt}", vars), "alt");
  EXPECT_EQ(Expand("${EMPTY:+alt}", vars), "");
  EXPECT_EQ(Expand("${EMPTY+alt}", vars), "alt");
  EXPECT_EQ(Expand("${UNSET+alt}", vars), "");
  EXPECT_EQ(Expand("${UNSET:-${A}z}", vars), "xz");
  EXPECT_EQ(Expand("${A?}", vars), "x");
}

TEST(ExpandWordTest, QuotesAndEscapes) {
  const ShellVariables vars = {{"A", "x"}};
  EXPECT_EQ(Expand("'$A'\"$A\"\\$A", vars), "$Ax$A");
  EXPECT_EQ(Expand("a\\nb", vars), "anb");
  EXPECT_EQ(Expand("\"a\\nb\"", vars), "a\\nb");
  EXPECT_EQ(Expand("\"a\\\"b\\$A\"", vars), "a\"b$A");
  EXPECT_EQ(Expand("`$A", vars, '`'), "$A");
  EXPECT_EQ(Expand("\\$A", vars, '`'), "\\x");
}

// BuildKit's lexer: a `$` before anything but a name stays; a trailing
// escape is dropped.
TEST(ExpandWordTest, DollarAndTrailingEscape) {
  const ShellVariables vars;
  EXPECT_EQ(Expand("a$", vars), "a$");
  EXPECT_EQ(Expand("a$/b", vars), "a$/b");
  EXPECT_EQ(Expand("a\\", vars), "a");
  EXPECT_EQ(ExpandError("\"a\\\"", vars),
            "unterminated double quote in \"a\\\"");
}

TEST(ExpandWordTest, SpecialAndPositionalParameters) {
  // Looked up like any variable: unset unless given.
  const ShellVariables none;
  for (const char* word : {"$@", "$*", "$#", "$?", "$$", "$!", "$-", "$0"}) {
    EXPECT_EQ(Expand(word, none), "") << word;
  }
  EXPECT_EQ(Expand("$1x", none), "x");
  EXPECT_EQ(Expand("$12x", none), "x");
  EXPECT_EQ(Expand("${#}", none), "");
  const ShellVariables given = {{"1", "one"}, {"@", "all"}, {"$", "pid"}};
  EXPECT_EQ(Expand("$1x-$@-$$-${1}", given), "onex-all-pid-one");
}

TEST(ExpandWordTest, PrefixAndSuffixRemoval) {
  const ShellVariables vars = {
      {"V", "a.b.c.txt"}, {"STAR", "xx**"}, {"IMAGE", "idlebox"}};
  EXPECT_EQ(Expand("${V#*.}", vars), "b.c.txt");
  EXPECT_EQ(Expand("${V##*.}", vars), "txt");
  EXPECT_EQ(Expand("${V%.*}", vars), "a.b.c");
  EXPECT_EQ(Expand("${V%%.*}", vars), "a");
  EXPECT_EQ(Expand("${V#a?b}", vars), ".c.txt");
  EXPECT_EQ(Expand("${V#nomatch}", vars), "a.b.c.txt");
  EXPECT_EQ(Expand("busy${IMAGE#idle}", vars), "busybox");
  EXPECT_EQ(Expand("${STAR%%\\**}", vars), "xx");
  EXPECT_EQ(Expand("${STAR%\\*}", vars), "xx*");
  EXPECT_EQ(Expand("${UNSET#x}", vars), "");
}

TEST(ExpandWordTest, Replacement) {
  const ShellVariables vars = {{"V", "a-b-c"}, {"P", "/usr/local/bin"}};
  EXPECT_EQ(Expand("${V/-/+}", vars), "a+b-c");
  EXPECT_EQ(Expand("${V//-/+}", vars), "a+b+c");
  EXPECT_EQ(Expand("${V/b*/x}", vars), "a-x");
  EXPECT_EQ(Expand("${V//?/.}", vars), ".....");
  EXPECT_EQ(Expand("${P//\\//:}", vars), ":usr:local:bin");
  EXPECT_EQ(Expand("${V/z/y}", vars), "a-b-c");
  EXPECT_EQ(Expand("${V//x*/}", vars), "a-b-c");
  // An empty pattern matches between characters, as Go's regexp does.
  EXPECT_EQ(Expand("${V///+}", vars), "+a+-+b+-+c+");
}

TEST(ExpandWordTest, PatternsDoNotCrossNewlines) {
  const ShellVariables vars = {{"V", "a\nb"}};
  EXPECT_EQ(Expand("${V#*b}", vars), "a\nb");
  EXPECT_EQ(Expand("${V#a?b}", vars), "a\nb");
}

TEST(ExpandWordTest, Errors) {
  const ShellVariables vars = {{"EMPTY", ""}};
  EXPECT_EQ(ExpandError("${A", vars), "missing '}' in ${A");
  EXPECT_EQ(ExpandError("${A:-x", vars), "missing '}' in ${A:-x");
  EXPECT_EQ(ExpandError("'a", vars), "unterminated single quote in 'a");
  EXPECT_EQ(ExpandError("\"a", vars), "unterminated double quote in \"a");
  EXPECT_EQ(ExpandError("${A:?needs A}", vars), "A: needs A");
  EXPECT_EQ(ExpandError("${A?}", vars), "A: is not allowed to be unset");
  EXPECT_EQ(ExpandError("${EMPTY:?}", vars),
            "EMPTY: is not allowed to be empty");
  EXPECT_THAT(ExpandError("${}", vars), HasSubstr("bad substitution"));
  EXPECT_THAT(ExpandError("${:a}", vars), HasSubstr("bad substitution"));
  EXPECT_THAT(
      ExpandError("${A:#x}", vars),
      HasSubstr("unsupported substitution ${A:#...} (modifier \":#\")"));
  EXPECT_THAT(ExpandError("${A=x}", vars),
              HasSubstr("unsupported substitution ${A=...} (modifier \"=\")"));
  EXPECT_THAT(ExpandError("${A/x}", vars),
              HasSubstr("missing '/' in ${NAME/pattern/string}"));
  EXPECT_THAT(ExpandError("${EMPTY#\\a}", vars),
              HasSubstr("invalid pattern \"\\a\": invalid escape '\\a'"));
}

TEST(ExpandWordTest, NestingIsBoundedWithAClearError) {
  // 20,000 nested ${A:-...}: refused, not a stack overflow.
  std::string word;
  for (int i = 0; i < 20000; ++i) word += "${A:-";
  word += "x";
  for (int i = 0; i < 20000; ++i) word += "}";
  EXPECT_THAT(ExpandError(word, {}),
              HasSubstr("${...} and quotes nested more than 100 deep"));
  // Within the bound it expands.
  std::string shallow;
  for (int i = 0; i < 90; ++i) shallow += "${A:-";
  shallow += "x";
  for (int i = 0; i < 90; ++i) shallow += "}";
  EXPECT_EQ(Expand(shallow, {}), "x");
}

TEST(ExpandWordTest, ResultSizeIsBounded) {
  const ShellVariables vars = {{"BIG", std::string(600000, 'x')}};
  EXPECT_EQ(Expand("$BIG", vars).size(), 600000u);
  EXPECT_THAT(ExpandError("$BIG$BIG", vars),
              HasSubstr("the expansion is over 1048576 bytes"));
}

TEST(ExpandWordTest, PatternWorkIsBounded) {
  const ShellVariables vars = {{"V", std::string(20000, 'a')}};
  EXPECT_THAT(ExpandError("${V//*a*b*a*b*a*b/x}", vars),
              HasSubstr("pattern matching takes too long"));
}

TEST(ExpandWordsTest, SplitsAfterExpansionButNotInsideQuotes) {
  const ShellVariables vars = {{"A", "one two"}};
  ShellLexOptions options;
  EXPECT_THAT(*ExpandWords("$A \"three four\" five", vars, options),
              ElementsAre("one", "two", "three four", "five"));
  EXPECT_THAT(*ExpandWords("a\\ b 'c d'", vars, options),
              ElementsAre("a b", "c d"));
}

TEST(ExpandWordsTest, RawOptionsKeepQuotesEscapesAndUnsetVariables) {
  ShellLexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset = true;
  EXPECT_THAT(*ExpandWords("RUN <<'EOF' \\x $UNSET ${U:-d}", {}, options),
              ElementsAre("RUN", "<<'EOF'", "\\x", "$UNSET", "${U:-d}"));
  // `<<` keeps the blanks after it in its word.
  EXPECT_THAT(*ExpandWords("RUN << EOF cat", {}, options),
              ElementsAre("RUN", "<< EOF", "cat"));
}

TEST(SpaceTest, UnicodeWhiteSpaceAsGoSeesIt) {
  EXPECT_EQ(SpaceLengthAt(" ", 0), 1u);
  EXPECT_EQ(SpaceLengthAt("\v", 0), 1u);
  EXPECT_EQ(SpaceLengthAt("\xC2\xA0", 0), 2u);      // U+00A0
  EXPECT_EQ(SpaceLengthAt("\xE3\x80\x80", 0), 3u);  // U+3000
  EXPECT_EQ(SpaceLengthAt("\xC3\xA0", 0), 0u);      // à
  EXPECT_EQ(SpaceLengthAt("\xA0", 0), 0u);          // a lone byte
  EXPECT_EQ(TrimSpace("\xC2\xA0 a b\t\xC2\x85"), "a b");
  EXPECT_EQ(TrimLeadingSpace("\f\va "), "a ");
}

}  // namespace
}  // namespace imagegraph
