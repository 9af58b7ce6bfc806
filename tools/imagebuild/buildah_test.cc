#include "tools/imagebuild/buildah.h"

#include <optional>
#include <string>
#include <utility>

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

// ChooseDriver() with what a probe found (ProbeDriver() runs buildah; the
// tests under tests/imagebuild run it for real).
Buildah::DriverProbe Probed(std::optional<StorageDriver> forced, int exit_code,
                            std::string out, std::string err) {
  Buildah::DriverProbe probe;
  probe.forced = forced;
  SubprocessResult info;
  info.exit_code = exit_code;
  info.stdout_text = std::move(out);
  info.stderr_text = std::move(err);
  probe.overlay_info = std::move(info);
  return probe;
}

Buildah Unprobed() { return Buildah("buildah", Containment(), "/nowhere"); }

TEST(ChooseDriverTest, OverlayWhenItComputesLayersAsVfs) {
  Buildah buildah = Unprobed();
  ASSERT_TRUE(
      buildah.ChooseDriver(Probed(std::nullopt, 0, "false\n", "")).ok());
  EXPECT_EQ(buildah.driver(), StorageDriver::kOverlay);
  EXPECT_EQ(buildah.driver_choice(),
            "overlay (the build's namespace mounts it)");
  Buildah forced = Unprobed();
  ASSERT_TRUE(
      forced.ChooseDriver(Probed(StorageDriver::kOverlay, 0, "false\n", ""))
          .ok());
  EXPECT_EQ(forced.driver_choice(), "overlay (as --storage_driver says)");
}

TEST(ChooseDriverTest, VfsWithTheReasonWhenOverlayDoesNotWork) {
  Buildah failing = Unprobed();
  ASSERT_TRUE(failing
                  .ChooseDriver(Probed(std::nullopt, 125, "",
                                       "Error: overlay is not supported "
                                       "over overlayfs\n"))
                  .ok());
  EXPECT_EQ(failing.driver(), StorageDriver::kVfs);
  EXPECT_EQ(failing.driver_choice(),
            "vfs (overlay does not work here: buildah cannot use it in the "
            "build's user namespace: Error: overlay is not supported over "
            "overlayfs)");
  Buildah native = Unprobed();
  ASSERT_TRUE(native.ChooseDriver(Probed(std::nullopt, 0, "true\n", "")).ok());
  EXPECT_EQ(native.driver(), StorageDriver::kVfs);
  EXPECT_THAT(native.driver_choice(),
              HasSubstr("(Native Overlay Diff: true), which gives other image "
                        "IDs than vfs"));
}

TEST(ChooseDriverTest, AForcedOverlayThatDoesNotWorkIsAnError) {
  Buildah buildah = Unprobed();
  absl::Status chosen = buildah.ChooseDriver(
      Probed(StorageDriver::kOverlay, 1, "", "Error: kernel says no\n"));
  EXPECT_EQ(chosen.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(chosen.message(),
            "--storage_driver=overlay: buildah cannot use it in the build's "
            "user namespace: Error: kernel says no; use "
            "--//rules:storage_driver=auto (or vfs)");
}

TEST(ChooseDriverTest, AForcedVfsNeedsNoProbeAndABadSettingIsAnError) {
  Buildah buildah = Unprobed();
  Buildah::DriverProbe vfs;
  vfs.forced = StorageDriver::kVfs;
  ASSERT_TRUE(buildah.ChooseDriver(vfs).ok());
  EXPECT_EQ(buildah.driver_choice(), "vfs (as --storage_driver says)");
  // A bad setting is refused before anything runs.
  Buildah unknown = Unprobed();
  EXPECT_THAT(unknown.ChooseDriver("zfs").message(),
              HasSubstr("--storage_driver=zfs: expected auto"));
}

}  // namespace
}  // namespace imagegraph
