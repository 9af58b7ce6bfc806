#include "tools/decision/decision.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
