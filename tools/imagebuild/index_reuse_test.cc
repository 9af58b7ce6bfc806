#include "tools/imagebuild/index_reuse.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/imagebuild/image_metadata.h"
#include "tools/index/index.h"
#include "tools/index/local_backend.h"

namespace imagegraph {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kHash(64, 'c');

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class IndexReuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDirectory(std::getenv("TEST_TMPDIR"), "reuse.");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    index_dir_ = dir_ + "/index";
    output_ = dir_ + "/out/img.tar.zst";
    metadata_path_ = dir_ + "/out/img.image.json";
    ASSERT_EQ(mkdir((dir_ + "/out").c_str(), 0755), 0);
  }

  // A built image: its tarball and metadata as imagebuild writes them.
  ImageMetadata WriteBuiltImage(const std::string& tarball_text) {
    const std::string built = dir_ + "/built.tar.zst";
    EXPECT_TRUE(WriteFileAtomically(built, tarball_text).ok());
    ImageMetadata metadata;
    metadata.name = "img";
    metadata.image_id = "sha256:" + std::string(64, 'e');
    metadata.manifest_digest = "sha256:" + std::string(64, 'f');
    metadata.layers = {{"sha256:" + std::string(64, '1'), 1024}};
    metadata.size = 1024;
    metadata.context_hash = kHash;
    metadata.tags = {"old.registry:5000/img:1",
                     "old.registry:5000/img:" + kHash};
    metadata.tarball_sha256 = *Sha256FileHex(built);
    metadata.tarball_size = static_cast<int64_t>(tarball_text.size());
    EXPECT_TRUE(WriteFileAtomically(dir_ + "/built.image.json",
                                    ImageMetadataToJson(metadata))
                    .ok());
    return metadata;
  }

  std::optional<ImageMetadata> Reuse(int level = 1) {
    return ReuseFromIndex(
        index_dir_, level, "img", kHash,
        {"new.registry:5000/img:2", "new.registry:5000/img:" + kHash}, output_,
        metadata_path_, Collect());
  }

  ProgressFn Collect() {
    return [this](absl::string_view line) { lines_.emplace_back(line); };
  }

  std::string dir_;
  std::string index_dir_;
  std::string output_;
  std::string metadata_path_;
  std::vector<std::string> lines_;
};

TEST(ResolveIndexSpecTest, OffDefaultDirectoriesAndRegistries) {
  EXPECT_FALSE(ResolveIndexSpec({"", 1, ""})->has_value());
  EXPECT_FALSE(ResolveIndexSpec({"off", 1, ""})->has_value());
  // "default" is the index every tool opens by default.
  EXPECT_EQ(**ResolveIndexSpec({"default", 1, ""}),
            *DefaultLocalIndexDirectory());
  EXPECT_EQ(**ResolveIndexSpec({"/srv/index", 3, ""}), "/srv/index");
  EXPECT_EQ(**ResolveIndexSpec({"registry://127.0.0.1:5000/idx", 2, ""}),
            "registry://127.0.0.1:5000/idx");
}

TEST(ResolveIndexSpecTest, RejectsRelativeDirectoriesSchemesAndLevels) {
  EXPECT_THAT(ResolveIndexSpec({"cache/index", 1, ""}).status().message(),
              AllOf(HasSubstr("--index=cache/index"),
                    HasSubstr("must be an absolute path")));
  EXPECT_THAT(ResolveIndexSpec({"ftp://host/x", 1, ""}).status().message(),
              AllOf(HasSubstr("--index=ftp://host/x: unsupported index"),
                    HasSubstr("registry://HOST:PORT/REPO")));
  EXPECT_THAT(ResolveIndexSpec({"/srv/index", 4, ""}).status().message(),
              HasSubstr("--index_level=4: the index level must be 1, 2 or 3"));
  // Off needs no valid level.
  EXPECT_TRUE(ResolveIndexSpec({"off", 0, ""}).ok());
}

TEST_F(IndexReuseTest, MissIsReportedAndLeavesNoOutput) {
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_FALSE(Exists(output_));
  EXPECT_FALSE(Exists(metadata_path_));
  EXPECT_THAT(lines_, Contains(AllOf(HasSubstr("is not in local index"),
                                     HasSubstr("building"))));
}

TEST_F(IndexReuseTest, InsertThenReuseRestoresTarballAndMetadata) {
  ImageMetadata built = WriteBuiltImage("docker-archive bytes");
  IndexSettings settings{index_dir_, 1, "rev-42"};
  InsertIntoIndex(index_dir_, settings, built, dir_ + "/built.tar.zst",
                  dir_ + "/built.image.json", Collect());
  EXPECT_THAT(lines_, ElementsAre(HasSubstr("indexed in local index")));

  auto index = Index::Open(index_dir_, 1);
  ASSERT_TRUE(index.ok());
  for (const std::string& prefix :
       {"docker.images.v2.level-1.img.hash." + kHash,
        std::string("docker.images.v2.level-1.img.latest"),
        std::string("docker.images.v2.level-1.img.pushdate.")}) {
    EXPECT_THAT(*(*index)->List(prefix), Not(IsEmpty())) << prefix;
  }
  auto entry = (*index)->Find("docker.images.v2.level-1.img.latest");
  EXPECT_EQ((*entry)->revision(), "rev-42");

  lines_.clear();
  auto reused = Reuse();
  ASSERT_TRUE(reused.has_value());
  EXPECT_EQ(reused->image_id, built.image_id);
  EXPECT_EQ(*ReadFileToString(output_), "docker-archive bytes");
  auto written = ImageMetadataFromJson(*ReadFileToString(metadata_path_), "x");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->image_id, built.image_id);
  EXPECT_EQ(written->manifest_digest, built.manifest_digest);
  EXPECT_EQ(written->layers.size(), 1u);
  EXPECT_EQ(written->tarball_sha256, built.tarball_sha256);
  // The tags are this build's: the registry is not part of the context hash.
  EXPECT_THAT(written->tags, ElementsAre("new.registry:5000/img:2",
                                         "new.registry:5000/img:" + kHash));
  EXPECT_THAT(lines_, Contains(absl::StrCat("reused ", built.image_id,
                                            " from the index (context ",
                                            kHash.substr(0, 12), ")")));
}

TEST_F(IndexReuseTest, CorruptArtifactIsAWarningAndNotReused) {
  ImageMetadata built = WriteBuiltImage("good bytes");
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json",
                  Collect());
  const std::string artifact =
      index_dir_ + "/cas/sha256/" + built.tarball_sha256;
  ASSERT_TRUE(Exists(artifact));
  chmod(artifact.c_str(), 0644);
  ASSERT_TRUE(WriteFileAtomically(artifact, "evil bytes").ok());
  lines_.clear();
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_FALSE(Exists(output_));
  EXPECT_FALSE(Exists(metadata_path_));
  EXPECT_THAT(lines_,
              Contains(AllOf(HasSubstr("warning: "), HasSubstr(artifact),
                             HasSubstr("corrupt"))))
      << absl::StrJoin(lines_, "\n");
}

TEST_F(IndexReuseTest, EntryWithoutMetadataIsNotReused) {
  WriteBuiltImage("bytes");
  auto index = Index::Open(index_dir_, 1);
  ASSERT_TRUE(index.ok());
  InsertImageRequest request;
  request.name = "img";
  request.context_hash = kHash;
  request.image_id = "sha256:" + std::string(64, 'e');
  request.artifact_path = dir_ + "/built.tar.zst";
  ASSERT_TRUE((*index)->InsertImage(request).ok());
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_FALSE(Exists(output_));
  EXPECT_THAT(lines_, Contains(HasSubstr("carries no image metadata (insert it "
                                         "with --metadata=NAME.image.json")));
}

TEST_F(IndexReuseTest, LevelOneEntryIsNotReusedByLevelThree) {
  ImageMetadata built = WriteBuiltImage("bytes");
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json",
                  Collect());
  EXPECT_FALSE(Reuse(/*level=*/3).has_value());
  EXPECT_TRUE(Reuse(/*level=*/1).has_value());
}

TEST_F(IndexReuseTest, UnwritableIndexIsAWarning) {
  ImageMetadata built = WriteBuiltImage("bytes");
  // A regular file where the index directory should be.
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/not-a-dir", "x").ok());
  const std::string bad = dir_ + "/not-a-dir/index";
  InsertIntoIndex(bad, {bad, 1, ""}, built, dir_ + "/built.tar.zst",
                  dir_ + "/built.image.json", Collect());
  EXPECT_THAT(lines_, ElementsAre(AllOf(HasSubstr("warning: could not index"),
                                        HasSubstr("the build itself "
                                                  "succeeded"))));
  lines_.clear();
  EXPECT_FALSE(ReuseFromIndex(bad, 1, "img", kHash, {}, output_, metadata_path_,
                              Collect())
                   .has_value());
  EXPECT_FALSE(Exists(output_));
}

}  // namespace
}  // namespace imagegraph
