#include "tools/tree/resolver.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Dockerfile MustParse(const std::string& text) {
  absl::StatusOr<Dockerfile> parsed =
      ParseDockerfile("images/x/Dockerfile", text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : Dockerfile();
}

ResolveOptions TreeOptions() {
  ResolveOptions options;
  options.registry = "registry.example";
  options.in_tree_names = {"base-build", "decision", "lint"};
  return options;
}

std::vector<ImageReference> MustResolve(const std::string& text,
                                        const ResolveOptions& options) {
  Dockerfile dockerfile = MustParse(text);
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveImageReferences(dockerfile, options);
  EXPECT_TRUE(refs.ok()) << refs.status();
  return refs.ok() ? *std::move(refs) : std::vector<ImageReference>();
}

std::string ResolveError(const std::string& text,
                         const ResolveOptions& options) {
  Dockerfile dockerfile = MustParse(text);
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveImageReferences(dockerfile, options);
  EXPECT_FALSE(refs.ok()) << "resolved: " << text;
  return refs.ok() ? "" : std::string(refs.status().message());
}

TEST(ResolveTest, Scratch) {
  std::vector<ImageReference> refs =
      MustResolve("FROM scratch\n", TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kScratch);
  EXPECT_EQ(refs[0].line, 1);
  EXPECT_EQ(refs[0].source, ReferenceUse::Source::kFrom);
}

TEST(ResolveTest, ParentArgBothSpellings) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "base-build";
  for (const char* text :
       {"ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n",
        "ARG DOCKER_IMAGE_PARENT\nFROM ${DOCKER_IMAGE_PARENT}\n"}) {
    std::vector<ImageReference> refs = MustResolve(text, options);
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].kind, ImageReference::Kind::kParentArg);
    EXPECT_EQ(refs[0].in_tree_name, "base-build");
    EXPECT_EQ(refs[0].line, 2);
  }
}

TEST(ResolveTest, ParentArgWithoutDeclaredParent) {
  EXPECT_EQ(ResolveError("ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: FROM $DOCKER_IMAGE_PARENT but the image "
            "declares no parent: set parent: in kind.yml (or parent on the "
            "docker_image target)");
  // A default value does not make it a parent: the builder sets it.
  EXPECT_THAT(ResolveError("ARG DOCKER_IMAGE_PARENT=lint\n"
                           "FROM $DOCKER_IMAGE_PARENT\n",
                           TreeOptions()),
              HasSubstr("declares no parent"));
}

TEST(ResolveTest, DeclaredParentMustBeInTree) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "nope";
  EXPECT_EQ(ResolveError("FROM $DOCKER_IMAGE_PARENT\n", options),
            "images/x/Dockerfile: the declared parent \"nope\" is not an image "
            "folder of the tree: name one of its folders");
}

TEST(ResolveTest, InTreeBareAndWithRegistry) {
  std::vector<ImageReference> refs = MustResolve(
      "FROM base-build\n"
      "FROM registry.example/decision:1.2 AS d\n"
      "FROM registry.example/lint\n",
      TreeOptions());
  ASSERT_EQ(refs.size(), 3u);
  for (const ImageReference& ref : refs) {
    EXPECT_EQ(ref.kind, ImageReference::Kind::kInTree) << ref.written;
  }
  EXPECT_EQ(refs[0].in_tree_name, "base-build");
  EXPECT_EQ(refs[1].in_tree_name, "decision");
  EXPECT_EQ(refs[1].written, "registry.example/decision:1.2");
  EXPECT_EQ(refs[2].in_tree_name, "lint");
}

TEST(ResolveTest, InTreeWithTheImagesOwnRegistry) {
  ResolveOptions options = TreeOptions();
  options.in_tree_registries["lint"] = "other.example/ns";
  std::vector<ImageReference> refs =
      MustResolve("FROM other.example/ns/lint:3\n", options);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[0].in_tree_name, "lint");
}

TEST(ResolveTest, InTreeNameUnderAnotherRegistryIsNotInTree) {
  EXPECT_THAT(ResolveError("FROM elsewhere.example/lint:3\n", TreeOptions()),
              HasSubstr("FROM elsewhere.example/lint:3 is not pinned"));
}

TEST(ResolveTest, PinnedExternal) {
  std::vector<ImageReference> refs = MustResolve(
      std::string("FROM debian:bookworm@") + kDigest + "\n", TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kPinned);
  EXPECT_EQ(refs[0].pinned, std::string("debian:bookworm@") + kDigest);
}

TEST(ResolveTest, InvalidDigest) {
  EXPECT_EQ(ResolveError("FROM debian@sha256:abc\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM debian@sha256:abc has an invalid "
            "digest \"sha256:abc\": expected @sha256:<64 lowercase hex "
            "digits>");
}

TEST(ResolveTest, UnpinnedExternal) {
  EXPECT_EQ(ResolveError("# c\n\nFROM debian:bookworm\n", TreeOptions()),
            "images/x/Dockerfile:3: FROM debian:bookworm is not pinned: use "
            "debian:bookworm@sha256:<digest> (skopeo inspect "
            "docker://debian:bookworm prints it), or name an in-tree image "
            "folder");
}

TEST(ResolveTest, UnpinnedInTreeNameWithTagSaysHowToNameIt) {
  EXPECT_EQ(ResolveError("FROM lint:1\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM lint:1 is not pinned: use "
            "lint:1@sha256:<digest> (skopeo inspect docker://lint:1 prints "
            "it), or name an in-tree image folder (lint is one: write lint or "
            "registry.example/lint:<tag>)");
}

TEST(ResolveTest, PreviousStage) {
  std::vector<ImageReference> refs = MustResolve(
      "FROM base-build AS Builder\n"
      "RUN make\n"
      "FROM builder\n"
      "COPY --from=BUILDER /a /a\n"
      "COPY --from=0 /b /b\n",
      TreeOptions());
  ASSERT_EQ(refs.size(), 4u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kStage);
  EXPECT_EQ(refs[2].kind, ImageReference::Kind::kStage);
  EXPECT_EQ(refs[2].source, ReferenceUse::Source::kCopyFrom);
  EXPECT_EQ(refs[2].line, 4);
  EXPECT_EQ(refs[3].kind, ImageReference::Kind::kStage);
}

TEST(ResolveTest, StageNamedAfterAnTreeImageIsTheStage) {
  std::vector<ImageReference> refs =
      MustResolve("FROM scratch AS lint\nFROM lint\n", TreeOptions());
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kStage);
}

TEST(ResolveTest, LaterStageIsAnError) {
  EXPECT_EQ(ResolveError("FROM scratch\nCOPY --from=later /a /a\n"
                         "FROM scratch AS later\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: COPY --from=later names stage \"later\" "
            "which is not defined before this stage: move it above (line 3)");
  EXPECT_EQ(ResolveError("FROM scratch\nCOPY --from=1 /a /a\nFROM scratch\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: COPY --from=1 names stage index 1, which "
            "is not defined before this stage: use the index of an earlier "
            "stage (the first is 0)");
}

TEST(ResolveTest, CopyFromImages) {
  std::vector<ImageReference> refs =
      MustResolve(std::string("FROM scratch\n"
                              "COPY --from=lint /a /a\n"
                              "COPY --from=busybox@") +
                      kDigest + " /bin/busybox /bin/\n",
                  TreeOptions());
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[1].in_tree_name, "lint");
  EXPECT_EQ(refs[1].source, ReferenceUse::Source::kCopyFrom);
  EXPECT_EQ(refs[2].kind, ImageReference::Kind::kPinned);
}

TEST(ResolveTest, CopyFromUnpinned) {
  EXPECT_EQ(
      ResolveError("FROM scratch\nCOPY --from=busybox /a /a\n", TreeOptions()),
      "images/x/Dockerfile:2: COPY --from=busybox is not pinned: use "
      "busybox@sha256:<digest> (skopeo inspect docker://busybox prints "
      "it), or name an in-tree image folder");
}

TEST(ResolveTest, ArgDefaultsAndBuildArgOverrides) {
  const std::string text =
      "ARG REG=registry.example\n"
      "ARG BASE=${REG}/base-build:1\n"
      "FROM $BASE\n";
  std::vector<ImageReference> refs = MustResolve(text, TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[0].written, "registry.example/base-build:1");
  EXPECT_EQ(refs[0].in_tree_name, "base-build");

  ResolveOptions options = TreeOptions();
  options.build_args["BASE"] = "lint";
  refs = MustResolve(text, options);
  EXPECT_EQ(refs[0].in_tree_name, "lint");
}

TEST(ResolveTest, ColonDashAndColonPlusInFrom) {
  ResolveOptions options = TreeOptions();
  std::vector<ImageReference> refs = MustResolve(
      "ARG FLAVOR\nARG BASE\nFROM ${BASE:-decision}\nFROM "
      "lint${FLAVOR:+-$FLAVOR}\n",
      options);
  EXPECT_EQ(refs[0].in_tree_name, "decision");
  EXPECT_EQ(refs[1].in_tree_name, "lint");
  options.build_args["FLAVOR"] = "x";
  EXPECT_THAT(
      ResolveError("ARG FLAVOR\nFROM lint${FLAVOR:+-$FLAVOR}\n", options),
      HasSubstr("FROM lint-x (written lint${FLAVOR:+-$FLAVOR}) is not "
                "pinned"));
}

TEST(ResolveTest, ArgAfterFromIsNotGlobal) {
  EXPECT_EQ(
      ResolveError("FROM scratch\nARG BASE=lint\nFROM $BASE\n", TreeOptions()),
      "images/x/Dockerfile:3: FROM $BASE expands to an empty image name: "
      "declare it with ARG NAME=<image> before the first FROM or pass it "
      "as a build argument");
}

TEST(ResolveTest, CopyFromVariableIsRefusedAsBuildKitDoes) {
  EXPECT_EQ(ResolveError("ARG SRC=lint\n"
                         "FROM scratch\n"
                         "ARG SRC\n"
                         "COPY --from=$SRC /a /a\n",
                         TreeOptions()),
            "images/x/Dockerfile:4: COPY --from=$SRC: BuildKit does not "
            "expand variables in --from: define a stage FROM <image> AS "
            "<name> (its ARGs declared before the first FROM) and use its "
            "name");
}

TEST(ResolveTest, BadExpansionNamesTheLine) {
  EXPECT_EQ(ResolveError("FROM ${BASE\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM ${BASE: missing '}' in ${BASE");
}

TEST(ResolveTest, PinnedDigestsOfImagesNotBuiltHere) {
  ResolveOptions options = TreeOptions();
  options.in_tree_names.erase("lint");
  options.pinned_digests["lint"] = kDigest;
  std::vector<ImageReference> refs =
      MustResolve("FROM registry.example/lint:1.0\nFROM lint\n", options);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kPinned);
  EXPECT_EQ(refs[0].pinned, std::string("registry.example/lint@") + kDigest);
  EXPECT_EQ(refs[1].pinned, std::string("registry.example/lint@") + kDigest);
}

TEST(ResolveTest, PlatformFlagDoesNotChangeResolution) {
  std::vector<ImageReference> refs =
      MustResolve("FROM --platform=linux/amd64 lint AS l\n", TreeOptions());
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
}

TEST(InTreeParentsTest, FirstNamedOrderDeduplicatedThenTheDeclaredParent) {
  std::vector<ImageReference> refs = MustResolve(
      "FROM lint AS a\n"
      "COPY --from=base-build /x /x\n"
      "FROM registry.example/lint:2\n"
      "COPY --from=decision /y /y\n"
      "COPY --from=a /z /z\n",
      TreeOptions());
  EXPECT_THAT(InTreeParents(refs, ""),
              ElementsAre("lint", "base-build", "decision"));
  EXPECT_THAT(InTreeParents(refs, "decision"),
              ElementsAre("lint", "base-build", "decision"));
  // A declared parent the Dockerfile never names comes last (taskgraph
  // still builds it first and rebuilds the image when it changes).
  EXPECT_THAT(
      InTreeParents(MustResolve("FROM scratch\n", TreeOptions()), "lint"),
      ElementsAre("lint"));
}

TEST(ResolveTest, KeysAndRanges) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "base-build";
  options.build_args = {{"V", "2"}};
  const std::string text =
      "ARG DOCKER_IMAGE_PARENT\n"
      "ARG V\n"
      "FROM ${DOCKER_IMAGE_PARENT}\n"
      "FROM registry.example/lint:$V\n"
      "COPY --from=lint /a /a\n";
  std::vector<ImageReference> refs = MustResolve(text, options);
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].written, "${DOCKER_IMAGE_PARENT}");
  EXPECT_EQ(text.substr(refs[0].offset, refs[0].length),
            "${DOCKER_IMAGE_PARENT}");
  EXPECT_EQ(refs[1].written, "registry.example/lint:2");
  EXPECT_EQ(text.substr(refs[1].offset, refs[1].length),
            "registry.example/lint:$V");
  EXPECT_EQ(refs[1].Describe(), "FROM registry.example/lint:2");
  EXPECT_EQ(refs[2].Describe(), "COPY --from=lint");
}

}  // namespace
}  // namespace imagegraph
