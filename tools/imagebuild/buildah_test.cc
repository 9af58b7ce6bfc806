#include "tools/imagebuild/buildah.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(ParseStorageDriverSpecTest, AutoChoosesLater) {
  auto empty = ParseStorageDriverSpec("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  auto automatic = ParseStorageDriverSpec("auto");
  ASSERT_TRUE(automatic.ok());
  EXPECT_FALSE(automatic->has_value());
}

TEST(ParseStorageDriverSpecTest, NamesForceADriver) {
  auto vfs = ParseStorageDriverSpec("vfs");
  ASSERT_TRUE(vfs.ok());
  EXPECT_EQ(*vfs, StorageDriver::kVfs);
  auto overlay = ParseStorageDriverSpec("overlay");
  ASSERT_TRUE(overlay.ok());
  EXPECT_EQ(*overlay, StorageDriver::kOverlay);
  EXPECT_EQ(StorageDriverName(StorageDriver::kOverlay), "overlay");
  EXPECT_EQ(StorageDriverName(StorageDriver::kVfs), "vfs");
}

TEST(ParseStorageDriverSpecTest, OthersAreRefusedWithTheChoices) {
  auto bad = ParseStorageDriverSpec("overlay2");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--storage_driver=overlay2: expected auto"));
  EXPECT_THAT(bad.status().message(), HasSubstr("overlay or vfs"));
}

}  // namespace
}  // namespace imagegraph
