#include "tools/tree/reference_map.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/tree/resolver.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Dockerfile MustParse(const std::string& text) {
  absl::StatusOr<Dockerfile> parsed =
      ParseDockerfile("images/x/Dockerfile", text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : Dockerfile();
}

std::string Pinned(const std::string& repository) {
  return repository + "@" + kDigest;
}

std::vector<ImageReference> MustResolve(const std::string& text,
                                        const ReferenceMap& map,
                                        const std::string& parent = "") {
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(MustParse(text), {{"V", "2"}}, map, parent);
  EXPECT_TRUE(refs.ok()) << refs.status();
  return refs.ok() ? *std::move(refs) : std::vector<ImageReference>();
}

std::string Error(const std::string& text, const ReferenceMap& map,
                  const std::string& parent = "") {
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(MustParse(text), {{"V", "2"}}, map, parent);
  EXPECT_FALSE(refs.ok()) << text;
  return refs.ok() ? "" : std::string(refs.status().message());
}

TEST(ReferenceMapTest, TheResolversResultRoundTrips) {
  ResolveOptions options;
  options.registry = "registry.example";
  options.in_tree_names = {"base", "lint"};
  options.docker_image_parent = "base";
  options.pinned_digests = {{"old", kDigest}};
  const std::string text =
      "FROM $DOCKER_IMAGE_PARENT AS a\n"
      "COPY --from=registry.example/lint:1 /a /a\n"
      "COPY --from=old /b /b\n"
      "FROM " +
      Pinned("tools.example/uv") +
      "\n"
      "COPY --from=a /c /c\n";
  absl::StatusOr<std::vector<ImageReference>> resolved =
      ResolveImageReferences(MustParse(text), options);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const ReferenceMap map = MakeReferenceMap(*resolved);
  EXPECT_THAT(map, ElementsAre(Pair("$DOCKER_IMAGE_PARENT", ":base"),
                               Pair("old", Pinned("registry.example/old")),
                               Pair("registry.example/lint:1", ":lint"),
                               Pair(Pinned("tools.example/uv"),
                                    Pinned("tools.example/uv"))));
  std::vector<ImageReference> checked = MustResolve(text, map, "base");
  ASSERT_EQ(checked.size(), resolved->size());
  for (size_t i = 0; i < checked.size(); ++i) {
    EXPECT_EQ(checked[i].kind, (*resolved)[i].kind) << i;
    EXPECT_EQ(checked[i].written, (*resolved)[i].written) << i;
    EXPECT_EQ(checked[i].in_tree_name, (*resolved)[i].in_tree_name) << i;
    EXPECT_EQ(checked[i].pinned, (*resolved)[i].pinned) << i;
    EXPECT_EQ(checked[i].offset, (*resolved)[i].offset) << i;
  }
}

TEST(ReferenceMapTest, KeysAreWrittenAfterArgExpansion) {
  std::vector<ImageReference> refs =
      MustResolve("ARG V\nFROM base:$V\nFROM scratch\n", {{"base:2", ":base"}});
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[0].in_tree_name, "base");
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kScratch);
}

TEST(ReferenceMapTest, AReferenceTheMapLacksIsAnError) {
  EXPECT_EQ(Error("FROM scratch\nCOPY --from=lint /a /a\n", {}),
            "images/x/Dockerfile:2: COPY --from=lint is not among the image's "
            "references (the `references` attribute, keyed by the reference "
            "as written after ARG expansion): the BUILD file is stale: "
            "regenerate it (bazel run the tree's update target, e.g. "
            "//images:update)");
  // No guessing: a name is not in-tree because it looks like one.
  EXPECT_THAT(Error("FROM base\n", {{"base:2", ":base"}}),
              HasSubstr("FROM base is not among the image's references"));
}

TEST(ReferenceMapTest, AnEntryTheDockerfileNeverUsesIsAnError) {
  EXPECT_EQ(Error("FROM scratch\n", {{"lint", ":lint"}}),
            "images/x/Dockerfile: the references list \"lint\" (-> :lint), "
            "which the Dockerfile never names: the BUILD file is stale: "
            "regenerate it (bazel run the tree's update target, e.g. "
            "//images:update)");
}

TEST(ReferenceMapTest, ParentArgNamesTheDeclaredParent) {
  const std::string text =
      "ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n";
  std::vector<ImageReference> refs =
      MustResolve(text, {{"$DOCKER_IMAGE_PARENT", ":base"}}, "base");
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kParentArg);
  EXPECT_EQ(refs[0].in_tree_name, "base");
  EXPECT_EQ(Error(text, {{"$DOCKER_IMAGE_PARENT", ":base"}}),
            "images/x/Dockerfile:2: FROM $DOCKER_IMAGE_PARENT but the image "
            "declares no parent: set parent on the docker_image target");
  EXPECT_THAT(Error(text, {{"$DOCKER_IMAGE_PARENT", ":lint"}}, "base"),
              HasSubstr("images/x/Dockerfile:2: FROM $DOCKER_IMAGE_PARENT is "
                        "mapped to :lint but the declared parent is :base"));
}

TEST(ReferenceMapTest, EmptyExpansionAndBadTargets) {
  EXPECT_THAT(Error("ARG B\nFROM $B\n", {}),
              HasSubstr("images/x/Dockerfile:2: FROM $B expands to an empty "
                        "image name"));
  EXPECT_THAT(Error("FROM debian:12\n", {{"debian:12", "debian:12"}}),
              HasSubstr("images/x/Dockerfile: reference debian:12 -> "
                        "\"debian:12\": the target must be \":NAME\""));
}

TEST(ReferenceMapTest, ParseReferenceFlag) {
  absl::StatusOr<std::pair<std::string, std::string>> entry =
      ParseReferenceFlag("$DOCKER_IMAGE_PARENT=:base");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->first, "$DOCKER_IMAGE_PARENT");
  EXPECT_EQ(entry->second, ":base");
  entry = ParseReferenceFlag("old=" + Pinned("r.example/old"));
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->second, Pinned("r.example/old"));
  EXPECT_THAT(std::string(ParseReferenceFlag("lint").status().message()),
              HasSubstr("--reference=lint: expected WRITTEN=TARGET"));
  EXPECT_THAT(std::string(ParseReferenceFlag("lint=lint").status().message()),
              HasSubstr("the target must be \":NAME\""));
}

TEST(RewriteTest, InTreeAndPinnedReferencesBecomeLocalTags) {
  const std::string text =
      "# syntax=docker/dockerfile:1\n"
      "ARG DOCKER_IMAGE_PARENT\n"
      "FROM $DOCKER_IMAGE_PARENT AS build\n"
      "COPY --from=registry.example/lint:1 /a /a\n"
      "FROM " +
      Pinned("tools.example/uv") +
      "\n"
      "COPY --from=build /b /b\n"
      "COPY --from=lint   /c /c\n";
  const Dockerfile dockerfile = MustParse(text);
  const ReferenceMap map = {
      {"$DOCKER_IMAGE_PARENT", ":base"},
      {"registry.example/lint:1", ":lint"},
      {"lint", ":lint"},
      {Pinned("tools.example/uv"), Pinned("tools.example/uv")}};
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(dockerfile, {}, map, "base");
  ASSERT_TRUE(refs.ok()) << refs.status();
  absl::StatusOr<std::string> rewritten = RewriteReferences(
      dockerfile, *refs,
      {{"base", "localhost/base:abc"}, {"lint", "localhost/lint:def"}},
      {{kDigest, "localhost/base:0123"}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten,
            "# syntax=docker/dockerfile:1\n"
            "ARG DOCKER_IMAGE_PARENT\n"
            "FROM localhost/base:abc AS build\n"
            "COPY --from=localhost/lint:def /a /a\n"
            "FROM localhost/base:0123\n"
            "COPY --from=build /b /b\n"
            "COPY --from=localhost/lint:def   /c /c\n");
  absl::StatusOr<std::string> missing =
      RewriteReferences(dockerfile, *refs, {{"base", "x"}}, {});
  EXPECT_EQ(missing.status().message(),
            "images/x/Dockerfile:4: no loaded image for the in-tree image "
            "\"lint\" that COPY --from=registry.example/lint:1 names");
}

TEST(RewriteTest, RunMountFromIsRewrittenLikeCopyFrom) {
  // A mount's from= names an image as COPY --from= does: pinned and in-tree
  // ones become the loaded tags, stages and other fields stay as written.
  const std::string text =
      "FROM scratch AS build\n"
      "FROM lint\n"
      "RUN --mount=type=bind,from=" +
      Pinned("tools.example/uv") +
      ",target=/uv \\\n"
      "    --mount=type=cache,target=/c \\\n"
      "    --mount=from=build,target=/b \\\n"
      "    --mount=target=/l,from=registry.example/lint:1 true\n";
  const Dockerfile dockerfile = MustParse(text);
  const ReferenceMap map = {
      {"lint", ":lint"},
      {"registry.example/lint:1", ":lint"},
      {Pinned("tools.example/uv"), Pinned("tools.example/uv")}};
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(dockerfile, {}, map, "");
  ASSERT_TRUE(refs.ok()) << refs.status();
  absl::StatusOr<std::string> rewritten =
      RewriteReferences(dockerfile, *refs, {{"lint", "localhost/lint:def"}},
                        {{kDigest, "localhost/base:0123"}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten,
            "FROM scratch AS build\n"
            "FROM localhost/lint:def\n"
            "RUN --mount=type=bind,from=localhost/base:0123,target=/uv \\\n"
            "    --mount=type=cache,target=/c \\\n"
            "    --mount=from=build,target=/b \\\n"
            "    --mount=target=/l,from=localhost/lint:def true\n");
  EXPECT_EQ(RewriteReferences(dockerfile, *refs, {{"lint", "x"}}, {})
                .status()
                .message(),
            "images/x/Dockerfile:3: no loaded archive for " +
                Pinned("tools.example/uv") + ", which RUN --mount=from=" +
                Pinned("tools.example/uv") + " names");
}

TEST(RewriteTest, AcrossAContinuationOfOtherWords) {
  const Dockerfile dockerfile = MustParse("FROM \\\n  lint \\\n  AS x\n");
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(dockerfile, {}, {{"lint", ":lint"}}, "");
  ASSERT_TRUE(refs.ok()) << refs.status();
  absl::StatusOr<std::string> rewritten =
      RewriteReferences(dockerfile, *refs, {{"lint", "local/lint"}}, {});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, "FROM \\\n  local/lint \\\n  AS x\n");
}

TEST(RewriteTest, ReferenceSplitByAContinuation) {
  const Dockerfile dockerfile = MustParse("FROM li\\\nnt\n");
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveWithReferenceMap(dockerfile, {}, {{"lint", ":lint"}}, "");
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(RewriteReferences(dockerfile, *refs, {{"lint", "x"}}, {})
                .status()
                .message(),
            "images/x/Dockerfile:1: cannot rewrite lint: the reference is "
            "split by a line continuation; write it on one line");
}

}  // namespace
}  // namespace imagegraph
