#include "tools/dockerfile/buildkit_syntax.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Words(const std::vector<BuilderFlag>& flags) {
  std::vector<std::string> words;
  for (const BuilderFlag& flag : flags) words.push_back(flag.word);
  return words;
}

TEST(DirectiveTest, MatchesBuildKitsPattern) {
  std::string name, value;
  ASSERT_TRUE(MatchDirective("# escape=`", &name, &value));
  EXPECT_EQ(name, "escape");
  EXPECT_EQ(value, "`");
  ASSERT_TRUE(MatchDirective("#Syntax = docker/dockerfile:1  ", &name, &value));
  EXPECT_EQ(name, "Syntax");
  EXPECT_EQ(value, "docker/dockerfile:1");
  EXPECT_FALSE(MatchDirective("# a comment", &name, &value));
  EXPECT_FALSE(MatchDirective("# 1a=b", &name, &value));
  EXPECT_FALSE(MatchDirective("# a=", &name, &value));
  EXPECT_FALSE(MatchDirective("FROM a", &name, &value));
}

TEST(BuilderFlagsTest, ReadsLeadingFlags) {
  std::vector<BuilderFlag> flags;
  absl::string_view line = "--from=build --chown=\"a b\" --link /a /b";
  size_t rest = ExtractBuilderFlags(line, &flags);
  EXPECT_THAT(Words(flags),
              ElementsAre("--from=build", "--chown=a b", "--link"));
  EXPECT_EQ(line.substr(rest), "/a /b");
  EXPECT_TRUE(flags[0].exact);
  EXPECT_EQ(flags[0].begin, 0u);
  EXPECT_FALSE(flags[1].exact);  // its quotes were removed
}

TEST(BuilderFlagsTest, DoubleDashEndsTheFlags) {
  std::vector<BuilderFlag> flags;
  absl::string_view line = "--chmod=644 -- --odd-name /dst";
  size_t rest = ExtractBuilderFlags(line, &flags);
  EXPECT_THAT(Words(flags), ElementsAre("--chmod=644", "--"));
  EXPECT_EQ(line.substr(rest), " --odd-name /dst");
}

TEST(BuilderFlagsTest, OnlyFlags) {
  std::vector<BuilderFlag> flags;
  EXPECT_EQ(ExtractBuilderFlags("--a --b=1", &flags), std::string::npos);
  EXPECT_THAT(Words(flags), ElementsAre("--a", "--b=1"));
}

TEST(ParseWordsTest, KeepsQuotesAndEscapes) {
  EXPECT_THAT(ParseWords("a=\"b c\" d='e f' g\\ h", '\\'),
              ElementsAre("a=\"b c\"", "d='e f'", "g\\ h"));
  EXPECT_THAT(ParseWords("x=\"\"", '\\'), ElementsAre("x=\"\""));
  EXPECT_THAT(ParseWords("a\\", '\\'), ElementsAre("a"));
}

TEST(SplitOnWhitespaceTest, SplitsOnTokenWhitespaceOnly) {
  absl::string_view text =
      "a\t b\vc\xC2\xA0"
      "d";
  std::vector<WordSpan> words = SplitOnWhitespace(text);
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(text.substr(words[0].begin, words[0].length), "a");
  EXPECT_EQ(text.substr(words[1].begin, words[1].length), "b");
  EXPECT_EQ(text.substr(words[2].begin, words[2].length),
            "c\xC2\xA0"
            "d");
  std::vector<WordSpan> two = SplitOnWhitespace("KEY a value", 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].begin, 4u);
}

TEST(JsonArrayTest, StringsOtherValuesAndNotJson) {
  std::vector<std::string> values;
  EXPECT_EQ(ParseJsonStringArray(" [\"a\", \"b\\u00e9\\n\"] ", &values),
            JsonArray::kStrings);
  EXPECT_THAT(values, ElementsAre("a", "b\xC3\xA9\n"));
  EXPECT_EQ(ParseJsonStringArray("[]", &values), JsonArray::kStrings);
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(ParseJsonStringArray("[\"a\", 1]", &values),
            JsonArray::kNotStrings);
  EXPECT_EQ(ParseJsonStringArray("[[\"a\"]]", &values), JsonArray::kNotStrings);
  EXPECT_EQ(ParseJsonStringArray("[{\"a\": [1, true, null]}]", &values),
            JsonArray::kNotStrings);
  for (const char* text : {"['a']", "[\"a\",]", "[\"a\"] # c", "[\"a\"", "[01]",
                           "[\"\t\"]", "not json", "{}", "[\"a\\x\"]"}) {
    EXPECT_EQ(ParseJsonStringArray(text, &values), JsonArray::kNotJson) << text;
  }
}

TEST(JsonArrayTest, DeepNestingIsNotJsonAndDoesNotRecurse) {
  std::vector<std::string> values;
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_EQ(ParseJsonStringArray(deep, &values), JsonArray::kNotJson);
  const std::string nested = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(ParseJsonStringArray(nested, &values), JsonArray::kNotStrings);
}

TEST(HeredocWordTest, Forms) {
  auto name = [](absl::string_view word) -> std::string {
    absl::StatusOr<std::optional<HeredocWord>> heredoc = ParseHeredocWord(word);
    if (!heredoc.ok()) return "error";
    if (!heredoc->has_value()) return "none";
    return absl::StrCat((*heredoc)->strip_tabs ? "-" : "", (*heredoc)->name);
  };
  EXPECT_EQ(name("<<EOF"), "EOF");
  EXPECT_EQ(name("<<-EOF"), "-EOF");  // strips tabs
  EXPECT_EQ(name("<< EOF"), "EOF");
  EXPECT_EQ(name("<< -EOF"), "-EOF");  // a delimiter named -EOF
  EXPECT_EQ(name("<<-"), "none");
  EXPECT_EQ(name("3<<\"END\""), "END");
  EXPECT_EQ(name("<<eo'f'"), "eof");
  EXPECT_EQ(name("<<"), "none");
  EXPECT_EQ(name("a<<EOF"), "none");
  EXPECT_EQ(name("<<a<b"), "none");
  EXPECT_EQ(name("<<'one two'"), "one two");
}

TEST(HeredocWordTest, CandidateWordsKeepQuotes) {
  EXPECT_THAT(HeredocCandidateWords("RUN \"<<NOHEREDOC\" << EOF"),
              ElementsAre("RUN", "\"<<NOHEREDOC\"", "<< EOF"));
  EXPECT_TRUE(HeredocCandidateWords("RUN echo 'unterminated").empty());
}

TEST(StageNameTest, BuildKitsPattern) {
  EXPECT_TRUE(IsValidStageName("build-1.x_y"));
  EXPECT_FALSE(IsValidStageName("1st"));
  EXPECT_FALSE(IsValidStageName("Build"));
  EXPECT_FALSE(IsValidStageName("build-%s"));
  EXPECT_FALSE(IsValidStageName(""));
}

TEST(MountTest, FieldsAndOffsets) {
  std::vector<MountField> fields =
      MountFields("type=cache,From=builder,\"target=/a,b\"");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[1].key, "from");
  EXPECT_EQ(fields[1].value, "builder");
  EXPECT_EQ(fields[1].offset, 16u);
  EXPECT_EQ(fields[2].value, "/a,b");
  EXPECT_EQ(fields[2].offset, std::string::npos);
}

TEST(RunFlagsTest, MountFromVariableAndModes) {
  auto check = [](std::vector<std::string> words) {
    std::vector<BuilderFlag> flags;
    for (std::string& word : words) flags.push_back({word, 0, true});
    return CheckRunFlags(flags);
  };
  EXPECT_TRUE(check({"--mount=type=bind,from=build,target=/x"}).ok());
  EXPECT_TRUE(check({"--mount=from=price$"}).ok());  // a final `$` is text
  EXPECT_THAT(check({"--mount=from=$v,target=/x"}).message(),
              HasSubstr("BuildKit does not expand variables in a mount's "
                        "from"));
  EXPECT_THAT(check({"--mount=type=\"bind"}).message(),
              HasSubstr("is not a list of comma-separated key=value fields"));
  EXPECT_TRUE(check({"--network=none", "--security=insecure"}).ok());
  EXPECT_THAT(check({"--network=bridge"}).message(),
              HasSubstr("use default, none or host"));
  EXPECT_THAT(check({"--security=root"}).message(),
              HasSubstr("use sandbox or insecure"));
}

TEST(GoNumbersTest, DurationsAndInt32) {
  EXPECT_EQ(ParseGoDuration("0"), 0);
  EXPECT_EQ(ParseGoDuration("1m30s"), int64_t{90} * 1000000000);
  EXPECT_EQ(ParseGoDuration("1.5ms"), 1500000);
  EXPECT_EQ(ParseGoDuration("-2h"), int64_t{-7200} * 1000000000);
  EXPECT_EQ(ParseGoDuration("3\xC2\xB5s"), 3000);
  for (const char* text : {"", "5", "1x", "s", ".s", "9999999999h"}) {
    EXPECT_EQ(ParseGoDuration(text), std::nullopt) << text;
  }
  int32_t value;
  EXPECT_TRUE(ParseGoInt32("-12", &value));
  EXPECT_EQ(value, -12);
  EXPECT_FALSE(ParseGoInt32("2147483648", &value));
  EXPECT_FALSE(ParseGoInt32("1_000", &value));
  EXPECT_FALSE(ParseGoInt32("", &value));
}

}  // namespace
}  // namespace imagegraph
