#include "tools/decision/decision.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/sha256.h"
#include "tools/index/index.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Hash(char digit) { return std::string(64, digit); }

// base -> build-env -> decision; base -> lint. Listed children first so that
// the computed order has to reorder them.
std::string GraphJson() {
  return absl::StrCat(R"({"images": [
    {"label": "//images:decision", "name": "decision", "context_hash": ")",
                      Hash('d'), R"(", "parents": ["//images:build-env"]},
    {"label": "//images:lint", "name": "lint", "context_hash": ")",
                      Hash('c'),
                      R"(", "parents": ["//images:base"]},
    {"label": "//images:build-env", "name": "build-env", "context_hash": ")",
                      Hash('b'), R"(", "parents": ["//images:base"],
     "children": ["//images:decision"], "folder": "images/build-env",
     "some_future_field": 1},
    {"label": "//images:base", "name": "base", "context_hash": ")",
                      Hash('a'),
                      R"("}
  ]})");
}

class DecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    artifact_ = dir_ + ".tar";
    std::ofstream(artifact_) << "tarball";
  }

  void Insert(int level, const std::string& name, char digit) {
    auto index = Index::Open(dir_, level);
    ASSERT_TRUE(index.ok());
    InsertImageRequest request;
    request.name = name;
    request.context_hash = Hash(digit);
    request.image_id = "sha256:" + Hash(digit);
    request.artifact_path = artifact_;
    ASSERT_TRUE((*index)->InsertImage(request).ok());
  }

  DecisionPlan Plan(int level) {
    auto graph = ParseGraph(GraphJson(), "graph.json");
    EXPECT_TRUE(graph.ok()) << graph.status();
    auto index = Index::Open(dir_, level);
    EXPECT_TRUE(index.ok());
    std::vector<std::string> warnings;
    auto plan = Decide(*graph, **index, &warnings);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return *plan;
  }

  static std::vector<std::string> Actions(const DecisionPlan& plan) {
    std::vector<std::string> actions;
    for (const auto& image : plan.images()) {
      actions.push_back(absl::StrCat(image.name(), ":", image.action()));
    }
    return actions;
  }

  std::string dir_;
  std::string artifact_;
};

TEST_F(DecisionTest, EmptyIndexBuildsEverythingInTopologicalOrder) {
  DecisionPlan plan = Plan(1);
  // Parents first, ties broken by label: the one order of tools/tree.
  EXPECT_THAT(Actions(plan), ElementsAre("base:build", "build-env:build",
                                         "decision:build", "lint:build"));
  EXPECT_EQ(plan.build_count(), 4);
  EXPECT_EQ(plan.reuse_count(), 0);
}

TEST_F(DecisionTest, ChildOfABuildingImageIsReusedWhenItsHashIsIndexed) {
  Insert(3, "decision", 'd');
  Insert(1, "lint", 'c');
  DecisionPlan plan = Plan(1);
  EXPECT_THAT(Actions(plan), ElementsAre("base:build", "build-env:build",
                                         "decision:reuse", "lint:reuse"));
  const auto& decision = plan.images(2);
  EXPECT_EQ(decision.namespace_(),
            "docker.images.v2.level-3.decision.hash." + Hash('d'));
  EXPECT_EQ(decision.entry().image_id(), "sha256:" + Hash('d'));
  EXPECT_THAT(decision.reason(),
              HasSubstr("parent //images:build-env builds, but this context "
                        "hash is indexed"));
  EXPECT_EQ(plan.images(3).entry().level(), 1);
}

TEST_F(DecisionTest, ParallelLookupsGiveTheSamePlanAsSerialOnes) {
  Insert(3, "decision", 'd');
  Insert(2, "base", 'a');
  auto graph = ParseGraph(GraphJson(), "graph.json");
  ASSERT_TRUE(graph.ok());
  auto index = Index::Open(dir_, 1);
  ASSERT_TRUE(index.ok());
  auto serial = Decide(*graph, **index, nullptr, /*jobs=*/1);
  auto parallel = Decide(*graph, **index, nullptr, /*jobs=*/16);
  ASSERT_TRUE(serial.ok() && parallel.ok());
  EXPECT_EQ(*PlanToJson(*serial), *PlanToJson(*parallel));
  EXPECT_THAT(Actions(*parallel), ElementsAre("base:reuse", "build-env:build",
                                              "decision:reuse", "lint:build"));
}

TEST_F(DecisionTest, HigherLevelsIgnoreLowerLevelEntries) {
  Insert(1, "base", 'a');
  EXPECT_THAT(Actions(Plan(1))[0], "base:reuse");
  EXPECT_THAT(Actions(Plan(3))[0], "base:build");
  EXPECT_THAT(Plan(3).images(0).reason(),
              HasSubstr("not indexed at levels 3..3"));
}

TEST_F(DecisionTest, TableAndJson) {
  Insert(2, "base", 'a');
  DecisionPlan plan = Plan(2);
  std::string table = FormatPlanTable(plan);
  EXPECT_THAT(table, HasSubstr("ACTION  IMAGE"));
  EXPECT_THAT(table, HasSubstr("reuse   base       aaaaaaaaaaaa  2"));
  EXPECT_THAT(table, HasSubstr("4 images: 1 reused, 3 to build (level 2"));
  auto json = PlanToJson(plan);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\"action\": \"reuse\""));
  EXPECT_THAT(*json, HasSubstr("\"namespace\": \"docker.images.v2.level-2."
                               "base.hash."));
}

// A tree shaped like images/: base (with the shared recipe), lint and
// decision on base, other on nothing. Trunk indexed it at level 3 with its
// manifests; then the shared recipe and lint's script changed.
class RebuildReasonsTest : public DecisionTest {
 protected:
  struct Image {
    std::string name, folder, manifest, parent;
  };

  static std::string Line(char digit, absl::string_view mode,
                          absl::string_view path) {
    return absl::StrCat(Hash(digit), " ", mode, " ", path, "\n");
  }

  // The tree's manifests; `common` and `script` are the recipe's and lint's
  // script's content digits.
  static std::vector<Image> Tree(char common, char script) {
    const std::string base =
        absl::StrCat(Line('1', "644", "Dockerfile"),
                     Line(common, "644", "topsrcdir/images/recipes/common.sh"));
    const std::string parent =
        absl::StrCat("parent ", Sha256Hex(base), " base\n");
    return {
        {"base", "images/base", base, ""},
        {"decision", "images/decision",
         absl::StrCat(Line('2', "644", "Dockerfile"), parent), "base"},
        {"lint", "images/lint",
         absl::StrCat(
             Line('3', "644", "Dockerfile"), Line(script, "755", "lint.sh"),
             Line(common, "644", "topsrcdir/images/recipes/common.sh"), parent),
         "base"},
        {"other", "images/other", Line('4', "644", "Dockerfile"), ""},
    };
  }

  void Index3(const std::vector<Image>& tree, bool with_manifests = true) {
    auto index = Index::Open(dir_, 3);
    ASSERT_TRUE(index.ok());
    for (const Image& image : tree) {
      InsertImageRequest request;
      request.name = image.name;
      request.context_hash = Sha256Hex(image.manifest);
      request.image_id = "sha256:" + Hash('e');
      request.artifact_path = artifact_;
      if (with_manifests) request.context_manifest = image.manifest;
      ASSERT_TRUE((*index)->InsertImage(request).ok());
    }
  }

  DecisionPlan PlanFor(const std::vector<Image>& tree, int level) {
    std::string images;
    for (const Image& image : tree) {
      absl::StrAppend(
          &images, images.empty() ? "" : ",",
          absl::Substitute(
              R"({"label": "//images:$0", "name": "$0", "folder": "$1",
                  "context_hash": "$2", "context_manifest": "$3",
                  "parents": [$4]})",
              image.name, image.folder, Sha256Hex(image.manifest),
              absl::StrReplaceAll(image.manifest, {{"\n", "\\n"}}),
              image.parent.empty() ? "" : "\"//images:" + image.parent + "\""));
    }
    auto graph =
        ParseGraph(absl::StrCat(R"({"images": [)", images, "]}"), "graph.json");
    EXPECT_TRUE(graph.ok()) << graph.status();
    auto index = Index::Open(dir_, level);
    EXPECT_TRUE(index.ok());
    std::vector<std::string> warnings;
    auto plan = Decide(*graph, **index, &warnings);
    EXPECT_TRUE(plan.ok()) << plan.status();
    EXPECT_THAT(warnings, ElementsAre());
    return *plan;
  }

  static std::vector<std::string> Reasons(const DecisionPlan& plan) {
    std::vector<std::string> reasons;
    for (const auto& image : plan.images()) {
      reasons.push_back(absl::StrCat(image.name(), ": ", image.reason()));
    }
    return reasons;
  }
};

TEST_F(RebuildReasonsTest, SaysWhatChangedSinceTheLatestTrustedBuild) {
  Index3(Tree('a', 'b'));
  const DecisionPlan plan = PlanFor(Tree('c', 'd'), 1);
  EXPECT_THAT(
      Reasons(plan),
      ElementsAre(
          "base: 1 file changed since latest at level 3: "
          "images/recipes/common.sh",
          "decision: parent base rebuilt",
          "lint: 2 files changed since latest at level 3: images/lint/lint.sh, "
          "images/recipes/common.sh; parent base rebuilt",
          "other: indexed at level 3"));
  const auto& lint = plan.images(2);
  EXPECT_EQ(lint.changes().since_namespace(),
            "docker.images.v2.level-3.lint.latest");
  EXPECT_THAT(lint.changes().files(),
              ElementsAre("images/lint/lint.sh", "images/recipes/common.sh"));
  EXPECT_THAT(lint.changes().changed_parents(), ElementsAre("base"));
  EXPECT_THAT(FormatPlanTable(plan), HasSubstr("parent base rebuilt\n"));
}

TEST_F(RebuildReasonsTest, SaysWhenThereIsNothingToCompareWith) {
  // Nothing indexed yet.
  EXPECT_THAT(Reasons(PlanFor(Tree('a', 'b'), 3))[0],
              "base: context hash not indexed at levels 3..3; no earlier "
              "build of it is indexed");
  // Indexed without manifests (by an older build).
  Index3(Tree('a', 'b'), /*with_manifests=*/false);
  EXPECT_THAT(
      Reasons(PlanFor(Tree('c', 'b'), 3))[0],
      absl::StrCat("base: context hash not indexed at levels 3..3; its latest "
                   "at level 3 (context ",
                   Sha256Hex(Tree('a', 'b')[0].manifest).substr(0, 12),
                   ") keeps no readable context manifest"));
}

TEST(ParseGraphTest, GivenTopologicalOrderIsKeptAndChecked) {
  const std::string images = absl::StrCat(
      R"("images": [{"label": "//a", "name": "a", "context_hash": ")",
      Hash('a'), R"("}, {"label": "//b", "name": "b", "context_hash": ")",
      Hash('b'), R"(", "parents": ["//a"]}])");
  auto graph = ParseGraph(
      absl::StrCat("{", images, R"(, "topological_order": ["//a", "//b"]})"),
      "g.json");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_THAT(graph->topological_order(), ElementsAre("//a", "//b"));
  auto reversed = ParseGraph(
      absl::StrCat("{", images, R"(, "topological_order": ["//b", "//a"]})"),
      "g.json");
  EXPECT_THAT(reversed.status().message(),
              HasSubstr("g.json: topological_order lists //b before its "
                        "parent //a"));
}

// The shape //images:graph writes: parents and order by image name.
TEST(ParseGraphTest, ReadsTheGraphToolsOutput) {
  auto graph = ParseGraph(
      absl::StrCat(R"({"level": 3, "images": [
        {"name": "base", "label": "//images:base", "parents": [],
         "children": ["lint"], "context_hash": ")",
                   Hash('a'), R"(", "index": {"latest": "x"}, "depth": 0},
        {"name": "lint", "label": "//images:lint", "parents": ["base"],
         "context_hash": ")",
                   Hash('b'), R"(", "depth": 1}],
       "topological_order": ["base", "lint"]})"),
      "graph.json");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->level(), 3);
  EXPECT_THAT(graph->topological_order(),
              ElementsAre("//images:base", "//images:lint"));
  EXPECT_THAT(graph->images(1).parents(), ElementsAre("//images:base"));
  EXPECT_THAT(ParseGraph(absl::StrCat(R"({"images": [{"name": "a",
                  "label": "//a", "context_hash": ""}]})"),
                         "graph.json")
                  .status()
                  .message(),
              HasSubstr("image //a has no context hash"));
}

TEST(ParseGraphTest, BadGraphsAreExplained) {
  EXPECT_THAT(ParseGraph("{not json", "g.json").status().message(),
              HasSubstr("g.json: not a graph JSON document"));
  EXPECT_THAT(ParseGraph(R"({"images": [{"label": "//a", "name": "a",
                     "context_hash": "123"}]})",
                         "g.json")
                  .status()
                  .message(),
              HasSubstr("g.json: image //a: context hash \"123\" is invalid"));
  EXPECT_THAT(ParseGraph(absl::StrCat(R"({"images": [{"label": "//a",
                     "name": "a", "parents": ["//zz"], "context_hash": ")",
                                      Hash('a'), R"("}]})"),
                         "g.json")
                  .status()
                  .message(),
              HasSubstr("names parent //zz, which is not in the graph"));
  EXPECT_THAT(
      ParseGraph(absl::StrCat(
                     R"({"images": [{"label": "//a", "name": "a", "parents":
                     ["//b"], "context_hash": ")",
                     Hash('a'), R"("}, {"label": "//b", "name": "b",
                     "parents": ["//a"], "context_hash": ")",
                     Hash('b'), R"("}]})"),
                 "g.json")
          .status()
          .message(),
      HasSubstr("g.json: the image graph has a cycle: //a -> //b -> //a"));
  EXPECT_THAT(ParseGraph(absl::StrCat(R"({"images": [{"label": "//a",
                     "name": "a", "context_hash": ")",
                                      Hash('a'), R"("}, {"label": "//a",
                     "name": "a", "context_hash": ")",
                                      Hash('a'), R"("}]})"),
                         "g.json")
                  .status()
                  .message(),
              HasSubstr("image //a (a) is listed twice"));
}

}  // namespace
}  // namespace imagegraph
