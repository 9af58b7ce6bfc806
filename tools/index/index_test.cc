#include "tools/index/index.h"

#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/index/local_backend.h"
#include "tools/index/namespaces.h"

namespace imagegraph {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);  // 2026-09-21

class LocalIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(MakeDirectories(root_ + "/artifacts").ok());
  }

  std::unique_ptr<Index> Open(int level) {
    auto index = Index::Open(root_ + "/index", level);
    EXPECT_TRUE(index.ok()) << index.status();
    // Expiry is judged at the time the requests insert at.
    (*index)->set_now_for_testing(kNow);
    return *std::move(index);
  }

  // The files directly in the index's artifact store.
  std::vector<std::string> StoreFiles() {
    std::vector<std::string> names;
    DIR* dir = opendir((root_ + "/index/cas/sha256").c_str());
    if (dir == nullptr) return names;
    while (struct dirent* child = readdir(dir)) {
      std::string name = child->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string WriteArtifact(const std::string& name,
                            const std::string& contents) {
    std::string path = absl::StrCat(root_, "/artifacts/", name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  InsertImageRequest Request(const std::string& name, char hash_digit,
                             const std::string& artifact) {
    InsertImageRequest request;
    request.name = name;
    request.context_hash = std::string(64, hash_digit);
    request.image_id = absl::StrCat("sha256:", std::string(64, hash_digit));
    request.revision = "rev-1";
    request.artifact_path = artifact;
    request.now = kNow;
    return request;
  }

  std::string root_;
};

TEST_F(LocalIndexTest, InsertWritesHashLatestAndPushdateRoutes) {
  auto index = Open(3);
  auto request = Request("base", 'a', WriteArtifact("a.tar", "tarball-a"));
  request.extra_namespaces = {"docker.images.v2.level-3.base.release"};
  auto entry = index->InsertImage(request);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->digest(), "sha256:" + Sha256Hex("tarball-a"));
  EXPECT_EQ(entry->location(), "cas/sha256/" + Sha256Hex("tarball-a"));
  EXPECT_EQ(entry->size_bytes(), 9);
  EXPECT_EQ(entry->level(), 3);
  EXPECT_EQ(entry->indexed_at(), 1790000000);
  EXPECT_EQ(entry->revision(), "rev-1");

  auto listed = index->List("docker.images.v2.level-3.base.");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(
      *listed,
      ElementsAre("docker.images.v2.level-3.base.hash." + std::string(64, 'a'),
                  "docker.images.v2.level-3.base.latest",
                  "docker.images.v2.level-3.base.pushdate.2026.09-21-"
                  "20260921141320",
                  "docker.images.v2.level-3.base.release"));
  for (const std::string& ns : *listed) {
    auto found = index->Find(ns);
    ASSERT_TRUE(found.ok() && found->has_value()) << ns;
    EXPECT_EQ((*found)->image_id(), entry->image_id()) << ns;
    EXPECT_EQ((*found)->digest(), entry->digest()) << ns;
  }
  // The artifact is stored once, by content.
  EXPECT_TRUE(PathExists(root_ + "/index/" + entry->location()));
}

TEST_F(LocalIndexTest, ListBrowsesPushdatesAndPartialComponents) {
  auto index = Open(1);
  for (int i = 0; i < 3; ++i) {
    auto request =
        Request("lint", 'a' + i, WriteArtifact(absl::StrCat("l", i), "x"));
    request.now = absl::FromUnixSeconds(1790000000 + 86400 * 40 * i);
    ASSERT_TRUE(index->InsertImage(request).ok());
  }
  ASSERT_TRUE(
      index->InsertImage(Request("linter", 'f', WriteArtifact("o", "y"))).ok());
  auto pushdates = index->List("docker.images.v2.level-1.lint.pushdate.");
  ASSERT_TRUE(pushdates.ok());
  EXPECT_THAT(
      *pushdates,
      ElementsAre(
          "docker.images.v2.level-1.lint.pushdate.2026.09-21-20260921141320",
          "docker.images.v2.level-1.lint.pushdate.2026.10-31-20261031141320",
          "docker.images.v2.level-1.lint.pushdate.2026.12-10-20261210141320"));
  // A prefix that ends inside a component matches every continuation.
  auto partial = index->List("docker.images.v2.level-1.lint");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->size(), 3u + 3u + 1u + 3u);  // lint: 7, linter: 3
  auto none = index->List("docker.images.v2.level-2.");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(LocalIndexTest, WriterMayWriteOnlyItsOwnLevel) {
  auto index = Open(1);
  auto request = Request("base", 'a', WriteArtifact("a", "a"));
  request.extra_namespaces = {"docker.images.v2.level-3.base.hash." +
                              std::string(64, 'a')};
  auto entry = index->InsertImage(request);
  ASSERT_FALSE(entry.ok());
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(entry.status().message(),
              HasSubstr("is not a level-1 namespace: a writer at level 1 may "
                        "write only namespaces starting with "
                        "docker.images.v2.level-1."));
  request.extra_namespaces = {"other.namespace"};
  EXPECT_THAT(index->InsertImage(request).status().message(),
              HasSubstr("\"other.namespace\" is not a level-1 namespace"));
  // Nothing was written by the refused inserts.
  auto listed = index->List("docker.");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(LocalIndexTest, LevelOneBuildCannotPoisonLevelThree) {
  auto trusted = Open(3);
  auto untrusted = Open(1);
  // An untrusted build indexes a tarball for the same context hash.
  auto poisoned = untrusted->InsertImage(
      Request("base", 'a', WriteArtifact("evil", "evil tarball")));
  ASSERT_TRUE(poisoned.ok());
  // The trusted level never sees it: lookups stop at the requester's level.
  auto trusted_hit = trusted->LookupByHash("base", std::string(64, 'a'));
  ASSERT_TRUE(trusted_hit.ok());
  EXPECT_FALSE(trusted_hit->has_value());
  EXPECT_FALSE(
      Open(2)->LookupByHash("base", std::string(64, 'a'))->has_value());

  // Once level 3 indexes its own build, every level prefers it.
  auto good = trusted->InsertImage(
      Request("base", 'a', WriteArtifact("good", "good tarball")));
  ASSERT_TRUE(good.ok());
  for (int level = 1; level <= 3; ++level) {
    auto hit = Open(level)->LookupByHash("base", std::string(64, 'a'));
    ASSERT_TRUE(hit.ok() && hit->has_value()) << level;
    EXPECT_EQ((*hit)->ns,
              "docker.images.v2.level-3.base.hash." + std::string(64, 'a'));
    EXPECT_EQ((*hit)->entry.digest(), good->digest());
  }
  // The level-3 latest route still names the trusted build.
  auto latest = trusted->Find("docker.images.v2.level-3.base.latest");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->digest(), good->digest());
}

TEST_F(LocalIndexTest, LookupTriesEachLevelDownToTheRequesters) {
  auto level2 = Open(2);
  ASSERT_TRUE(
      level2->InsertImage(Request("base", 'b', WriteArtifact("b", "b"))).ok());
  auto hit = Open(1)->LookupByHash("base", std::string(64, 'b'));
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->entry.level(), 2);
  EXPECT_FALSE(
      Open(3)->LookupByHash("base", std::string(64, 'b'))->has_value());
  EXPECT_FALSE(
      Open(1)->LookupByHash("base", std::string(64, 'c'))->has_value());
}

TEST_F(LocalIndexTest, EntryDisagreeingWithItsNamespaceIsSkippedWithWarning) {
  auto index = Open(3);
  auto entry =
      index->InsertImage(Request("base", 'a', WriteArtifact("a", "a")));
  ASSERT_TRUE(entry.ok());
  // Someone copies the entry under another hash's namespace.
  LocalBackend backend(root_ + "/index");
  const std::string other_ns = HashNamespace(3, "base", std::string(64, 'd'));
  ASSERT_TRUE(backend.PutEntry(*entry, {other_ns}).ok());
  std::vector<std::string> warnings;
  auto hit = index->LookupByHash("base", std::string(64, 'd'), &warnings);
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("disagree with its namespace; ignored"));
  EXPECT_THAT(warnings[0], HasSubstr(other_ns));
}

TEST_F(LocalIndexTest, FetchVerifiesTheDigest) {
  auto index = Open(1);
  auto entry =
      index->InsertImage(Request("base", 'a', WriteArtifact("a", "contents")));
  ASSERT_TRUE(entry.ok());
  const std::string out = root_ + "/fetched.tar";
  ASSERT_TRUE(index->Fetch(*entry, out).ok());
  EXPECT_EQ(*ReadFileToString(out), "contents");

  // Corrupt the stored artifact: the fetch fails and leaves no output.
  const std::string stored = root_ + "/index/" + entry->location();
  std::ofstream(stored, std::ios::binary | std::ios::trunc) << "tampered";
  const std::string out2 = root_ + "/fetched2.tar";
  absl::Status fetched = index->Fetch(*entry, out2);
  EXPECT_EQ(fetched.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(fetched.message(), HasSubstr("the stored artifact is corrupt"));
  EXPECT_THAT(fetched.message(), HasSubstr(stored));
  EXPECT_FALSE(PathExists(out2));

  // A missing artifact names the file and the fix.
  ASSERT_EQ(unlink(stored.c_str()), 0);
  fetched = index->Fetch(*entry, out2);
  EXPECT_EQ(fetched.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(fetched.message(), HasSubstr("insert the image again"));
}

TEST_F(LocalIndexTest, FetchByHashSkipsCorruptArtifactsWithAWarning) {
  auto level1 = Open(1);
  auto level3 = Open(3);
  auto low =
      level1->InsertImage(Request("base", 'a', WriteArtifact("l", "low")));
  auto high =
      level3->InsertImage(Request("base", 'a', WriteArtifact("h", "high")));
  ASSERT_TRUE(low.ok() && high.ok());
  const std::string out = root_ + "/reused.tar";
  std::vector<std::string> warnings;
  auto hit = level1->FetchByHash("base", std::string(64, 'a'), out, &warnings);
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->entry.level(), 3);
  EXPECT_EQ(*ReadFileToString(out), "high");
  EXPECT_TRUE(warnings.empty());

  // The level-3 tarball is corrupted: a warning, then level 1 is used.
  std::ofstream(root_ + "/index/" + high->location(), std::ios::trunc) << "x";
  hit = level1->FetchByHash("base", std::string(64, 'a'), out, &warnings);
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->entry.level(), 1);
  EXPECT_EQ(*ReadFileToString(out), "low");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0],
              HasSubstr("cannot reuse docker.images.v2.level-3.base.hash."));
  EXPECT_THAT(warnings[0], HasSubstr("the image will be built"));

  // A level-3 requester has nothing else to fall back on: build.
  warnings.clear();
  const std::string out3 = root_ + "/reused3.tar";
  hit = level3->FetchByHash("base", std::string(64, 'a'), out3, &warnings);
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_value());
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_FALSE(PathExists(out3));
}

TEST_F(LocalIndexTest, CorruptEntryNamesTheFile) {
  auto index = Open(1);
  ASSERT_TRUE(
      index->InsertImage(Request("base", 'a', WriteArtifact("a", "a"))).ok());
  const std::string path =
      root_ + "/index/namespaces/docker/images/v2/level-1/base/latest.json";
  ASSERT_TRUE(PathExists(path));
  std::ofstream(path, std::ios::trunc) << "{not json";
  auto found = index->Find("docker.images.v2.level-1.base.latest");
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.status().message(), HasSubstr(path));
  EXPECT_THAT(found.status().message(), HasSubstr("corrupt index entry"));
}

TEST_F(LocalIndexTest, WritersInFlightAreInvisible) {
  auto index = Open(1);
  ASSERT_TRUE(
      index->InsertImage(Request("base", 'a', WriteArtifact("a", "a"))).ok());
  // A temporary file of a writer that has not renamed yet.
  std::ofstream(root_ +
                "/index/namespaces/docker/images/v2/level-1/base/"
                ".latest.json.tmp.1.1.0")
      << "{";
  auto listed = index->List("docker.images.v2.level-1.base.");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 3u);
}

TEST_F(LocalIndexTest, BadRequestsAreExplained) {
  auto index = Open(1);
  auto request = Request("Base", 'a', WriteArtifact("a", "a"));
  EXPECT_THAT(index->InsertImage(request).status().message(),
              HasSubstr("image name \"Base\" is invalid"));
  request = Request("base", 'a', WriteArtifact("a", "a"));
  request.context_hash = "123";
  EXPECT_THAT(index->InsertImage(request).status().message(),
              HasSubstr("context hash \"123\" is invalid"));
  request = Request("base", 'a', WriteArtifact("a", "a"));
  request.image_id = "";
  EXPECT_THAT(index->InsertImage(request).status().message(),
              HasSubstr("image ID \"\" is invalid"));
  request = Request("base", 'a', root_ + "/missing.tar");
  EXPECT_THAT(index->InsertImage(request).status().message(),
              HasSubstr("missing.tar: cannot open"));
  EXPECT_THAT(Index::Open(root_, 0).status().message(),
              HasSubstr("level 0 is out of range"));
  EXPECT_THAT(Index::Open("s3://bucket", 1).status().message(),
              HasSubstr("use a directory path or registry://HOST:PORT/REPO"));
}

// The attack on levels in a local index: a symlink level-1/NAME ->
// ../level-3/NAME would make a level-1 insert write level-3 entries.
TEST_F(LocalIndexTest, SymlinkUnderNamespacesIsRefused) {
  auto trusted = Open(3);
  auto good = trusted->InsertImage(
      Request("base", 'a', WriteArtifact("good", "good tarball")));
  ASSERT_TRUE(good.ok());
  const std::string levels = root_ + "/index/namespaces/docker/images/v2";
  ASSERT_TRUE(MakeDirectories(levels + "/level-1").ok());
  ASSERT_EQ(symlink("../level-3/base", (levels + "/level-1/base").c_str()), 0);
  auto untrusted = Open(1);
  auto poisoned = untrusted->InsertImage(
      Request("base", 'a', WriteArtifact("evil", "evil tarball")));
  ASSERT_FALSE(poisoned.ok());
  EXPECT_THAT(poisoned.status().message(),
              HasSubstr(levels +
                        "/level-1/base is a symlink: the local "
                        "index " +
                        root_ + "/index refuses symlinks under namespaces/"));
  auto latest = trusted->Find("docker.images.v2.level-3.base.latest");
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->digest(), good->digest());
  EXPECT_EQ((*latest)->level(), 3);

  // Reading through one is refused too, and so is listing.
  auto found = untrusted->Find("docker.images.v2.level-1.base.latest");
  EXPECT_THAT(found.status().message(), HasSubstr("is a symlink"));
  EXPECT_THAT(untrusted->List("docker.images.v2.").status().message(),
              HasSubstr(levels + "/level-1/base is a symlink"));
  // So is a symlinked entry file.
  ASSERT_EQ(unlink((levels + "/level-1/base").c_str()), 0);
  ASSERT_TRUE(MakeDirectories(levels + "/level-1/base").ok());
  ASSERT_EQ(symlink("../../level-3/base/latest.json",
                    (levels + "/level-1/base/latest.json").c_str()),
            0);
  found = untrusted->Find("docker.images.v2.level-1.base.latest");
  EXPECT_THAT(found.status().message(),
              HasSubstr(levels + "/level-1/base/latest.json is a symlink"));
}

// A level-1 entry copied (not linked) under a level-3 namespace.
TEST_F(LocalIndexTest, FindIgnoresAnEntryOfAnotherLevelWithAWarning) {
  auto untrusted = Open(1);
  auto entry = untrusted->InsertImage(
      Request("base", 'a', WriteArtifact("evil", "evil tarball")));
  ASSERT_TRUE(entry.ok());
  const std::string ns = "docker.images.v2.level-3.base.latest";
  ASSERT_TRUE(LocalBackend(root_ + "/index").PutEntry(*entry, {ns}).ok());
  std::vector<std::string> warnings;
  auto found = Open(3)->Find(ns, &warnings);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_THAT(warnings,
              ElementsAre(AllOf(HasSubstr("entry " + ns), HasSubstr("level 1"),
                                HasSubstr("disagree with its namespace; "
                                          "ignored"))));
  // An extra namespace of the right level is only checked for its level.
  const std::string extra = "docker.images.v2.level-1.release.candidate";
  ASSERT_TRUE(LocalBackend(root_ + "/index").PutEntry(*entry, {extra}).ok());
  warnings.clear();
  found = untrusted->Find(extra, &warnings);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST_F(LocalIndexTest, ExpiredEntriesAreNotUsedAndGcRemovesThem) {
  auto index = Open(1);
  auto request = Request("base", 'a', WriteArtifact("a", "tarball-a"));
  request.expires_in = absl::Hours(1);
  auto entry = index->InsertImage(request);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->expires_at(), 1790000000 + 3600);
  auto kept = index->InsertImage(
      Request("other", 'b', WriteArtifact("b", "tarball-b")));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->expires_at(), 1790000000 + 365 * 24 * 3600);

  index->set_now_for_testing(kNow + absl::Hours(2));
  std::vector<std::string> warnings;
  auto hit = index->LookupByHash("base", std::string(64, 'a'), &warnings);
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_value());
  EXPECT_THAT(warnings, ElementsAre(HasSubstr(
                            "expired at 2026-09-21 15:13:20 UTC; ignored "
                            "(index gc removes it)")));
  EXPECT_TRUE(index->LookupByHash("other", std::string(64, 'b'))->has_value());

  auto report =
      LocalBackend(root_ + "/index").CollectGarbage(kNow + absl::Hours(2));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries_removed, 3);
  EXPECT_EQ(report->entries_kept, 3);
  EXPECT_EQ(report->artifacts_removed, 1);
  EXPECT_EQ(report->bytes_freed, 9);
  EXPECT_EQ(report->artifacts_kept, 1);
  EXPECT_THAT(StoreFiles(), ElementsAre(Sha256Hex("tarball-b")));
  EXPECT_FALSE(PathExists(root_ + "/index/namespaces/docker/images/v2/"
                                  "level-1/base"));
  EXPECT_THAT(*index->List("docker.images.v2.level-1."),
              ElementsAre(HasSubstr("other.hash."),
                          "docker.images.v2.level-1.other.latest",
                          HasSubstr("other.pushdate.")));
}

// The pushdate route has one-second resolution: ten inserts of one image in
// one second leave one entry per route, and nine artifacts that only gc
// removes.
TEST_F(LocalIndexTest, TenInsertsInOneSecondLeaveNoOrphansAfterGc) {
  auto index = Open(1);
  std::string last_digest;
  for (int i = 0; i < 10; ++i) {
    auto entry = index->InsertImage(Request(
        "base", 'a',
        WriteArtifact(absl::StrCat("t", i), absl::StrCat("build ", i))));
    ASSERT_TRUE(entry.ok()) << entry.status();
    last_digest = entry->digest();
  }
  EXPECT_EQ(StoreFiles().size(), 10u);
  EXPECT_EQ(index->List("docker.images.v2.level-1.base.pushdate.")->size(), 1u);
  // A temporary file of a killed writer, too.
  std::ofstream(root_ + "/index/cas/sha256/.artifact.tmp.999.1.0") << "half";
  auto report = LocalBackend(root_ + "/index").CollectGarbage(kNow);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries_removed, 0);
  EXPECT_EQ(report->entries_kept, 3);
  EXPECT_EQ(report->artifacts_removed, 9);
  EXPECT_EQ(report->temporaries_removed, 1);
  EXPECT_THAT(StoreFiles(), ElementsAre(last_digest.substr(7)));
  // What is left is whole: every route still fetches.
  EXPECT_TRUE(index
                  ->Fetch(**index->Find("docker.images.v2.level-1.base.latest"),
                          root_ + "/fetched")
                  .ok());
}

TEST_F(LocalIndexTest, KeepsTheContextManifestBesideTheArtifact) {
  auto index = Open(3);
  const std::string manifest = "0000 644 Dockerfile\n";
  InsertImageRequest request =
      Request("base", 'a', WriteArtifact("a", "tarball"));
  request.context_hash = Sha256Hex(manifest);
  request.context_manifest = manifest;
  auto entry = index->InsertImage(request);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->context_manifest_digest(),
            absl::StrCat("sha256:", Sha256Hex(manifest)));
  EXPECT_EQ(entry->context_manifest_size(), manifest.size());
  // Stored once, by content, beside the artifacts; the entry stays small.
  EXPECT_EQ(*ReadFileToString(
                absl::StrCat(root_, "/index/cas/sha256/", Sha256Hex(manifest))),
            manifest);
  auto latest = index->FindLatest("base");
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->ns, LatestNamespace(3, "base"));
  auto fetched = index->FetchContextManifest((*latest)->entry);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(*fetched, manifest);
  // Garbage collection keeps what an entry references, its manifest too.
  ASSERT_TRUE(LocalBackend(root_ + "/index").CollectGarbage(kNow).ok());
  EXPECT_EQ(*index->FetchContextManifest((*latest)->entry), manifest);

  // A manifest that is not the one the context hash was computed from is
  // refused on insert...
  InsertImageRequest wrong = Request("base", 'b', WriteArtifact("b", "x"));
  wrong.context_manifest = manifest;
  EXPECT_THAT(index->InsertImage(wrong).status().message(),
              HasSubstr("hashes to " + Sha256Hex(manifest) +
                        ", not to its context hash " + std::string(64, 'b')));
  // ... and a stored one that was altered, or an entry whose hash it does
  // not match, on fetch.
  IndexEntry forged = (*latest)->entry;
  forged.set_context_hash(std::string(64, 'c'));
  EXPECT_THAT(index->FetchContextManifest(forged).status().message(),
              HasSubstr("not to the entry's context hash"));
  ASSERT_TRUE(WriteFileAtomically(absl::StrCat(root_, "/index/cas/sha256/",
                                               Sha256Hex(manifest)),
                                  "tampered\n")
                  .ok());
  EXPECT_EQ(index->FetchContextManifest((*latest)->entry).status().code(),
            absl::StatusCode::kDataLoss);
  // An entry inserted without one says so.
  auto plain =
      index->InsertImage(Request("other", 'd', WriteArtifact("d", "y")));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(index->FetchContextManifest(*plain).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LocalIndexTest, FindLatestPrefersTheHighestLevelDownToTheOwn) {
  auto level1 = Open(1);
  auto level2 = Open(2);
  ASSERT_TRUE(
      level1->InsertImage(Request("base", 'a', WriteArtifact("a", "1"))).ok());
  auto own = level1->FindLatest("base");
  ASSERT_TRUE(own.ok() && own->has_value());
  EXPECT_EQ((*own)->entry.level(), 1);
  // A level-2 requester never sees level 1.
  auto none = level2->FindLatest("base");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(
      level2->InsertImage(Request("base", 'b', WriteArtifact("b", "2"))).ok());
  auto higher = level1->FindLatest("base");
  ASSERT_TRUE(higher.ok() && higher->has_value());
  EXPECT_EQ((*higher)->entry.level(), 2);
  EXPECT_EQ((*higher)->entry.context_hash(), std::string(64, 'b'));
}

TEST(DefaultLocalIndexDirectoryTest, PrefersXdgThenHomeThenPasswordDatabase) {
  setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
  EXPECT_EQ(*DefaultLocalIndexDirectory(), "/xdg/cache/imagegraph/index");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(*DefaultLocalIndexDirectory(),
            "/home/someone/.cache/imagegraph/index");
  // As in a Bazel action: no HOME at all, so the password database decides.
  unsetenv("HOME");
  struct passwd* user = getpwuid(getuid());
  ASSERT_NE(user, nullptr);
  const std::string expected =
      absl::StrCat(user->pw_dir, "/.cache/imagegraph/index");
  EXPECT_EQ(*DefaultLocalIndexDirectory(), expected);
  // Index::Open("default") and Open("") open that directory.
  for (absl::string_view spec : {"default", ""}) {
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(spec, 1);
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_EQ((*index)->backend().Describe(),
              absl::StrCat("local index ", expected));
  }
  EXPECT_THAT(Index::Open("off", 1).status().message(),
              HasSubstr("names no index"));
}

}  // namespace
}  // namespace imagegraph
