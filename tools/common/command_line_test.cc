#include "tools/common/command_line.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_level, 3, "A number.");
ABSL_FLAG(std::string, test_name, "", "A string.");
ABSL_FLAG(bool, test_switch, false, "A boolean.");
ABSL_FLAG(std::vector<std::string>, test_item, {}, "Repeatable.");

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

absl::StatusOr<ToolArguments> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tool");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ParseToolArguments(static_cast<int>(argv.size()), argv.data(),
                            {"test_item"}, Positional::kAllowed);
}

TEST(ParseToolArgumentsTest, AcceptsDashedNamesAndBothValueForms) {
  auto parsed = Parse({"--test-level=7", "--test_name", "x y", "input"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_test_level), 7);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "x y");
  EXPECT_THAT(parsed->positional, ElementsAre("input"));
}

TEST(ParseToolArgumentsTest, KeepsEveryValueOfARepeatableFlagInOrder) {
  auto parsed =
      Parse({"--test-item=a,b", "--test_item", "c", "--test_item=a,b"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->Repeated("test_item"), ElementsAre("a,b", "c", "a,b"));
  EXPECT_THAT(parsed->Repeated("other"), IsEmpty());
}

TEST(ParseToolArgumentsTest, BooleanForms) {
  ASSERT_TRUE(Parse({"--test-switch"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
  ASSERT_TRUE(Parse({"--notest_switch"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_switch));
  ASSERT_TRUE(Parse({"--test_switch=true", "file"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
}

TEST(ParseToolArgumentsTest, EverythingAfterDoubleDashIsPositional) {
  auto parsed = Parse({"--test_level=1", "--", "--test_level=2", "-x"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_test_level), 1);
  EXPECT_THAT(parsed->positional, ElementsAre("--test_level=2", "-x"));
}

TEST(ParseToolArgumentsTest, UsageErrorsSayWhatIsWrong) {
  EXPECT_EQ(Parse({"--colour=no"}).status().message(), "unknown flag --colour");
  // Messages echo the flag as it was typed.
  EXPECT_EQ(Parse({"--test-name"}).status().message(),
            "--test-name needs a value");
  EXPECT_EQ(Parse({"--no-such-flag"}).status().message(),
            "unknown flag --no-such-flag");
  EXPECT_EQ(Parse({"--test_item"}).status().message(),
            "--test_item needs a value");
  EXPECT_THAT(std::string(Parse({"--test_level=high"}).status().message()),
              ::testing::StartsWith("--test_level: "));
  EXPECT_EQ(Parse({"--notest_level"}).status().message(),
            "unknown flag --notest_level");
}

TEST(ParseToolArgumentsTest, PositionalArgumentsOnlyWhenAllowed) {
  std::vector<std::string> args = {"tool", "--test_level=4", "extra"};
  std::vector<char*> argv = {args[0].data(), args[1].data(), args[2].data()};
  EXPECT_EQ(ParseToolArguments(3, argv.data(), {}).status().message(),
            "unexpected argument \"extra\"; every input is a flag");
}

constexpr ToolHelp kHelp = {"mytool", "does a thing.\n\nUsage:\n  mytool X\n",
                            "the answer is no"};

TEST(ParseToolArgumentsOrExitTest, ExitsTwoWithTheToolsName) {
  std::vector<std::string> args = {"tool", "--bogus"};
  std::vector<char*> argv = {args[0].data(), args[1].data()};
  EXPECT_EXIT(ParseToolArgumentsOrExit(kHelp, 2, argv.data()),
              ::testing::ExitedWithCode(kExitUsage),
              "^mytool: unknown flag --bogus \\(see --help\\)\n$");
}

TEST(ParseToolArgumentsOrExitTest, HelpPrintsToStdoutAndExitsZero) {
  for (std::string help : {"--help", "-h", "--helpfull"}) {
    std::vector<std::string> args = {"tool", "--test_level=5", help};
    std::vector<char*> argv = {args[0].data(), args[1].data(), args[2].data()};
    EXPECT_EXIT(
        {
          ParseToolArgumentsOrExit(kHelp, 3, argv.data(), {"test_item"});
          exit(99);
        },
        ::testing::ExitedWithCode(kExitSuccess), "")
        << help;
  }
  std::vector<std::string> args = {"tool", "--help"};
  std::vector<char*> argv = {args[0].data(), args[1].data()};
  auto parsed = ParseToolArguments(2, argv.data(), {});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->help);
}

TEST(ToolHelpTextTest, UsageThenEveryFlagThenTheExitCodes) {
  const std::string text = ToolHelpText(kHelp, {"test_item"});
  EXPECT_THAT(text,
              StartsWith("mytool: does a thing.\n\nUsage:\n  mytool X\n"));
  // Flags of files other than a main.cc (this test's) are not the tool's.
  EXPECT_THAT(text, Not(HasSubstr("--test_level")));
  EXPECT_THAT(text,
              HasSubstr("\nExit codes:\n"
                        "  0  success\n"
                        "  1  error: bad input or a failed operation; the "
                        "message on stderr says what\n"
                        "     and the fix\n"
                        "  2  usage error: an unknown flag, a missing or "
                        "malformed value\n"
                        "  3  the answer is no\n"));
  EXPECT_THAT(ToolHelpText({"other", "x", ""}, {}), Not(HasSubstr("  3  ")));
}

}  // namespace
}  // namespace imagegraph
