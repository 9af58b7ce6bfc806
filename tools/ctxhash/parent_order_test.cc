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

using ::testing::HasSubstr;

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

DockerfileParents Input(const std::string& text, ReferenceMap references,
                        std::vector<ParentHash> declared) {
  DockerfileParents input;
  input.dockerfile_path = "images/x/Dockerfile";
  input.dockerfile_text = text;
  input.references = std::move(references);
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
    absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
        Input(text, {{"alpha", ":alpha"}, {"zeta", ":zeta"}}, declared));
    ASSERT_TRUE(ordered.ok()) << ordered.status();
    EXPECT_EQ(Names(*ordered), "zeta,alpha");
    EXPECT_EQ((*ordered)[0].hash, kHashB);
  }
}

TEST(OrderParentsTest, CopyFromCountsAsNaming) {
  absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
      Input("FROM scratch\nCOPY --from=tools /bin/t /t\nFROM base\n",
            {{"base", ":base"}, {"tools", ":tools"}},
            {{"base", kHashA}, {"tools", kHashB}}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "tools,base");
}

TEST(OrderParentsTest, ArgsAndTheDeclaredParent) {
  // Keys are the references after ARG expansion; a build argument overrides
  // the ARG default.
  DockerfileParents input =
      Input("ARG BASE=first\nFROM ${BASE}\n", {{"second", ":second"}},
            {{"second", kHashA}});
  input.build_args = {{"BASE", "second"}};
  absl::StatusOr<std::vector<ParentHash>> ordered =
      OrderParentsByDockerfile(input);
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "second");

  input =
      Input("FROM $DOCKER_IMAGE_PARENT\n",
            {{"$DOCKER_IMAGE_PARENT", ":anything"}}, {{"anything", kHashA}});
  input.declared_parent = "anything";
  ordered = OrderParentsByDockerfile(input);
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "anything");

  // taskgraph's parent: is a parent even when the Dockerfile never uses
  // $DOCKER_IMAGE_PARENT: its line comes last.
  input = Input("FROM scratch\nCOPY --from=tools /t /t\n",
                {{"tools", ":tools"}}, {{"base", kHashA}, {"tools", kHashB}});
  input.declared_parent = "base";
  ordered = OrderParentsByDockerfile(input);
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_EQ(Names(*ordered), "tools,base");
}

TEST(OrderParentsTest, ScratchStagesAndPinnedBasesAreNoParents) {
  const std::string pinned =
      absl::StrCat("debian@sha256:", std::string(64, 'd'));
  absl::StatusOr<std::vector<ParentHash>> ordered = OrderParentsByDockerfile(
      Input(absl::StrCat("FROM ", pinned,
                         " AS deps\nFROM scratch\nCOPY --from=deps / /\n"),
            {{pinned, pinned}}, {}));
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  EXPECT_TRUE(ordered->empty());
}

TEST(OrderParentsTest, ParentsMustBeExactlyTheOnesTheReferencesName) {
  EXPECT_EQ(ErrorOf(Input("FROM base\n", {{"base", ":base"}},
                          {{"base", kHashA}, {"y", kHashB}})),
            "images/x/Dockerfile: parent \"y\" is declared but neither the "
            "image's references nor its declared parent name it; remove it");
  EXPECT_EQ(ErrorOf(Input("FROM base\n", {{"base", ":base"}}, {})),
            "images/x/Dockerfile: the image's references name the in-tree "
            "image base, but no hash of it was given: declare \":base\" as a "
            "parent (docker_image derives its parents from its references "
            "and parent)");
}

TEST(OrderParentsTest, NothingIsGuessed) {
  // A name that looks like an image folder is not a parent unless the map
  // says so.
  EXPECT_THAT(ErrorOf(Input("# comment\nARG V=1\nFROM base-build\n", {},
                            {{"base-build", kHashA}})),
              HasSubstr("images/x/Dockerfile:3: FROM base-build is not among "
                        "the image's references"));
  EXPECT_THAT(ErrorOf(Input("FROM base\nCOPY --from=localhost:5000/ig/tools:2 "
                            "/t /t\n",
                            {{"base", ":base"}}, {{"base", kHashA}})),
              HasSubstr("images/x/Dockerfile:2: COPY "
                        "--from=localhost:5000/ig/tools:2 is not among the "
                        "image's references"));
}

TEST(OrderParentsTest, ParseErrorsKeepFileAndLine) {
  const std::string parse_error =
      ErrorOf(Input("FROM scratch\nFROB x\n", {}, {}));
  EXPECT_EQ(parse_error.rfind("images/x/Dockerfile:2: ", 0), 0u) << parse_error;
}

TEST(OrderParentsTest, ParentGivenTwice) {
  EXPECT_EQ(ErrorOf(Input("FROM base\n", {{"base", ":base"}},
                          {{"base", kHashA}, {"base", kHashA}})),
            "parent base: given twice; give each parent once");
}

TEST(ComputeContextTest, ParentLinesFollowTheDockerfile) {
  const std::string repo = MakeTestDir();
  WriteTestFile(repo + "/img/Dockerfile",
                "FROM zeta\nCOPY --from=alpha /a /a\n");
  ContextOptions options;
  options.spec = {repo, "img", std::nullopt};
  options.references = {{"alpha", ":alpha"}, {"zeta", ":zeta"}};
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
  options.references = {{"zeta", ":zeta"}};
  options.parents = {{"zeta", kHashB}};
  absl::StatusOr<ContextResult> missing = ComputeContext(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("img/Dockerfile:2: COPY --from=alpha is not among the "
                        "image's references"));
}

}  // namespace
}  // namespace imagegraph
