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
#include "tools/imagebuild/docker_archive.h"
#include "tools/imagebuild/docker_archive_fixture.h"
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
constexpr char kConfig[] = R"({"architecture":"amd64","os":"linux"})";

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

  // A built image: its tarball (a real docker-archive, zstd-compressed, at
  // DIR/BASE.tar.zst) and metadata (DIR/BASE.image.json) as imagebuild
  // writes them; `config` tells images apart.
  ImageMetadata WriteBuiltImage(const std::string& config,
                                const std::string& base = "built") {
    ArchiveFixture fixture(dir_.substr(dir_.rfind('/') + 1) + "-" + base);
    fixture.AddImage({"old.registry:5000/img:1"}, config);
    const std::string built = dir_ + "/" + base + ".tar.zst";
    RunOrFail({"zstd", "-q", "-f", fixture.Write(), "-o", built});
    absl::StatusOr<DockerArchiveImage> image = ReadDockerArchive(built);
    EXPECT_TRUE(image.ok()) << image.status();
    ImageMetadata metadata;
    metadata.name = "img";
    metadata.image_id = image->config_digest;
    metadata.manifest_digest = OciManifestDigest(*image);
    metadata.layers = image->layers;
    for (const LayerInfo& layer : metadata.layers) metadata.size += layer.size;
    metadata.context_hash = kHash;
    metadata.tags = {"old.registry:5000/img:1",
                     "old.registry:5000/img:" + kHash};
    metadata.tarball_sha256 = *Sha256FileHex(built);
    metadata.tarball_size =
        static_cast<int64_t>(ReadFileToString(built)->size());
    EXPECT_TRUE(WriteFileAtomically(dir_ + "/" + base + ".image.json",
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

TEST_F(IndexReuseTest, InsertKeepsTheContextManifest) {
  // A manifest that hashes to the built image's context hash.
  const std::string manifest = std::string(64, '0') + " 644 Dockerfile\n";
  ImageMetadata built = WriteBuiltImage("docker-archive bytes");
  built.context_hash = Sha256Hex(manifest);
  ASSERT_TRUE(
      WriteFileAtomically(dir_ + "/img.context.manifest", manifest).ok());
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json",
                  dir_ + "/img.context.manifest", Collect());
  EXPECT_THAT(lines_, ElementsAre(HasSubstr("indexed in local index")));
  auto index = Index::Open(index_dir_, 1);
  ASSERT_TRUE(index.ok());
  auto latest = (*index)->FindLatest("img");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(*(*index)->FetchContextManifest((*latest)->entry), manifest);

  // An unreadable manifest is a warning: the build itself succeeded.
  lines_.clear();
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json",
                  dir_ + "/missing.context.manifest", Collect());
  EXPECT_THAT(lines_,
              ElementsAre(AllOf(HasSubstr("warning: not indexed"),
                                HasSubstr("missing.context.manifest"))));
}

TEST_F(IndexReuseTest, MissIsReportedAndLeavesNoOutput) {
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_FALSE(Exists(output_));
  EXPECT_FALSE(Exists(metadata_path_));
  EXPECT_THAT(lines_, Contains(AllOf(HasSubstr("is not in local index"),
                                     HasSubstr("building"))));
}

TEST_F(IndexReuseTest, InsertThenReuseRestoresTarballAndMetadata) {
  ImageMetadata built = WriteBuiltImage(kConfig);
  IndexSettings settings{index_dir_, 1, "rev-42"};
  InsertIntoIndex(index_dir_, settings, built, dir_ + "/built.tar.zst",
                  dir_ + "/built.image.json", "", Collect());
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
  EXPECT_EQ(*ReadFileToString(output_),
            *ReadFileToString(dir_ + "/built.tar.zst"));
  auto written = ImageMetadataFromJson(*ReadFileToString(metadata_path_), "x");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->image_id, built.image_id);
  EXPECT_EQ(written->manifest_digest, built.manifest_digest);
  EXPECT_EQ(written->layers.size(), 2u);
  EXPECT_EQ(written->tarball_sha256, built.tarball_sha256);
  // The tags are this build's: the registry is not part of the context hash.
  EXPECT_THAT(written->tags, ElementsAre("new.registry:5000/img:2",
                                         "new.registry:5000/img:" + kHash));
  EXPECT_THAT(lines_, Contains(absl::StrCat("reused ", built.image_id,
                                            " from the index (context ",
                                            kHash.substr(0, 12), ")")));
}

TEST_F(IndexReuseTest, CorruptArtifactIsAWarningAndNotReused) {
  ImageMetadata built = WriteBuiltImage(kConfig);
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json", "",
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
  WriteBuiltImage(kConfig);
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
  ImageMetadata built = WriteBuiltImage(kConfig);
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, built,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json", "",
                  Collect());
  EXPECT_FALSE(Reuse(/*level=*/3).has_value());
  EXPECT_TRUE(Reuse(/*level=*/1).has_value());
}

// An entry whose digest, size, location and stored metadata all agree, but
// with another image's tarball: only the tarball's own configuration tells.
TEST_F(IndexReuseTest, ForgedEntryWithAnotherImagesTarballIsNotReused) {
  ImageMetadata child = WriteBuiltImage(kConfig);
  InsertIntoIndex(index_dir_, {index_dir_, 1, ""}, child,
                  dir_ + "/built.tar.zst", dir_ + "/built.image.json", "",
                  Collect());
  ImageMetadata base = WriteBuiltImage(
      R"({"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]}})",
      "base");
  ASSERT_NE(base.image_id, child.image_id);
  auto index = Index::Open(index_dir_, 1);
  ASSERT_TRUE(index.ok());
  InsertImageRequest other;
  other.name = "base";
  other.context_hash = std::string(64, 'b');
  other.image_id = base.image_id;
  other.artifact_path = dir_ + "/base.tar.zst";
  auto stored_base = (*index)->InsertImage(other);
  ASSERT_TRUE(stored_base.ok()) << stored_base.status();

  // The forger points the child's entry, and the metadata stored in it, at
  // the base's tarball, keeping the child's image ID.
  const std::string ns = "docker.images.v2.level-1.img.hash." + kHash;
  auto entry = (*index)->Find(ns);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  IndexEntry forged = **entry;
  forged.set_digest(stored_base->digest());
  forged.set_size_bytes(stored_base->size_bytes());
  forged.set_location(stored_base->location());
  ImageMetadata forged_metadata = child;
  forged_metadata.tarball_sha256 = base.tarball_sha256;
  forged_metadata.tarball_size = base.tarball_size;
  forged.set_metadata_json(ImageMetadataToJson(forged_metadata));
  ASSERT_TRUE(LocalBackend(index_dir_).PutEntry(forged, {ns}).ok());

  lines_.clear();
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_FALSE(Exists(output_));
  EXPECT_FALSE(Exists(metadata_path_));
  EXPECT_THAT(lines_,
              Contains(AllOf(HasSubstr("warning: cannot reuse " + ns),
                             HasSubstr("its tarball holds image " +
                                       base.image_id +
                                       " but the entry and its metadata say " +
                                       child.image_id),
                             HasSubstr("; building"))))
      << absl::StrJoin(lines_, "\n");

  // Metadata whose layers do not describe the tarball is refused too.
  ImageMetadata wrong_layers = child;
  wrong_layers.layers[0].size += 1;
  IndexEntry relabelled = **entry;
  relabelled.set_metadata_json(ImageMetadataToJson(wrong_layers));
  ASSERT_TRUE(LocalBackend(index_dir_).PutEntry(relabelled, {ns}).ok());
  lines_.clear();
  EXPECT_FALSE(Reuse().has_value());
  EXPECT_THAT(lines_, Contains(HasSubstr("its metadata's layers or manifest "
                                         "digest")))
      << absl::StrJoin(lines_, "\n");
}

TEST_F(IndexReuseTest, UnwritableIndexIsAWarning) {
  ImageMetadata built = WriteBuiltImage(kConfig);
  // A regular file where the index directory should be.
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/not-a-dir", "x").ok());
  const std::string bad = dir_ + "/not-a-dir/index";
  InsertIntoIndex(bad, {bad, 1, ""}, built, dir_ + "/built.tar.zst",
                  dir_ + "/built.image.json", "", Collect());
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
