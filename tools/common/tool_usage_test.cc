#include "tools/common/tool_usage.h"

#include "absl/flags/usage.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

TEST(MainFlagsOnlyUsageConfigTest, HelpListsOnlyFlagsOfMainFiles) {
  absl::FlagsUsageConfig config = MainFlagsOnlyUsageConfig();
  ASSERT_TRUE(config.contains_help_flags);
  ASSERT_TRUE(config.contains_helpshort_flags);
  EXPECT_TRUE(config.contains_help_flags("tools/index/main.cc"));
  EXPECT_TRUE(config.contains_helpshort_flags("tools/decision/main.cc"));
  EXPECT_FALSE(config.contains_help_flags("absl/flags/parse.cc"));
  EXPECT_FALSE(config.contains_helpshort_flags("tools/index/index.cc"));
}

TEST(SetToolUsageTest, InstallsTheUsageMessage) {
  SetToolUsage("Does a thing.\nExit codes: 0 done, 2 bad flags.");
  EXPECT_EQ(absl::ProgramUsageMessage(),
            "Does a thing.\nExit codes: 0 done, 2 bad flags.");
}

}  // namespace
}  // namespace imagegraph
