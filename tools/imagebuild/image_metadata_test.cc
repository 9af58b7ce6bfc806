#include "tools/imagebuild/image_metadata.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ImageMetadataTest, JsonIsValidAndComplete) {
  ImageMetadata m;
  m.name = "decision";
  m.image_id = "sha256:aa";
  m.manifest_digest = "sha256:bb";
  m.layers = {{"sha256:l1", 10}, {"sha256:l2", 20}};
  m.size = 30;
  m.context_hash = "cc";
  m.tags = {"reg.test/decision:1.0", "reg.test/decision:cc"};
  m.tarball_sha256 = "dd";
  m.tarball_size = 5000000000;  // larger than 32 bits
  const std::string json = ImageMetadataToJson(m);
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/m.json";
  ASSERT_TRUE(WriteFileAtomically(path, json).ok());
  // An independent JSON reader sees exactly these values.
  auto jq = RunSubprocess(
      {"python3", "-c",
       "import json,sys; d=json.load(open(sys.argv[1])); "
       "print(d['name'], d['image_id'], d['manifest_digest'], "
       "[(l['digest'], l['size']) for l in d['layers']], d['size'], "
       "d['context_hash'], d['tags'], d['tarball_sha256'], "
       "d['tarball_size'], sorted(d))",
       path});
  ASSERT_TRUE(jq.ok()) << jq.status();
  EXPECT_EQ(jq->exit_code, 0) << jq->stderr_text;
  EXPECT_EQ(jq->stdout_text,
            "decision sha256:aa sha256:bb [('sha256:l1', 10), ('sha256:l2', "
            "20)] 30 cc ['reg.test/decision:1.0', 'reg.test/decision:cc'] dd "
            "5000000000 ['context_hash', 'image_id', 'layers', "
            "'manifest_digest', 'name', 'size', 'tags', 'tarball_sha256', "
            "'tarball_size']\n");
}

TEST(ImageMetadataTest, FramesRoundTrip) {
  ImageMetadata m;
  m.name = "child";
  m.image_id = "sha256:aa";
  m.layers = {{"sha256:l1", 10, {0, 7}}, {"sha256:l2", 20, {7, 5000000000}}};
  m.tarball_size = 6000000000;
  m.config_frame = {5000000007, 99};
  const std::string json = ImageMetadataToJson(m);
  EXPECT_THAT(json, HasSubstr("\"frame\": {\"offset\": 7, \"size\": "
                              "5000000000}"));
  auto back = ImageMetadataFromJson(json, "child.image.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->layers.size(), 2);
  EXPECT_EQ(back->layers[0].frame.offset, 0);
  EXPECT_EQ(back->layers[0].frame.size, 7);
  EXPECT_EQ(back->layers[1].frame.offset, 7);
  EXPECT_EQ(back->layers[1].frame.size, 5000000000);
  EXPECT_EQ(back->config_frame.offset, 5000000007);
  EXPECT_EQ(back->config_frame.size, 99);

  // An archive written otherwise has no frames, and says none.
  m.layers[0].frame = {};
  m.config_frame = {};
  const std::string unframed = ImageMetadataToJson(m);
  EXPECT_THAT(unframed, Not(HasSubstr("config_frame")));
  back = ImageMetadataFromJson(unframed, "child.image.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->layers[0].frame.size, 0);
  EXPECT_EQ(back->config_frame.size, 0);
}

TEST(ImageMetadataTest, QuotesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

}  // namespace
}  // namespace imagegraph
