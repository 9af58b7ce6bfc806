#include "tools/ctxhash/parent_order.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ctxhash/context_hash.h"
#include "tools/ctxhash/test_tree.h"

namespace imagegraph {
namespace {

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

DockerfileParents Input(const std::string& text,
                        std::vector<ParentHash> declared) {
  DockerfileParents input;
  input.dockerfile_path = "images/x/Dockerfile";
  input.dockerfile_text = text;
  input.registry = "localhost:5000/ig";
  input.declared = std::move(declared);
  return input;
}

std::string Names(const std::vector<ParentHash>& parents) {
  std::string names;
  for (const ParentHash& parent : parents) {
    absl::StrAppend(&names, names.empty() ? "" : ",", parent.name);
  }
  return names;
}

std::string ErrorOf(const DockerfileParents& input) {
  absl::StatusOr<std::vector<ParentHash>> ordered =
      OrderParentsByDockerfile(input);
  EXPECT_FALSE(ordered.ok());
  return ordered.ok() ? "" : std::string(ordered.status().message());
}

TEST(OrderParentsTest, FollowsTheDockerfileWhateverTheDeclaredOrder) {
  const std::string text =
      "FROM zeta AS build\nRUN make\nFROM alpha\n"
      "COPY --from=build /out /out\nCOPY --from=zeta /x /x\n";
  for (const auto& declared :
       {std::vector<ParentHash>{{"alpha", kHashA}, {"zeta", kHashB}},
        std::vector<ParentHash>{{"zeta", kHashB}, {"alpha", kHashA}}}) {
    absl::StatusOr<std::vector<ParentHash>> ordered =
        OrderParentsByDockerfile(Input(text, declared));
    ASSERT_TRUE(ordered.ok()) << ordered.status();
    EXPECT_EQ(Names(*ordered), "zeta,alpha");
    EXPECT_EQ((*ordered)[0].hash, kHashB);
  }
}

TEST(OrderParentsTest, CopyFromCountsAsNaming) {
  absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
      Input("FROM scratch\nCOPY --from=tools /bin/t /t\nFROM base\n",
            {{"base", kHashA}, {"tools", kHashB}}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "tools,base");
}

TEST(OrderParentsTest, RegistryFormArgsAndParentArgResolve) {
  absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
      Input("ARG BASE=localhost:5000/ig/base:1.0\nFROM ${BASE}\n",
            {{"base", kHashA}}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "base");

  ordered = OrderParentsByDockerfile(
      Input("FROM $DOCKER_IMAGE_PARENT\n", {{"anything", kHashA}}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "anything");

  // A build argument overrides the ARG default.
  DockerfileParents input =
      Input("ARG BASE=first\nFROM ${BASE}\n", {{"second", kHashA}});
  input.build_args = {{"BASE", "second"}};
  ordered = OrderParentsByDockerfile(input);
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "second");
}

TEST(OrderParentsTest, ScratchStagesAndPinnedBasesAreNoParents) {
  const std::string digest(64, 'd');
  absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
      Input(absl::StrCat("FROM debian@sha256:", digest,
                         " AS deps\nFROM scratch\nCOPY --from=deps / /\n"),
            {}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_TRUE(ordered->empty());
}

TEST(OrderParentsTest, DeclaredParentNeverNamed) {
  EXPECT_EQ(ErrorOf(Input("FROM base\n", {{"base", kHashA}, {"y", kHashB}})),
            "images/x/Dockerfile: parent \"y\" is declared but the Dockerfile "
            "never names it; remove \":y\" from the parents attribute");
}

TEST(OrderParentsTest, UndeclaredReference) {
  EXPECT_EQ(
      ErrorOf(Input("# comment\nARG V=1\nFROM base-build\n", {})),
      "images/x/Dockerfile:3: FROM base-build is not a declared parent; if "
      "base-build is an image folder of the tree, add \":base-build\" to the "
      "parents attribute (bazel run //images:update does it), otherwise pin "
      "it by digest (NAME@sha256:...)");
  EXPECT_EQ(
      ErrorOf(Input("FROM base\nCOPY --from=localhost:5000/ig/tools:2 /t /t\n",
                    {{"base", kHashA}})),
      "images/x/Dockerfile:2: COPY --from=localhost:5000/ig/tools:2 is not a "
      "declared parent; if tools is an image folder of the tree, add "
      "\":tools\" to the parents attribute (bazel run //images:update does "
      "it), otherwise pin it by digest (NAME@sha256:...)");
}

TEST(OrderParentsTest, ParseAndResolveErrorsKeepFileAndLine) {
  const std::string parse_error = ErrorOf(Input("FROM scratch\nFROB x\n", {}));
  EXPECT_EQ(parse_error.rfind("images/x/Dockerfile:2: ", 0), 0u) << parse_error;
  // A tagged reference of an unknown registry is an external base.
  const std::string external =
      ErrorOf(Input("FROM scratch\nFROM debian:bookworm\n", {}));
  EXPECT_EQ(external.rfind("images/x/Dockerfile:2: FROM debian:bookworm is "
                           "not pinned",
                           0),
            0u)
      << external;
}

TEST(OrderParentsTest, ParentGivenTwice) {
  EXPECT_EQ(ErrorOf(Input("FROM base\n", {{"base", kHashA}, {"base", kHashA}})),
            "parent base: given twice; give each parent once");
}

TEST(FindFolderRegistryTest, FolderFileThenTheTreeDefault) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/images/a/Dockerfile", "FROM scratch\n");
  WriteTestFile(repo + "/images/b/Dockerfile", "FROM scratch\n");
  WriteTestFile(repo + "/images/REGISTRY", "  tree.test:5000/ig \n\n");
  WriteTestFile(repo + "/images/b/REGISTRY", "own.test/b\n");
  absl::StatusOr<std::string> registry =
      FindFolderRegistry({repo, "images/a", std::nullopt});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(*registry, "tree.test:5000/ig");
  registry = FindFolderRegistry({repo, "images/b", std::nullopt});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(*registry, "own.test/b");
  WriteTestFile(repo + "/other/c/Dockerfile", "FROM scratch\n");
  registry = FindFolderRegistry({repo, "other/c", std::nullopt});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(*registry, "");
  // REGISTRY holds one line; a second is an error, not silently ignored.
  WriteTestFile(repo + "/images/REGISTRY", "tree.test:5000/ig\nother.test\n");
  registry = FindFolderRegistry({repo, "images/a", std::nullopt});
  EXPECT_THAT(std::string(registry.status().message()),
              ::testing::EndsWith("/images/REGISTRY:2: unexpected second "
                                  "line; the file must hold one line only: "
                                  "the registry, e.g. "
                                  "localhost:5000/imagegraph"));
}

TEST(ComputeContextTest, ParentLinesFollowTheDockerfile) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM zeta\nCOPY --from=alpha /a /a\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  options.order_parents_by_dockerfile = true;
  options.parents = {{"alpha", kHashA}, {"zeta", kHashB}};
  absl::StatusOr<ContextResult> first = ComputeContext(options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_NE(first->manifest.find(absl::StrCat(
                "parent ", kHashB, " zeta\nparent ", kHashA, " alpha\n")),
            std::string::npos)
      << first->manifest;
  options.parents = {{"zeta", kHashB}, {"alpha", kHashA}};
  absl::StatusOr<ContextResult> second = ComputeContext(options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->hash, first->hash);

  // Bazel mode names the Dockerfile as the target knows it.
  options.spec = {repo, "img",
                  std::vector<std::string>{repo + "/img/Dockerfile"}};
  options.parents = {{"zeta", kHashB}};
  absl::StatusOr<ContextResult> missing = ComputeContext(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "img/Dockerfile:2: COPY --from=alpha is not a declared parent; if "
            "alpha is an image folder of the tree, add \":alpha\" to the "
            "parents attribute (bazel run //images:update does it), otherwise "
            "pin it by digest (NAME@sha256:...)");
}

}  // namespace
}  // namespace imagegraph
