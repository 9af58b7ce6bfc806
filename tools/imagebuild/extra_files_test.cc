#include "tools/imagebuild/extra_files.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

class PlaceExtraFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDirectory(::testing::TempDir(), "extra.");
    context_ = dir_ + "/context";
    mkdir(context_.c_str(), 0755);
    rootfs_ = dir_ + "/rootfs.tar.zst";
    ASSERT_TRUE(WriteFileAtomically(rootfs_, "compressed root", 0600).ok());
    tool_ = dir_ + "/tool";
    ASSERT_TRUE(WriteFileAtomically(tool_, "#!/bin/sh\n", 0700).ok());
    manifest_text_ =
        absl::StrCat(Sha256Hex("#!/bin/sh\n"), " 755 bin/tool\n",
                     Sha256Hex("compressed root"), " 644 rootfs.tar.zst\n");
    manifest_ = *ParseContextManifest(manifest_text_, "m");
  }
  void TearDown() override { RemoveTree(dir_).IgnoreError(); }

  std::string dir_, context_, rootfs_, tool_, manifest_text_;
  ContextManifest manifest_;
};

TEST_F(PlaceExtraFilesTest, CopiesWithTheManifestsModes) {
  ASSERT_TRUE(
      PlaceExtraFiles({{"rootfs.tar.zst", rootfs_}, {"bin/tool", tool_}},
                      manifest_, "m", context_)
          .ok());
  EXPECT_EQ(*ReadFileToString(context_ + "/rootfs.tar.zst"), "compressed root");
  struct stat st;
  ASSERT_EQ(stat((context_ + "/rootfs.tar.zst").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_EQ(stat((context_ + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(stat((context_ + "/bin").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(PlaceExtraFilesTest, RefusesAFileTheManifestDoesNotList) {
  absl::Status status =
      PlaceExtraFiles({{"other.tar", rootfs_}}, manifest_, "m", context_);
  EXPECT_THAT(status.message(),
              HasSubstr("m lists no file other.tar; pass the extra files and "
                        "the manifest of the same context"));
}

TEST_F(PlaceExtraFilesTest, RefusesContentThatWasNotHashed) {
  ASSERT_TRUE(WriteFileAtomically(rootfs_, "another root").ok());
  absl::Status status =
      PlaceExtraFiles({{"rootfs.tar.zst", rootfs_}}, manifest_, "m", context_);
  EXPECT_THAT(
      status.message(),
      HasSubstr(absl::StrCat("its sha256 is ", Sha256Hex("another root"),
                             " but m records ", Sha256Hex("compressed root"),
                             "; the file changed")));
}

TEST_F(PlaceExtraFilesTest, RefusesAPathTheTarFilled) {
  ASSERT_TRUE(
      WriteFileAtomically(context_ + "/rootfs.tar.zst", "from the tar").ok());
  absl::Status status =
      PlaceExtraFiles({{"rootfs.tar.zst", rootfs_}}, manifest_, "m", context_);
  EXPECT_THAT(status.message(),
              HasSubstr("the context tar already holds rootfs.tar.zst"));
}

TEST_F(PlaceExtraFilesTest, RefusesPathsLeavingTheFolder) {
  for (const char* path : {"../x", "/etc/x", "a//b", "./a"}) {
    absl::Status status =
        PlaceExtraFiles({{path, rootfs_}}, manifest_, "m", context_);
    EXPECT_THAT(status.message(), HasSubstr("the path leaves the image folder"))
        << path;
  }
}

TEST(ParseExtraFileFlagTest, SplitsAtTheFirstEquals) {
  auto parsed = ParseExtraFileFlag("a/b=bazel-out/x=y");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, "a/b");
  EXPECT_EQ(parsed->file, "bazel-out/x=y");
  for (const char* bad : {"nofile", "=x", "x="}) {
    EXPECT_THAT(ParseExtraFileFlag(bad).status().message(),
                HasSubstr("expected PATH=FILE"))
        << bad;
  }
}

}  // namespace
}  // namespace imagegraph
