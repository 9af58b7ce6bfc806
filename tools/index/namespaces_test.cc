#include "tools/index/namespaces.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(NamespacesTest, RoutesFollowTheNamespaceScheme) {
  const std::string hash(64, 'c');
  EXPECT_EQ(LatestNamespace(3, "base-build"),
            "docker.images.v2.level-3.base-build.latest");
  EXPECT_EQ(HashNamespace(1, "lint", hash),
            "docker.images.v2.level-1.lint.hash." + hash);
  absl::Time when = absl::FromCivil(absl::CivilSecond(2026, 3, 7, 9, 5, 2),
                                    absl::UTCTimeZone());
  EXPECT_EQ(PushdateNamespace(2, "decision", when),
            "docker.images.v2.level-2.decision.pushdate.2026.03-07-"
            "20260307090502");
}

TEST(NamespacesTest, PushdatePrefixStartsEveryPushdate) {
  const absl::Time when = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(PushdatePrefix(1, "lint"),
            "docker.images.v2.level-1.lint.pushdate");
  EXPECT_EQ(PushdateNamespace(1, "lint", when)
                .rfind(PushdatePrefix(1, "lint") + ".", 0),
            0u);
}

TEST(NamespacesTest, RegistryTagsAreShortenedOnlyWhenTooLong) {
  const std::string hash(64, 'c');
  const std::string fits = HashNamespace(1, "lint", hash);
  EXPECT_EQ(RegistryTagForNamespace(fits), fits);
  const std::string long_ns = HashNamespace(1, std::string(60, 'n'), hash);
  ASSERT_GT(long_ns.size(), kMaxRegistryTagLength);
  const std::string tag = RegistryTagForNamespace(long_ns);
  EXPECT_EQ(tag.size(), kMaxRegistryTagLength);
  EXPECT_EQ(tag.substr(0, kShortenedTagPrefixLength),
            long_ns.substr(0, kShortenedTagPrefixLength));
  EXPECT_NE(RegistryTagForNamespace(long_ns + "x"), tag);
}

TEST(NamespacesTest, LevelRepository) {
  EXPECT_EQ(LevelRepository("team/index", 3), "team/index/level-3");
  EXPECT_EQ(LevelRepository("index", 1), "index/level-1");
}

TEST(NamespacesTest, NamespaceLevel) {
  EXPECT_EQ(*NamespaceLevel("docker.images.v2.level-3.x.latest"), 3);
  EXPECT_THAT(
      NamespaceLevel("docker.images.v2.level-4.x.latest").status().message(),
      HasSubstr("must start with docker.images.v2.level-{1,2,3}."));
  EXPECT_FALSE(NamespaceLevel("gecko.v2.latest").ok());
  EXPECT_FALSE(NamespaceLevel("docker.images.v2.level-12.x").ok());
}

TEST(NamespacesTest, BadImageNamesAreExplained) {
  EXPECT_TRUE(ValidateImageName("base-build_2").ok());
  for (const char* bad : {"", "Base", "-x", "a.b", "a/b", "a b"}) {
    absl::Status status = ValidateImageName(bad);
    EXPECT_THAT(status.message(), HasSubstr("lowercase letters, digits"))
        << bad;
  }
}

TEST(NamespacesTest, BadContextHashesAreExplained) {
  EXPECT_TRUE(ValidateContextHash(std::string(64, 'f')).ok());
  EXPECT_THAT(ValidateContextHash("abc").message(),
              HasSubstr("expected 64 lowercase hex digits"));
  EXPECT_FALSE(ValidateContextHash(std::string(64, 'F')).ok());
}

TEST(NamespacesTest, BadLevelsAreExplained) {
  EXPECT_TRUE(ValidateLevel(1).ok());
  EXPECT_THAT(ValidateLevel(0).message(), HasSubstr("use 1, 2 or 3"));
  EXPECT_THAT(ValidateLevel(4).message(), HasSubstr("level 4 is out of range"));
}

TEST(NamespacesTest, BadNamespacesAreExplained) {
  EXPECT_TRUE(ValidateNamespace("docker.images.v2.level-1.a.latest").ok());
  EXPECT_THAT(ValidateNamespace("a..b").message(),
              HasSubstr("empty component"));
  EXPECT_THAT(ValidateNamespace("a.b/c").message(), HasSubstr("contains '/'"));
  EXPECT_THAT(ValidateNamespace(std::string(256, 'a')).message(),
              HasSubstr("1 to 255 characters"));
}

}  // namespace
}  // namespace imagegraph
