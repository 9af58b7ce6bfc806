#include "tools/dockerfile/shell_word.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(ExpandWordTest, Forms) {
  absl::flat_hash_map<std::string, std::string> vars = {{"A", "x"},
                                                        {"EMPTY", ""}};
  EXPECT_EQ(*ExpandWord("$A", vars), "x");
  EXPECT_EQ(*ExpandWord("${A}y", vars), "xy");
  EXPECT_EQ(*ExpandWord("$A-$UNSET-", vars), "x--");
  EXPECT_EQ(*ExpandWord("${UNSET:-d}", vars), "d");
  EXPECT_EQ(*ExpandWord("${EMPTY:-d}", vars), "d");
  EXPECT_EQ(*ExpandWord("${EMPTY-d}", vars), "");
  EXPECT_EQ(*ExpandWord("${A:-d}", vars), "x");
  EXPECT_EQ(*ExpandWord("${A:+alt}", vars), "alt");
  EXPECT_EQ(*ExpandWord("${EMPTY:+alt}", vars), "");
  EXPECT_EQ(*ExpandWord("${EMPTY+alt}", vars), "alt");
  EXPECT_EQ(*ExpandWord("${UNSET:-${A}z}", vars), "xz");
  EXPECT_EQ(*ExpandWord("'$A'\"$A\"\\$A", vars), "$Ax$A");
  EXPECT_EQ(*ExpandWord("a$", vars), "a$");
  EXPECT_EQ(*ExpandWord("`$A", vars, '`'), "$A");
}

TEST(ExpandWordTest, Errors) {
  absl::flat_hash_map<std::string, std::string> vars;
  EXPECT_EQ(ExpandWord("${A", vars).status().message(), "missing '}' in ${A");
  EXPECT_EQ(ExpandWord("${A:-x", vars).status().message(),
            "missing '}' in ${A:-x");
  EXPECT_EQ(ExpandWord("'a", vars).status().message(),
            "unterminated single quote in 'a");
  EXPECT_EQ(ExpandWord("\"a", vars).status().message(),
            "unterminated double quote in \"a");
  EXPECT_EQ(ExpandWord("${A:?needs A}", vars).status().message(), "A: needs A");
  EXPECT_THAT(ExpandWord("${A#x}", vars).status().message(),
              HasSubstr("unsupported substitution in ${A#x}"));
  EXPECT_THAT(ExpandWord("${}", vars).status().message(),
              HasSubstr("bad substitution"));
}

}  // namespace
}  // namespace imagegraph
