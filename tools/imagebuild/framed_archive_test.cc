#include "tools/imagebuild/framed_archive.h"

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/subprocess.h"
#include "tools/imagebuild/docker_archive.h"
#include "tools/imagebuild/docker_archive_fixture.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

std::string TestDir() { return std::getenv("TEST_TMPDIR"); }

std::string RandomBytes(size_t size, int seed) {
  std::mt19937 random(seed);
  std::string data(size, '\0');
  for (char& c : data)
    c = static_cast<char>(random() % 7 == 0 ? random() : 'x');
  return data;
}

// A layer blob on disk (any bytes will do: the archive does not look inside).
ArchiveLayer Blob(const std::string& name, const std::string& content) {
  const std::string path = absl::StrCat(TestDir(), "/", name);
  EXPECT_TRUE(WriteFileAtomically(path, content).ok());
  return {absl::StrCat("sha256:", Sha256Hex(content)),
          static_cast<int64_t>(content.size()),
          "",
          {},
          path};
}

void WriteMetadata(const FramedArchive& archive, const std::string& image_id,
                   const std::string& path) {
  ImageMetadata metadata;
  metadata.image_id = image_id;
  metadata.layers = archive.layers;
  metadata.config_frame = archive.config_frame;
  metadata.tarball_sha256 = archive.sha256;
  metadata.tarball_size = archive.size;
  ASSERT_TRUE(WriteFileAtomically(path, ImageMetadataToJson(metadata)).ok());
}

class FramedArchiveTest : public ::testing::Test {
 protected:
  const std::string parent_config_ = R"({"rootfs":{"diff_ids":["p"]}})";
  const std::string parent_id_ =
      absl::StrCat("sha256:", Sha256Hex(parent_config_));
  const std::string parent_ = TestDir() + "/parent.tar.zst";
  const std::string parent_json_ = TestDir() + "/parent.image.json";
};

TEST_F(FramedArchiveTest, ChildCopiesTheParentsFramesAndToolsReadIt) {
  // A layer larger than one read chunk, one of exactly a block, one empty.
  std::vector<ArchiveLayer> parent_layers = {
      Blob("base", RandomBytes(3 << 20, 1)),
      Blob("block", std::string(512, 'b')), Blob("empty", "")};
  auto parent = WriteFramedArchive(parent_, parent_layers, parent_config_,
                                   {"reg.test/parent:1"}, {.level = 3});
  ASSERT_TRUE(parent.ok()) << parent.status();
  EXPECT_EQ(parent->sha256, Sha256Sum(parent_));
  WriteMetadata(*parent, parent_id_, parent_json_);

  auto known = ReadFramedArchiveMetadata(parent_, parent_json_);
  ASSERT_TRUE(known.ok()) << known.status();
  EXPECT_EQ(known->metadata.image_id, parent_id_);
  EXPECT_EQ(known->config, parent_config_);
  EXPECT_THAT(known->manifest_json, HasSubstr("\"reg.test/parent:1\""));
  ASSERT_EQ(known->metadata.layers.size(), 3);

  // Without its layers: the same members, empty.
  const std::string layerless = TestDir() + "/layerless.tar";
  ASSERT_TRUE(WriteLayerlessArchive(layerless, *known).ok());
  EXPECT_THAT(
      RunOrFail({"tar", "-tvf", layerless}),
      HasSubstr(absl::StrCat(" 0 1970-01-01 00:00 ",
                             parent_layers[0].digest.substr(7), ".tar")));
  auto skeleton = ReadDockerArchive(layerless);
  ASSERT_TRUE(skeleton.ok()) << skeleton.status();
  EXPECT_EQ(skeleton->config_digest, parent_id_);
  EXPECT_EQ(skeleton->repo_tags, std::vector<std::string>{"reg.test/parent:1"});

  // The child: the parent's layers from its frames, one new layer, and the
  // base layer again (stored once).
  const std::string child_config = R"({"rootfs":{"diff_ids":["c"]}})";
  std::vector<ArchiveLayer> child_layers;
  for (const LayerInfo& layer : known->metadata.layers) {
    child_layers.push_back(
        {layer.digest, layer.size, parent_, layer.frame, ""});
  }
  child_layers.push_back(Blob("new", RandomBytes(100000, 2)));
  child_layers.push_back(child_layers[0]);
  const std::string child_path = TestDir() + "/child.tar.zst";
  auto child = WriteFramedArchive(child_path, child_layers, child_config,
                                  {"reg.test/child:1", "reg.test/child:h"},
                                  {.level = 3, .threads = 2});
  ASSERT_TRUE(child.ok()) << child.status();

  // Byte for byte the parent's frames.
  const std::string parent_bytes = *ReadFileToString(parent_);
  const std::string child_bytes = *ReadFileToString(child_path);
  for (int i = 0; i < 3; ++i) {
    const FrameSpan& from = known->metadata.layers[i].frame;
    const FrameSpan& to = child->layers[i].frame;
    EXPECT_EQ(child_bytes.substr(to.offset, to.size),
              parent_bytes.substr(from.offset, from.size));
  }
  EXPECT_EQ(child->layers[4].frame.offset, child->layers[0].frame.offset);
  // Its digest, hashed as it was written, is the file's.
  EXPECT_EQ(child->sha256, Sha256Hex(child_bytes));

  // A plain zstd stream of a plain tar: the zstd and tar tools list exactly
  // the members, and the archive reader finds the image.
  const std::string plain = TestDir() + "/child.tar";
  RunOrFail(
      {"sh", "-c", absl::StrCat("zstd -q -d -c ", child_path, " > ", plain)});
  const std::string listing = RunOrFail({"tar", "-tvf", plain});
  EXPECT_THAT(listing, HasSubstr(absl::StrCat(child_layers[3].digest.substr(7),
                                              ".tar")));
  EXPECT_EQ(
      RunOrFail({"sh", "-c", absl::StrCat("tar -tf ", plain, " | wc -l")}),
      "6\n");
  auto image = ReadDockerArchive(child_path);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config_digest,
            absl::StrCat("sha256:", Sha256Hex(child_config)));
  ASSERT_EQ(image->layers.size(), 5);
  EXPECT_EQ(image->layers[3].digest, child_layers[3].digest);
  EXPECT_EQ(image->layers[3].size, 100000);
  EXPECT_EQ(image->repo_tags,
            (std::vector<std::string>{"reg.test/child:1", "reg.test/child:h"}));
  // Each layer's content is intact.
  RunOrFail({"tar", "-xf", plain, "-C", TestDir(),
             absl::StrCat(child_layers[0].digest.substr(7), ".tar")});
  EXPECT_EQ(Sha256Sum(absl::StrCat(TestDir(), "/",
                                   child_layers[0].digest.substr(7), ".tar")),
            child_layers[0].digest.substr(7));

  // The same inputs give the same bytes.
  const std::string again = TestDir() + "/again.tar.zst";
  ASSERT_TRUE(WriteFramedArchive(again, child_layers, child_config,
                                 {"reg.test/child:1", "reg.test/child:h"},
                                 {.level = 3, .threads = 1})
                  .ok());
  EXPECT_EQ(*ReadFileToString(again), child_bytes);
}

TEST_F(FramedArchiveTest, MetadataThatDoesNotDescribeTheTarballIsRefused) {
  auto parent = WriteFramedArchive(parent_, {Blob("base", "layer")},
                                   parent_config_, {"reg.test/p:1"}, {});
  ASSERT_TRUE(parent.ok()) << parent.status();

  // Another image's ID: the configuration does not hash to it.
  WriteMetadata(*parent, absl::StrCat("sha256:", Sha256Hex("other")),
                parent_json_);
  auto read = ReadFramedArchiveMetadata(parent_, parent_json_);
  EXPECT_THAT(read.status().message(),
              HasSubstr("parent.image.json does not describe"));
  EXPECT_THAT(read.status().message(), HasSubstr(".json"));

  // A tarball edited after its metadata was written.
  WriteMetadata(*parent, parent_id_, parent_json_);
  ASSERT_TRUE(ReadFramedArchiveMetadata(parent_, parent_json_).ok());
  FramedArchive shifted = *parent;
  shifted.sha256 = Sha256Hex("x");
  WriteMetadata(shifted, parent_id_, parent_json_);
  read = ReadFramedArchiveMetadata(parent_, parent_json_);
  EXPECT_TRUE(absl::IsDataLoss(read.status()));
  EXPECT_THAT(read.status().message(), HasSubstr("the tarball's sha256 is"));

  // A config frame pointing at a layer's frame.
  FramedArchive wrong_frame = *parent;
  wrong_frame.config_frame = parent->layers[0].frame;
  WriteMetadata(wrong_frame, parent_id_, parent_json_);
  read = ReadFramedArchiveMetadata(parent_, parent_json_);
  EXPECT_THAT(read.status().message(),
              HasSubstr(absl::StrCat("does not hold the member ",
                                     parent_id_.substr(7), ".json")));

  // Metadata of an archive written otherwise.
  FramedArchive unframed = *parent;
  unframed.config_frame = {};
  WriteMetadata(unframed, parent_id_, parent_json_);
  read = ReadFramedArchiveMetadata(parent_, parent_json_);
  EXPECT_TRUE(absl::IsFailedPrecondition(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("records no frames"));
}

TEST_F(FramedArchiveTest, AFrameThatIsNotTheLayersMemberIsRefused) {
  auto parent =
      WriteFramedArchive(parent_, {Blob("base", std::string(2000, 'l'))},
                         parent_config_, {"reg.test/p:1"}, {});
  ASSERT_TRUE(parent.ok()) << parent.status();
  // The configuration's frame given as the layer's.
  ArchiveLayer layer{parent->layers[0].digest, parent->layers[0].size, parent_,
                     parent->config_frame, ""};
  const std::string child = TestDir() + "/refused.tar.zst";
  auto written = WriteFramedArchive(child, {layer}, "{}", {"c:1"}, {});
  EXPECT_TRUE(absl::IsDataLoss(written.status())) << written.status();
  EXPECT_THAT(written.status().message(),
              HasSubstr("does not hold that layer's archive member"));
  struct stat st;
  EXPECT_NE(stat(child.c_str(), &st), 0) << "no partial output";
}

}  // namespace
}  // namespace imagegraph
