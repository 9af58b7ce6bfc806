#include "tools/common/image_name.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(ImageNameTest, RegistryComponentsWithoutDots) {
  for (const char* good : {"a", "base-build_2", "image_builder",
                           "ubuntu1804-raw", "a__b", "a---b", "0x"}) {
    EXPECT_TRUE(ValidateImageName(good).ok()) << good;
  }
  for (const char* bad :
       {"", "Base", "-x", "x-", "_x", "x_", "a___b", "a_-b", "a.b", "a/b",
        "a b", "rc-inj$(touch${IFS}PWNED)", "a\nb"}) {
    absl::Status status = ValidateImageName(bad);
    EXPECT_THAT(status.message(), HasSubstr("lowercase letters, digits"))
        << bad;
  }
  EXPECT_TRUE(ValidateImageName(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateImageName(std::string(129, 'a')).ok());
  EXPECT_EQ(ValidateImageName("a\nb").message(),
            "image name \"a\\nb\" is invalid: use 1 to 128 lowercase letters, "
            "digits, and single '_', '__' or runs of '-' between them (a "
            "registry repository name; '.' is not allowed, index namespaces "
            "use it as their separator)");
}

}  // namespace
}  // namespace imagegraph
