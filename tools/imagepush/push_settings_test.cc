#include "tools/imagepush/push_settings.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/index/namespaces.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class PushSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ScopedTempDirectory::Create("push_settings_test.");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<ScopedTempDirectory>(*std::move(dir));
  }
  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_->path() + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, contents).ok());
    return path;
  }
  PushSources Sources() {
    PushSources sources;
    sources.name = "lint";
    sources.folder = "images/lint";
    return sources;
  }
  std::unique_ptr<ScopedTempDirectory> dir_;
};

TEST_F(PushSettingsTest, ReadsRegistryVersionAndHash) {
  PushSources sources = Sources();
  sources.registry_file =
      Write("REGISTRY", "  registry.example.com:5000/ci/\n");
  sources.version_file = Write("VERSION", "1.4.2\n\n");
  sources.hash_file = Write("HASH", std::string(kDigest) + "\n");
  auto settings = ResolvePushSettings(sources);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->registry, "registry.example.com:5000/ci");
  EXPECT_EQ(settings->repository, "registry.example.com:5000/ci/lint");
  EXPECT_EQ(settings->tag, "1.4.2");
  EXPECT_FALSE(settings->tag_defaulted);
  EXPECT_EQ(settings->hash.value_or(""), kDigest);
  EXPECT_EQ(settings->hash_origin, sources.hash_file);
}

TEST_F(PushSettingsTest, RegistryFlagWinsOverFile) {
  PushSources sources = Sources();
  sources.registry_file = Write("REGISTRY", "registry.example.com\n");
  sources.registry_override = "127.0.0.1:5000/test";
  auto settings = ResolvePushSettings(sources);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->repository, "127.0.0.1:5000/test/lint");
}

TEST_F(PushSettingsTest, MissingVersionMeansLatest) {
  PushSources sources = Sources();
  sources.registry_override = "registry.example.com";
  auto settings = ResolvePushSettings(sources);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->tag, "latest");
  EXPECT_TRUE(settings->tag_defaulted);
  EXPECT_FALSE(settings->hash.has_value());
}

TEST_F(PushSettingsTest, NoRegistryAnywhereSaysWhereToPutOne) {
  auto settings = ResolvePushSettings(Sources());
  ASSERT_FALSE(settings.ok());
  EXPECT_THAT(settings.status().message(),
              HasSubstr("add a REGISTRY file to images/lint"));
  EXPECT_THAT(settings.status().message(), HasSubstr("--registry="));
}

TEST_F(PushSettingsTest, BadHashNamesFileAndLine) {
  PushSources sources = Sources();
  sources.registry_override = "registry.example.com";
  sources.hash_file = Write("HASH", "sha256:XYZ\n");
  auto settings = ResolvePushSettings(sources);
  ASSERT_FALSE(settings.ok());
  EXPECT_THAT(settings.status().message(),
              HasSubstr(sources.hash_file + ":1:"));
  EXPECT_THAT(settings.status().message(), HasSubstr("\"sha256:XYZ\""));
  EXPECT_THAT(settings.status().message(), HasSubstr("--update-hash"));
}

TEST_F(PushSettingsTest, SourceTreeHashIsReadWhenBuildHadNone) {
  PushSources sources = Sources();
  sources.registry_override = "registry.example.com";
  sources.source_hash_path = Write("HASH", std::string(kDigest));
  auto settings = ResolvePushSettings(sources);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->hash.value_or(""), kDigest);
}

TEST_F(PushSettingsTest, BadVersionNamesFile) {
  PushSources sources = Sources();
  sources.registry_override = "registry.example.com";
  sources.version_file = Write("VERSION", "1.0 beta\n");
  auto settings = ResolvePushSettings(sources);
  ASSERT_FALSE(settings.ok());
  EXPECT_THAT(settings.status().message(),
              HasSubstr(sources.version_file + ":1: tag \"1.0 beta\""));
}

TEST_F(PushSettingsTest, EmptyOrMultiLineFilesAreErrors) {
  PushSources sources = Sources();
  sources.registry_file = Write("REGISTRY", "\n");
  auto empty = ResolvePushSettings(sources);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(),
              HasSubstr(sources.registry_file + ":1: the first line is empty"));

  sources.registry_file = Write("REGISTRY", "a.example.com\nb.example.com\n");
  auto two = ResolvePushSettings(sources);
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(),
              HasSubstr(sources.registry_file + ":2: unexpected second line"));
}

TEST(ValidateRegistryTest, AcceptsHostPortPath) {
  EXPECT_TRUE(ValidateRegistry("localhost").ok());
  EXPECT_TRUE(ValidateRegistry("127.0.0.1:5000").ok());
  EXPECT_TRUE(ValidateRegistry("registry.example.com/a/b-c/d_e").ok());
}

TEST(ValidateRegistryTest, RejectsWithReason) {
  EXPECT_THAT(ValidateRegistry("https://x.example.com").message(),
              HasSubstr("has a URL scheme"));
  EXPECT_THAT(ValidateRegistry("x.example.com:99999").message(),
              HasSubstr("bad port \"99999\""));
  EXPECT_THAT(ValidateRegistry("x.example.com/Upper").message(),
              HasSubstr("bad path component \"Upper\""));
  EXPECT_THAT(ValidateRegistry("x.example.com/a@sha256:00").message(),
              HasSubstr("has a digest"));
}

TEST(ValidateTest, ImageNamesTagsDigests) {
  EXPECT_TRUE(ValidateRepositoryComponent("base-build").ok());
  EXPECT_TRUE(ValidateRepositoryComponent("a__b.c").ok());
  EXPECT_FALSE(ValidateRepositoryComponent("Lint").ok());
  EXPECT_FALSE(ValidateRepositoryComponent("-lint").ok());
  EXPECT_FALSE(ValidateRepositoryComponent("a..b").ok());
  EXPECT_TRUE(ValidateTag("v1.2_3-rc").ok());
  EXPECT_FALSE(ValidateTag(".hidden").ok());
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')).ok());
  EXPECT_TRUE(ValidateDigest(kDigest).ok());
  EXPECT_FALSE(ValidateDigest("sha512:00").ok());
  EXPECT_FALSE(
      ValidateDigest(absl::StrCat("sha256:", std::string(64, 'A'))).ok());
}

TEST(IndexTest, ParsesRegistryUrl) {
  auto index = ParseRegistryIndexUrl("registry://127.0.0.1:5000/index");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(*index, "127.0.0.1:5000/index");
  EXPECT_THAT(ParseRegistryIndexUrl("file:///srv/index").status().message(),
              HasSubstr("--index=registry://HOST[:PORT]/PATH"));
}

TEST(IndexTest, TagsFollowTheNamespaces) {
  std::string hash(64, 'a');
  auto tags = IndexTags(3, "lint", hash);
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_THAT(*tags, ElementsAre("docker.images.v2.level-3.lint.hash." + hash,
                                 "docker.images.v2.level-3.lint.latest"));
}

TEST(IndexTest, RejectsBadLevelAndHash) {
  std::string hash(64, 'a');
  EXPECT_THAT(IndexTags(4, "lint", hash).status().message(),
              HasSubstr("--level=4: level 4 is out of range"));
  EXPECT_THAT(IndexTags(1, "lint", "abc").status().message(),
              HasSubstr("context hash \"abc\" is invalid"));
}

TEST(IndexTest, OverlongNamespacesGetTheIndexsShortenedTags) {
  std::string hash(64, 'a');
  const std::string name(40, 'n');
  auto tags = IndexTags(1, name, hash);
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_THAT(*tags,
              ElementsAre(RegistryTagForNamespace(HashNamespace(1, name, hash)),
                          LatestNamespace(1, name)));
  EXPECT_EQ((*tags)[0].size(), kMaxRegistryTagLength);
}

TEST(RerunCommandTest, KeepsTheUsersFlagsQuotedWithoutTheRulesOrUpdateHash) {
  EXPECT_EQ(RerunCommand("//images:lint.push",
                         {"--tarball=images/lint.tar.zst", "--name=lint",
                          "--push-target=//images:lint.push",
                          "--registry=127.0.0.1:5000/x", "--tls-verify=false",
                          "--update-hash", "--authfile=/home/a b/it's.json"},
                         {"tarball", "name", "push_target"}),
            "bazel run //images:lint.push -- --registry=127.0.0.1:5000/x "
            "--tls-verify=false '--authfile=/home/a b/it'\\''s.json'");
  EXPECT_EQ(RerunCommand("//images:lint.push", {"--name=lint"}, {"name"}),
            "bazel run //images:lint.push");
}

}  // namespace
}  // namespace imagegraph
