#include "tools/index/registry_auth.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

std::string WriteAuthFile(const std::string& name, const std::string& json) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  EXPECT_TRUE(WriteFileAtomically(path, json).ok());
  return path;
}

TEST(FindRegistryCredentialsTest, MostSpecificKeyOfTheFirstFileWins) {
  const std::string docker = WriteAuthFile(
      "docker.json",
      R"({"auths": {"https://reg.test:5000/v1/": {"auth": "ZG9ja2VyOng="},
                    "other.test": {"auth": "b3RoZXI6eA=="}}})");
  const std::string containers =
      WriteAuthFile("containers.json",
                    R"({"auths": {"reg.test:5000": {"auth": "aG9zdDp4"},
                    "reg.test:5000/team": {"auth": "dGVhbTp4"},
                    "reg.test:5000/team/index/x": {"auth": "bm86eA=="}}})");
  const std::string missing =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/none.json");

  auto found = FindRegistryCredentials("reg.test:5000", "team/index",
                                       {missing, containers, docker});
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->basic, "dGVhbTp4");  // "reg.test:5000/team"
  EXPECT_EQ((*found)->source, containers);

  found = FindRegistryCredentials("reg.test:5000", "elsewhere", {containers});
  EXPECT_EQ((*found)->basic, "aG9zdDp4");

  // Docker's "https://HOST/v1/" key names the same host.
  found = FindRegistryCredentials("reg.test:5000", "team/index", {docker});
  EXPECT_EQ((*found)->basic, "ZG9ja2VyOng=");
  EXPECT_EQ((*found)->source, docker);

  found = FindRegistryCredentials("unknown.test", "x", {containers, docker});
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST(FindRegistryCredentialsTest, MalformedFileIsNamed) {
  const std::string bad = WriteAuthFile("bad.json", "{not json");
  auto found = FindRegistryCredentials("reg.test", "x", {bad});
  EXPECT_EQ(found.status().message(),
            bad + ": not a JSON auth file (as `skopeo login` writes it)");
}

TEST(RegistryAuthFilesTest, FollowsTheContainerToolsOrder) {
  setenv("REGISTRY_AUTH_FILE", "/a/auth.json", 1);
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_THAT(
      RegistryAuthFiles(),
      ::testing::ElementsAre("/a/auth.json", "/run/user/7/containers/auth.json",
                             "/home/u/.config/containers/auth.json",
                             "/home/u/.docker/config.json"));
  unsetenv("REGISTRY_AUTH_FILE");
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_THAT(RegistryAuthFiles(),
              ::testing::ElementsAre("/home/u/.config/containers/auth.json",
                                     "/home/u/.docker/config.json"));
  // As in a Bazel action: no HOME; the password database names it.
  unsetenv("HOME");
  struct passwd* user = getpwuid(getuid());
  ASSERT_NE(user, nullptr);
  EXPECT_THAT(RegistryAuthFiles(),
              ::testing::ElementsAre(
                  absl::StrCat(user->pw_dir, "/.config/containers/auth.json"),
                  absl::StrCat(user->pw_dir, "/.docker/config.json")));
}

TEST(ParseAuthChallengeTest, BearerWithCommasInQuotes) {
  auto challenge = ParseAuthChallenge(
      R"(Bearer realm="https://auth.test/token",service="registry.test",)"
      R"(scope="repository:team/index:pull,push")");
  ASSERT_TRUE(challenge.has_value());
  EXPECT_EQ(challenge->scheme, "bearer");
  EXPECT_EQ(challenge->params["realm"], "https://auth.test/token");
  EXPECT_EQ(challenge->params["service"], "registry.test");
  EXPECT_EQ(challenge->params["scope"], "repository:team/index:pull,push");
}

TEST(ParseAuthChallengeTest, BasicAndMalformed) {
  auto basic = ParseAuthChallenge(R"(Basic realm="imagegraph test")");
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->params["realm"], "imagegraph test");
  EXPECT_FALSE(ParseAuthChallenge(R"(Bearer realm="unterminated)").has_value());
  EXPECT_FALSE(ParseAuthChallenge("Bearer realm").has_value());
  EXPECT_FALSE(ParseAuthChallenge("").has_value());
}

TEST(RepositoryOfRegistryUrlTest, NamesTheRepositoryATokenIsScopedTo) {
  EXPECT_EQ(RepositoryOfRegistryUrl(
                "http://h:5000/v2/team/index/level-3/blobs/sha256:ab"),
            "team/index/level-3");
  EXPECT_EQ(RepositoryOfRegistryUrl(
                "http://h/v2/team/index/level-1/blobs/uploads/u?_state=x"),
            "team/index/level-1");
  EXPECT_EQ(RepositoryOfRegistryUrl("http://h/v2/a/manifests/docker.x.latest"),
            "a");
  EXPECT_EQ(RepositoryOfRegistryUrl("http://h/v2/a/b/tags/list?n=1000"), "a/b");
  EXPECT_EQ(RepositoryOfRegistryUrl("http://h/v2/"), "");
  EXPECT_EQ(RepositoryOfRegistryUrl("http://h/token?scope=x"), "");
}

}  // namespace
}  // namespace imagegraph
