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

TEST(ImageMetadataTest, QuotesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

}  // namespace
}  // namespace imagegraph
