// Runs the registry backend against a real docker-registry on 127.0.0.1.
#include "tools/index/registry_backend.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/index/http_client.h"
#include "tools/index/index.h"
#include "tools/index/namespaces.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

class RegistryBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/registry");
    ASSERT_TRUE(MakeDirectories(dir_ + "/storage").ok());
    port_ = FreePort();
    const std::string config = dir_ + "/config.yml";
    std::ofstream(config) << "version: 0.1\n"
                          << "log:\n  level: error\n"
                          << "  accesslog:\n    disabled: true\n"
                          << "storage:\n  filesystem:\n    rootdirectory: "
                          << dir_ << "/storage\n"
                          << "http:\n  addr: 127.0.0.1:" << port_ << "\n"
                          << "  secret: imagegraph-test\n";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      // The registry dies with the test, even when the test crashes.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      execlp("docker-registry", "docker-registry", "serve", config.c_str(),
             nullptr);
      _exit(127);
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
      HttpRequest ping;
      ping.url = absl::StrCat("http://127.0.0.1:", port_, "/v2/");
      auto response = PerformHttpRequest(ping);
      if (response.ok() && response->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "docker-registry did not start on port " << port_
           << " (./bazelw installs it)";
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string Spec(const std::string& repo) const {
    return absl::StrCat("registry://127.0.0.1:", port_, "/", repo);
  }

  std::string WriteArtifact(const std::string& name,
                            const std::string& contents) {
    std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  InsertImageRequest Request(const std::string& name, char digit,
                             const std::string& artifact) {
    InsertImageRequest request;
    request.name = name;
    request.context_hash = std::string(64, digit);
    request.image_id = "sha256:" + std::string(64, digit);
    request.revision = "rev";
    request.artifact_path = artifact;
    request.now = absl::FromUnixSeconds(1790000000);
    return request;
  }

  static std::string dir_;
  static int port_;
  static pid_t pid_;
};

std::string RegistryBackendTest::dir_;
int RegistryBackendTest::port_ = 0;
pid_t RegistryBackendTest::pid_ = 0;

TEST_F(RegistryBackendTest, InsertFindListFetch) {
  auto index = Index::Open(Spec("index/basic"), 2);
  ASSERT_TRUE(index.ok()) << index.status();
  // A few MB so that the upload streams in several blocks.
  std::string contents(3 * 1024 * 1024 + 5, 'z');
  contents[12345] = 'y';
  auto entry =
      (*index)->InsertImage(Request("base", 'a', WriteArtifact("a", contents)));
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->digest(), "sha256:" + Sha256Hex(contents));
  // Level-2 namespaces are tags of the level-2 repository.
  EXPECT_EQ(entry->location(),
            absl::StrCat("127.0.0.1:", port_, "/index/basic/level-2@",
                         entry->digest()));
  HttpRequest tags;
  tags.url = absl::StrCat("http://127.0.0.1:", port_,
                          "/v2/index/basic/level-2/tags/list");
  auto listing = PerformHttpRequest(tags);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(listing->body, HasSubstr("docker.images.v2.level-2.base.latest"));

  auto listed = (*index)->List("docker.images.v2.level-2.base.");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(
      *listed,
      ElementsAre("docker.images.v2.level-2.base.hash." + std::string(64, 'a'),
                  "docker.images.v2.level-2.base.latest",
                  "docker.images.v2.level-2.base.pushdate.2026.09-21-"
                  "20260921141320"));
  auto latest = (*index)->Find("docker.images.v2.level-2.base.latest");
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->image_id(), entry->image_id());
  EXPECT_EQ((*latest)->context_hash(), std::string(64, 'a'));
  EXPECT_EQ((*latest)->revision(), "rev");

  auto missing = (*index)->Find("docker.images.v2.level-2.nothing.latest");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());

  const std::string out =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/fetched.tar");
  ASSERT_TRUE((*index)->Fetch(**latest, out).ok());
  EXPECT_EQ(*ReadFileToString(out), contents);

  // An entry whose digest the registry does not hold fails and leaves
  // nothing behind.
  IndexEntry wrong = **latest;
  wrong.set_digest("sha256:" + Sha256Hex("other"));
  wrong.set_location(absl::StrCat("127.0.0.1:", port_, "/index/basic/level-2@",
                                  wrong.digest()));
  const std::string out2 = out + ".2";
  EXPECT_FALSE((*index)->Fetch(wrong, out2).ok());
  EXPECT_FALSE(PathExists(out2));

  // An entry may be forged: one that locates its artifact in another
  // repository or on another host is refused before anything is fetched.
  for (const std::string& location :
       {absl::StrCat("127.0.0.1:", port_, "/elsewhere@", entry->digest()),
        absl::StrCat("127.0.0.1:", port_, "/index/basic/level-7@",
                     entry->digest()),
        absl::StrCat("other.host:5000/index/basic/level-2@", entry->digest()),
        absl::StrCat("127.0.0.1:", port_,
                     "/index/basic/level-2@sha256:", std::string(64, '0'))}) {
    IndexEntry forged = **latest;
    forged.set_location(location);
    absl::Status fetched = (*index)->Fetch(forged, out2);
    EXPECT_EQ(fetched.code(), absl::StatusCode::kDataLoss) << location;
    EXPECT_THAT(fetched.message(),
                HasSubstr(absl::StrCat("locates its artifact at \"", location,
                                       "\", which is not a blob")))
        << location;
    EXPECT_FALSE(PathExists(out2));
  }
}

TEST_F(RegistryBackendTest, KeepsTheContextManifestAsALayer) {
  auto index = Index::Open(Spec("index/manifest"), 3);
  ASSERT_TRUE(index.ok());
  const std::string manifest = "0000 644 Dockerfile\nparent 1 base\n";
  InsertImageRequest request =
      Request("child", 'a', WriteArtifact("m", "tarball"));
  request.context_hash = Sha256Hex(manifest);
  request.context_manifest = manifest;
  auto entry = (*index)->InsertImage(request);
  ASSERT_TRUE(entry.ok()) << entry.status();
  // The tag's manifest references it, so registry garbage collection keeps it.
  HttpRequest get;
  get.url = absl::StrCat("http://127.0.0.1:", port_,
                         "/v2/index/manifest/level-3/manifests/",
                         LatestNamespace(3, "child"));
  get.headers.push_back("Accept: application/vnd.oci.image.manifest.v1+json");
  auto response = PerformHttpRequest(get);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->body,
              HasSubstr(absl::StrCat(
                  R"({"mediaType":")", kContextManifestMediaType,
                  R"(","digest":"sha256:)", Sha256Hex(manifest), "\"")));
  auto latest = (*index)->FindLatest("child");
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  auto fetched = (*index)->FetchContextManifest((*latest)->entry);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(*fetched, manifest);
}

TEST_F(RegistryBackendTest, LevelOneBuildCannotPoisonLevelThree) {
  auto untrusted = Index::Open(Spec("index/levels"), 1);
  auto trusted = Index::Open(Spec("index/levels"), 3);
  ASSERT_TRUE(untrusted.ok() && trusted.ok());
  ASSERT_TRUE(
      (*untrusted)
          ->InsertImage(Request("base", 'b', WriteArtifact("e", "evil")))
          .ok());
  auto request = Request("base", 'b', WriteArtifact("e", "evil"));
  request.extra_namespaces = {HashNamespace(3, "base", std::string(64, 'b'))};
  EXPECT_EQ((*untrusted)->InsertImage(request).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto hit = (*trusted)->LookupByHash("base", std::string(64, 'b'));
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_FALSE(hit->has_value());
  auto own = (*untrusted)->LookupByHash("base", std::string(64, 'b'));
  ASSERT_TRUE(own.ok() && own->has_value());
  EXPECT_EQ((*own)->entry.level(), 1);
}

TEST_F(RegistryBackendTest, LongNamespacesAreShortenedTags) {
  auto index = Index::Open(Spec("index/long"), 1);
  ASSERT_TRUE(index.ok());
  const std::string name(60, 'n');
  auto entry =
      (*index)->InsertImage(Request(name, 'c', WriteArtifact("l", "long")));
  ASSERT_TRUE(entry.ok()) << entry.status();
  const std::string hash_ns = HashNamespace(1, name, std::string(64, 'c'));
  ASSERT_GT(hash_ns.size(), 128u);
  EXPECT_EQ(RegistryTagForNamespace(hash_ns).size(), 128u);
  auto found = (*index)->Find(hash_ns);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->digest(), entry->digest());
  auto listed = (*index)->List(LevelPrefix(1) + name + ".hash.");
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(hash_ns));
}

TEST_F(RegistryBackendTest, EmptyRepositoryListsNothing) {
  auto index = Index::Open(Spec("index/empty"), 1);
  ASSERT_TRUE(index.ok());
  auto listed = (*index)->List("docker.");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->empty());
}

TEST_F(RegistryBackendTest, UnreachableRegistryNamesTheUrl) {
  const int closed_port = FreePort();
  auto index =
      Index::Open(absl::StrCat("registry://127.0.0.1:", closed_port, "/x"), 1);
  ASSERT_TRUE(index.ok());
  auto found = (*index)->Find("docker.images.v2.level-1.a.latest");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(found.status().message(),
              HasSubstr(absl::StrCat("http://127.0.0.1:", closed_port,
                                     "/v2/x/level-1/manifests/")));
}

TEST(RegistrySpecTest, BadSpecsAreExplained) {
  EXPECT_THAT(RegistryBackend::Create("registry://hostonly").status().message(),
              HasSubstr("needs a host and a repository"));
  EXPECT_THAT(
      RegistryBackend::Create("registry://h:1/Upper").status().message(),
      HasSubstr("may contain only lowercase letters"));
  auto remote = RegistryBackend::Create("registry://example.invalid:443/r");
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ((*remote)->Describe(), "registry index example.invalid:443/r");
}

}  // namespace
}  // namespace imagegraph
