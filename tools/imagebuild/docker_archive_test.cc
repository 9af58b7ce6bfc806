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
  RunOrFail({"tar", "--owner=0", "--group=0", "-rf", path, "-C",
             fixture.dir(), "manifest.json"});
  RunOrFail({"zstd", "-q", "-f", path, "-o", path + ".zst"});
  for (const std::string& archive : {path, path + ".zst"}) {
    EXPECT_THAT(ReadDockerArchive(archive).status().message(),
                HasSubstr(archive + ": not a docker-archive buildah would "
                                    "write: it holds manifest.json twice"));
  }
}

TEST(DockerArchiveTest, SetsTagsInPlace) {
  ArchiveFixture fixture("tags");
  fixture.AddImage({"reg.test/x:1"});
  const std::string& path = fixture.Write();
  const std::vector<std::string> tags = {"reg.test/x:1", "reg.test/x:abc",
                                         "other:5000/y:2"};
  ASSERT_TRUE(SetDockerArchiveTags(path, tags).ok());

  // GNU tar reads the result; the layers are untouched.
  const std::string out = fixture.dir() + "/out";
  mkdir(out.c_str(), 0755);
  RunOrFail({"tar", "-xf", path, "-C", out});
  for (const std::string& layer : {fixture.layer1(), fixture.layer2()}) {
    EXPECT_EQ(
        "sha256:" + Sha256Sum(absl::StrCat(out, "/", layer.substr(7), ".tar")),
        layer);
  }
  // An independent JSON reader sees the new tags.
  EXPECT_EQ(RunOrFail({"python3", "-c",
                       "import json,sys; m=json.load(open(sys.argv[1])); "
                       "r=json.load(open(sys.argv[2])); "
                       "print(m[0]['RepoTags'], len(m[0]['Layers']), r)",
                       out + "/manifest.json", out + "/repositories"}),
            "['reg.test/x:1', 'reg.test/x:abc', 'other:5000/y:2'] 2 "
            "{'other:5000/y': {'2': 'legacyid'}, "
            "'reg.test/x': {'1': 'legacyid', 'abc': 'legacyid'}}\n");
  auto image = ReadDockerArchive(path);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->repo_tags, tags);

  // Tagging again gives the same bytes: the archive stays reproducible.
  const std::string first = *ReadFileToString(path);
  ASSERT_TRUE(SetDockerArchiveTags(path, {"reg.test/x:1"}).ok());
  ASSERT_TRUE(SetDockerArchiveTags(path, tags).ok());
  EXPECT_EQ(*ReadFileToString(path), first);
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

TEST(DockerArchiveTest, NormalizesTheBuilderFieldsOfADockerConfig) {
  ArchiveFixture fixture("normalize");
  const std::string legacy_id(64, '7');
  const std::string layer = fixture.AddBlob(std::string(3000, 'a'), ".tar");
  const std::string config = fixture.AddBlob(kDockerConfig, ".json");
  // The legacy layer directory repeats the configuration's fields, and is
  // named after them.
  mkdir((fixture.dir() + "/" + legacy_id).c_str(), 0755);
  fixture.AddSymlink(legacy_id + "/layer.tar",
                     absl::StrCat("../", layer, ".tar"));
  fixture.AddFile(legacy_id + "/VERSION", "1.0");
  fixture.AddFile(legacy_id + "/json", absl::StrCat(R"({"id":")", legacy_id,
                                                    "\",", kDockerConfig + 1));
  fixture.AddFile("manifest.json",
                  absl::StrCat("[{\"Config\":\"", config,
                               ".json\",\"RepoTags\":[\"reg.test/x:1\"],"
                               "\"Layers\":[\"",
                               layer, ".tar\"]}]"));
  fixture.AddFile("repositories",
                  absl::StrCat(R"({"reg.test/x":{"1":")", legacy_id, "\"}}"));
  const std::string& path = fixture.Write();
  ASSERT_TRUE(NormalizeDockerArchiveConfig(path).ok());

  // GNU tar reads the result: the layer is untouched, the configuration is
  // renamed after its new content, the legacy directory after the image ID.
  const std::string out = fixture.dir() + "/out";
  mkdir(out.c_str(), 0755);
  RunOrFail({"tar", "-xf", path, "-C", out});
  EXPECT_EQ(Sha256Sum(absl::StrCat(out, "/", layer, ".tar")), layer);
  const std::string expected_path = fixture.dir() + "/expected.json";
  ASSERT_TRUE(WriteFileAtomically(expected_path, kNormalizedConfig).ok());
  const std::string expected_hex = Sha256Sum(expected_path);
  EXPECT_EQ(*ReadFileToString(absl::StrCat(out, "/", expected_hex, ".json")),
            kNormalizedConfig);
  const std::string legacy = absl::StrCat(out, "/", expected_hex);
  EXPECT_EQ(
      *ReadFileToString(legacy + "/json"),
      absl::StrCat(R"({"id":")", expected_hex, "\",", kNormalizedConfig + 1));
  EXPECT_EQ(*ReadFileToString(legacy + "/VERSION"), "1.0");
  EXPECT_EQ(Sha256Sum(legacy + "/layer.tar"), layer);
  EXPECT_EQ(*ReadFileToString(out + "/repositories"),
            absl::StrCat(R"({"reg.test/x":{"1":")", expected_hex, "\"}}"));
  EXPECT_EQ(RunOrFail({"tar", "-tf", path}),
            absl::StrCat(layer, ".tar\n", expected_hex, ".json\n", expected_hex,
                         "/layer.tar\n", expected_hex, "/VERSION\n",
                         expected_hex, "/json\nmanifest.json\nrepositories\n"));
  auto image = ReadDockerArchive(path);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config_digest, "sha256:" + expected_hex);
  EXPECT_THAT(image->repo_tags, ElementsAre("reg.test/x:1"));
  ASSERT_TRUE(SetDockerArchiveTags(path, {"reg.test/x:2"}).ok());

  // Normalizing again changes nothing.
  const std::string first = *ReadFileToString(path);
  ASSERT_TRUE(NormalizeDockerArchiveConfig(path).ok());
  EXPECT_EQ(*ReadFileToString(path), first);
}

// Found by //tools/imagebuild:docker_archive_fuzzer: a legacy directory
// whose name is not a layer ID (here "a") is not renamed, and its name is not
// replaced inside other names (it was, mangling the configuration's).
TEST(DockerArchiveTest, NormalizingRenamesOnlyLayerIdDirectories) {
  ArchiveFixture fixture("normalize_short_legacy");
  const std::string layer = fixture.AddBlob(std::string(30, 'a'), ".tar");
  const std::string config = fixture.AddBlob(kDockerConfig, ".json");
  mkdir((fixture.dir() + "/a").c_str(), 0755);
  fixture.AddFile("a/json", kDockerConfig);
  fixture.AddFile("manifest.json",
                  absl::StrCat("[{\"Config\":\"", config,
                               ".json\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"",
                               layer, ".tar\"]}]"));
  const std::string& path = fixture.Write();
  ASSERT_TRUE(NormalizeDockerArchiveConfig(path).ok());
  auto image = ReadDockerArchive(path);
  ASSERT_TRUE(image.ok()) << image.status();
  const std::string out = fixture.dir() + "/out";
  mkdir(out.c_str(), 0755);
  RunOrFail({"tar", "-xf", path, "-C", out});
  EXPECT_EQ(*ReadFileToString(out + "/a/json"), kNormalizedConfig);
}

// Found by //tools/imagebuild:docker_archive_fuzzer: a manifest.json before
// the configuration would be left naming the old one.
TEST(DockerArchiveTest, NormalizingRefusesAManifestBeforeTheConfig) {
  ArchiveFixture fixture("normalize_manifest_first");
  const std::string staging = fixture.dir() + "/config.staging";
  ASSERT_TRUE(WriteFileAtomically(staging, kDockerConfig).ok());
  const std::string config = Sha256Sum(staging);
  fixture.AddFile("manifest.json", absl::StrCat("[{\"Config\":\"", config,
                                                ".json\",\"Layers\":[]}]"));
  EXPECT_EQ(fixture.AddBlob(kDockerConfig, ".json"), config);
  const std::string& path = fixture.Write();
  auto status = NormalizeDockerArchiveConfig(path);
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(),
              HasSubstr(absl::StrCat("manifest.json comes before the "
                                     "configuration ",
                                     config, ".json")));
}

TEST(DockerArchiveTest, NormalizingLeavesAnOciConfigAsItIs) {
  ArchiveFixture fixture("normalize_oci");
  fixture.AddImage({"reg.test/x:1"});
  const std::string& path = fixture.Write();
  const std::string before = *ReadFileToString(path);
  ASSERT_TRUE(NormalizeDockerArchiveConfig(path).ok());
  EXPECT_EQ(*ReadFileToString(path), before);
}

TEST(DockerArchiveTest, NormalizingRefusesAConfigThatIsNotJson) {
  ArchiveFixture fixture("normalize_bad");
  const std::string config = fixture.AddBlob(R"({"container":"x")", ".json");
  fixture.AddFile("manifest.json", absl::StrCat("[{\"Config\":\"", config,
                                                ".json\",\"Layers\":[]}]"));
  auto status = NormalizeDockerArchiveConfig(fixture.Write());
  EXPECT_THAT(status.message(), HasSubstr(fixture.path()));
  EXPECT_THAT(status.message(),
              HasSubstr(absl::StrCat("the configuration ", config,
                                     ".json is not a JSON object")));
}

TEST(DockerArchiveTest, RefusesRepositoriesThatAreNotJson) {
  ArchiveFixture fixture("bad_repositories");
  fixture.AddBlob("{}", ".json");
  fixture.AddFile("manifest.json", R"([{"Config":"x.json","Layers":[]}])");
  fixture.AddFile("repositories", "not json");
  auto status = SetDockerArchiveTags(fixture.Write(), {"a/b:1"});
  EXPECT_THAT(status.message(), HasSubstr(fixture.path()));
  EXPECT_THAT(status.message(),
              HasSubstr("repositories is not JSON: not json"));
}

TEST(DockerArchiveTest, RefusesEntriesAfterTheManifest) {
  ArchiveFixture fixture("trailing");
  fixture.AddImage({"reg.test/x:1"});
  fixture.AddFile("extra", "x");
  auto status = SetDockerArchiveTags(fixture.Write(), {"a/b:1"});
  EXPECT_THAT(status.message(),
              HasSubstr("extra follows manifest.json or repositories"));
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
