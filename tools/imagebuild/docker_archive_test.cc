#include "tools/imagebuild/docker_archive.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"
#include "tools/imagebuild/docker_archive_fixture.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DockerArchiveTest, ReadsTheImage) {
  ArchiveFixture fixture("read");
  fixture.AddImage({"reg.test/x:1"});
  auto image = ReadDockerArchive(fixture.Write());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config_digest, fixture.config());
  EXPECT_EQ(image->config_size, 37);
  ASSERT_EQ(image->layers.size(), 2u);
  EXPECT_EQ(image->layers[0].digest, fixture.layer1());
  EXPECT_EQ(image->layers[0].size, 3000);
  EXPECT_EQ(image->layers[1].digest, fixture.layer2());
  EXPECT_EQ(image->layers[1].size, 700);
  EXPECT_THAT(image->repo_tags, ElementsAre("reg.test/x:1"));
}

TEST(DockerArchiveTest, ReadsPaxAndGnuLongNames) {
  for (const std::string format : {"pax", "gnu"}) {
    ArchiveFixture fixture("long_" + format);
    // A name over 100 bytes needs an extended header in either format.
    fixture.AddFile(std::string(120, 'n'), "long");
    fixture.AddImage({"reg.test/x:1"});
    auto image = ReadDockerArchive(fixture.Write(format));
    ASSERT_TRUE(image.ok()) << format << ": " << image.status();
    EXPECT_EQ(image->layers[0].size, 3000) << format;
    EXPECT_EQ(image->config_digest, fixture.config()) << format;
  }
}

// NAME.tar.zst is read as a stream: the same image as the plain archive, in
// every tar format, whatever the sizes of the decompressed pieces.
TEST(DockerArchiveTest, ReadsACompressedArchiveAsAStream) {
  for (const std::string format : {"ustar", "pax", "gnu"}) {
    ArchiveFixture fixture("zstd_" + format);
    // Over 100 bytes: ustar splits it into its prefix field, the others
    // write an extended header.
    const std::string folder(60, 'd');
    mkdir((fixture.dir() + "/" + folder).c_str(), 0755);
    fixture.AddFile(folder + "/" + std::string(60, 'n'), "long");
    fixture.AddFile("empty.json", "");
    fixture.AddImage({"reg.test/x:1"});
    const std::string& plain = fixture.Write(format);
    const std::string compressed = plain + ".zst";
    RunOrFail({"zstd", "-q", "-f", plain, "-o", compressed});
    auto image = ReadDockerArchive(compressed);
    ASSERT_TRUE(image.ok()) << format << ": " << image.status();
    EXPECT_EQ(image->config_digest, fixture.config()) << format;
    EXPECT_EQ(image->config_size, 37) << format;
    ASSERT_EQ(image->layers.size(), 2u) << format;
    EXPECT_EQ(image->layers[0].digest, fixture.layer1()) << format;
    EXPECT_EQ(image->layers[0].size, 3000) << format;
    EXPECT_EQ(image->layers[1].size, 700) << format;
    EXPECT_THAT(image->repo_tags, ElementsAre("reg.test/x:1")) << format;
  }
}

// A layer whose bytes were changed while its name, the manifest and the
// configuration were kept: only hashing the layers finds it.
TEST(DockerArchiveTest, VerifyingLayersFindsAChangedLayer) {
  for (const bool compressed : {false, true}) {
    const std::string name = compressed ? "changed_zst" : "changed";
    ArchiveFixture fixture(name);
    fixture.AddImage({"reg.test/x:1"});
    const std::string plain = fixture.Write();
    std::string bytes = *ReadFileToString(plain);
    const std::string path = compressed ? plain + ".zst" : plain;
    if (compressed) RunOrFail({"zstd", "-q", "-f", plain, "-o", path});
    auto intact = ReadDockerArchiveVerifyingLayers(path);
    ASSERT_TRUE(intact.ok()) << name << ": " << intact.status();
    EXPECT_EQ(intact->config_digest, fixture.config()) << name;
    ASSERT_EQ(intact->layers.size(), 2u) << name;

    const size_t at = bytes.find(std::string(3000, 'a'));
    ASSERT_NE(at, std::string::npos);
    bytes[at + 1000] = 'z';
    ASSERT_TRUE(WriteFileAtomically(plain, bytes).ok());
    if (compressed) RunOrFail({"zstd", "-q", "-f", plain, "-o", path});
    EXPECT_TRUE(ReadDockerArchive(path).ok()) << name;
    auto changed = ReadDockerArchiveVerifyingLayers(path);
    ASSERT_FALSE(changed.ok()) << name;
    EXPECT_EQ(changed.status().code(), absl::StatusCode::kDataLoss) << name;
    EXPECT_THAT(changed.status().message(),
                HasSubstr(absl::StrCat(path, ": the member ",
                                       fixture.layer1().substr(7),
                                       ".tar holds a layer whose digest is")))
        << name;
    EXPECT_THAT(changed.status().message(),
                HasSubstr(absl::StrCat("not the ", fixture.layer1(),
                                       " its name and the image's "
                                       "configuration give")))
        << name;
    EXPECT_THAT(changed.status().message(), HasSubstr("corrupt or forged"))
        << name;
  }
}

TEST(DockerArchiveTest, RefusesATruncatedCompressedArchive) {
  ArchiveFixture fixture("zstd_truncated");
  fixture.AddImage({"reg.test/x:1"});
  const std::string& plain = fixture.Write();
  // The tar ends inside the first layer; zstd itself is complete.
  RunOrFail({"truncate", "-s", "2048", plain});
  RunOrFail({"zstd", "-q", "-f", plain, "-o", plain + ".zst"});
  auto image = ReadDockerArchive(plain + ".zst");
  EXPECT_THAT(image.status().message(),
              HasSubstr(plain + ".zst: not a docker-archive buildah would "
                                "write: it ends inside an entry"));
}

// Two members of one name would let a reader and a loader see different
// configurations or layers.
TEST(DockerArchiveTest, RefusesAMemberGivenTwice) {
  ArchiveFixture fixture("twice");
  fixture.AddImage({"reg.test/x:1"});
  const std::string& path = fixture.Write();
  RunOrFail({"tar", "--owner=0", "--group=0", "-rf", path, "-C", fixture.dir(),
             "manifest.json"});
  RunOrFail({"zstd", "-q", "-f", path, "-o", path + ".zst"});
  for (const std::string& archive : {path, path + ".zst"}) {
    EXPECT_THAT(ReadDockerArchive(archive).status().message(),
                HasSubstr(archive + ": not a docker-archive buildah would "
                                    "write: it holds manifest.json twice"));
  }
}

// A Docker-format configuration as buildah writes it, with the builder
// container's ID and host name in it.
constexpr char kDockerConfig[] =
    R"({"architecture":"amd64","config":{"Hostname":"93fc5c7e4c87",)"
    R"("Env":["A=\"Hostname\":\"x\""],"Healthcheck":{"Test":["CMD","true"]},)"
    R"("OnBuild":["RUN echo child"],"Shell":["/bin/sh","-ec"]},)"
    R"("container":"dd768873ff3158d8ca07429aa82c088305bd9f0093bc0abdf23158be4d19419a",)"
    R"("container_config":{"Hostname":"93fc5c7e4c87","Labels":{"container":"kept"}},)"
    R"("created":"1970-01-01T00:00:00Z","os":"linux"})";
constexpr char kNormalizedConfig[] =
    R"({"architecture":"amd64","config":{"Hostname":"",)"
    R"("Env":["A=\"Hostname\":\"x\""],"Healthcheck":{"Test":["CMD","true"]},)"
    R"("OnBuild":["RUN echo child"],"Shell":["/bin/sh","-ec"]},)"
    R"("container":"",)"
    R"("container_config":{"Hostname":"","Labels":{"container":"kept"}},)"
    R"("created":"1970-01-01T00:00:00Z","os":"linux"})";

TEST(ClearBuilderFieldsTest, EmptiesTheBuilderContainersIdAndHostName) {
  // Only the top-level "container" and the "Hostname" of the two top-level
  // configurations: the same words inside strings or labels stay.
  EXPECT_EQ(ClearBuilderFields(kDockerConfig), kNormalizedConfig);
  // Clearing again changes nothing.
  EXPECT_EQ(ClearBuilderFields(kNormalizedConfig), kNormalizedConfig);
  // An OCI configuration has none of them.
  const std::string oci =
      R"({"architecture":"amd64","config":{"Env":["PATH=/bin"]},)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})";
  EXPECT_EQ(ClearBuilderFields(oci), oci);
}

TEST(ClearBuilderFieldsTest, RefusesWhatIsNotAJsonObject) {
  EXPECT_EQ(ClearBuilderFields(R"({"container":"x")"), std::nullopt);
  EXPECT_EQ(ClearBuilderFields(R"({"a":[}])"), std::nullopt);
  EXPECT_EQ(ClearBuilderFields(R"({} x)"), std::nullopt);
}

TEST(ManifestJsonWithTagLoadedFirstTest, AddsTheTagBeforeTheArchivesTags) {
  const std::string manifest = DockerArchiveManifestJson(
      "c.json", {"reg.test/x:1", "reg.test/x:h"}, {"l1.tar", "l2.tar"});
  auto tagged = ManifestJsonWithTagLoadedFirst("x.tar", manifest,
                                               "localhost/imagegraph/x:id");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  // Everything else as it was, byte for byte.
  EXPECT_EQ(*tagged, DockerArchiveManifestJson("c.json",
                                               {"localhost/imagegraph/x:id",
                                                "reg.test/x:1", "reg.test/x:h"},
                                               {"l1.tar", "l2.tar"}));
  // An archive without names gets the one.
  auto only = ManifestJsonWithTagLoadedFirst(
      "x.tar", DockerArchiveManifestJson("c.json", {}, {"l1.tar"}), "t:1");
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_EQ(*only, DockerArchiveManifestJson("c.json", {"t:1"}, {"l1.tar"}));
}

TEST(ManifestJsonWithTagLoadedFirstTest, RefusesAManifestOfOtherThanOneImage) {
  for (const std::string& manifest :
       {std::string("[]"), std::string("{}"), std::string("[{}, {}]"),
        std::string("not json")}) {
    auto tagged = ManifestJsonWithTagLoadedFirst("parent.tar.zst", manifest,
                                                 "localhost/imagegraph/x:id");
    EXPECT_FALSE(tagged.ok()) << manifest;
    EXPECT_THAT(tagged.status().message(),
                HasSubstr("parent.tar.zst: not a docker-archive buildah would "
                          "write: manifest.json is not a list of exactly one "
                          "image: " +
                          manifest));
  }
}

TEST(DockerArchiveTest, ErrorsNameTheProblem) {
  {
    ArchiveFixture fixture("no_manifest");
    fixture.AddBlob("x", ".tar");
    EXPECT_THAT(ReadDockerArchive(fixture.Write()).status().message(),
                HasSubstr("it has no manifest.json"));
  }
  {
    ArchiveFixture fixture("two_images");
    fixture.AddFile("manifest.json", R"([{"Config":"a"},{"Config":"b"}])");
    EXPECT_THAT(ReadDockerArchive(fixture.Write()).status().message(),
                HasSubstr("manifest.json is not a list of exactly one image"));
  }
  {
    ArchiveFixture fixture("bad_config");
    const std::string hex = fixture.AddBlob("{}", ".json");
    const std::string config = fixture.dir() + "/" + hex + ".json";
    ASSERT_TRUE(WriteFileAtomically(config, "{ }").ok());
    fixture.AddFile("manifest.json", absl::StrCat("[{\"Config\":\"", hex,
                                                  ".json\",\"Layers\":[]}]"));
    EXPECT_THAT(ReadDockerArchive(fixture.Write()).status().message(),
                HasSubstr("does not match its name"));
  }
  {
    ArchiveFixture fixture("missing_layer");
    const std::string hex = fixture.AddBlob("{}", ".json");
    fixture.AddFile("manifest.json",
                    absl::StrCat("[{\"Config\":\"", hex,
                                 ".json\",\"Layers\":[\"gone.tar\"]}]"));
    EXPECT_THAT(ReadDockerArchive(fixture.Write()).status().message(),
                HasSubstr("names the layer \"gone.tar\", which is not"));
  }
  {
    ArchiveFixture fixture("truncated");
    fixture.AddImage({"reg.test/x:1"});
    const std::string& path = fixture.Write();
    ASSERT_EQ(truncate(path.c_str(), 2048), 0);
    auto status = ReadDockerArchive(path).status();
    EXPECT_THAT(status.message(), HasSubstr(path));
    EXPECT_THAT(status.message(), HasSubstr("it ends inside an entry"));
  }
  EXPECT_THAT(ReadDockerArchive("/nonexistent.tar").status().message(),
              HasSubstr("/nonexistent.tar"));
}

// Found by //tools/imagebuild:docker_archive_fuzzer: a base-256 size field
// too large for 64 bits (undefined behaviour before), and a size past the
// end of the file (a huge allocation before).
TEST(DockerArchiveTest, RefusesImpossibleSizes) {
  for (const bool base256 : {true, false}) {
    ArchiveFixture fixture(base256 ? "base256_size" : "huge_size");
    fixture.AddImage({"reg.test/x:1"});
    const std::string& path = fixture.Write();
    std::string archive = *ReadFileToString(path);
    std::string size_field = base256
                                 ? std::string("\x80") + std::string(11, '\xff')
                                 : std::string("77777777777") + '\0';
    archive.replace(124, 12, size_field);
    ASSERT_TRUE(WriteFileAtomically(path, archive).ok());
    auto status = ReadDockerArchive(path).status();
    EXPECT_THAT(status.message(), HasSubstr(path));
    EXPECT_THAT(status.message(),
                HasSubstr(base256 ? "bad size field in the header at byte 0"
                                  : "it ends inside an entry"));
  }
}

TEST(DockerArchiveTest, OciManifestDigestIsThatOfTheCanonicalManifest) {
  DockerArchiveImage image;
  image.config_digest = "sha256:" + std::string(64, 'c');
  image.config_size = 929;
  image.layers = {{"sha256:" + std::string(64, 'a'), 2127360}};
  const std::string path =
      std::string(getenv("TEST_TMPDIR")) + "/oci_manifest.json";
  // The same manifest, written by Python's JSON encoder.
  RunOrFail(
      {"python3", "-c",
       "import json,sys; open(sys.argv[1],'w').write(json.dumps({"
       "'schemaVersion':2,"
       "'mediaType':'application/vnd.oci.image.manifest.v1+json',"
       "'config':{'mediaType':'application/vnd.oci.image.config.v1+json',"
       "'digest':'sha256:'+'c'*64,'size':929},"
       "'layers':[{'mediaType':'application/vnd.oci.image.layer.v1.tar',"
       "'digest':'sha256:'+'a'*64,'size':2127360}]},separators=(',',':')))",
       path});
  EXPECT_EQ(OciManifestDigest(image), "sha256:" + Sha256Sum(path));
  image.layers[0].size += 1;
  EXPECT_NE(OciManifestDigest(image), "sha256:" + Sha256Sum(path));
}

}  // namespace
}  // namespace imagegraph
