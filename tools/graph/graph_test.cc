#include "tools/graph/graph.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/ctxhash/hashing.h"
#include "tools/graph/graph_input.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

GraphNode Node(const std::string& name, std::vector<std::string> parents,
               const std::string& hash = "") {
  GraphNode node;
  node.name = name;
  node.label = "//images:" + name;
  node.folder = "images/" + name;
  node.parents = std::move(parents);
  node.context_hash = hash;
  node.registry = "localhost:5000/t";
  return node;
}

std::vector<std::string> Names(const ImageGraph& graph) {
  std::vector<std::string> names;
  for (const GraphImage& image : graph.images()) names.push_back(image.name());
  return names;
}

TEST(BuildGraphTest, TopologicalOrderChildrenAndDepth) {
  absl::StatusOr<ImageGraph> graph = BuildGraph(
      {Node("z-leaf", {"mid"}), Node("mid", {"root"}), Node("root", {}),
       Node("a-side", {"root"}), Node("join", {"a-side", "mid"})},
      3);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_THAT(graph->topological_order(),
              ElementsAre("root", "a-side", "mid", "join", "z-leaf"));
  EXPECT_THAT(Names(*graph),
              ElementsAre("root", "a-side", "mid", "join", "z-leaf"));
  const GraphImage& root = graph->images(0);
  EXPECT_THAT(root.children(), ElementsAre("a-side", "mid"));
  EXPECT_EQ(root.depth(), 0);
  EXPECT_EQ(graph->images(3).name(), "join");
  EXPECT_THAT(graph->images(3).parents(), ElementsAre("a-side", "mid"));
  EXPECT_EQ(graph->images(3).depth(), 2);
}

TEST(BuildGraphTest, NamespacesAndReferences) {
  GraphNode node = Node("decision", {}, std::string(64, 'a'));
  node.version = "1.2";
  node.pinned_digest = "sha256:" + std::string(64, 'b');
  absl::StatusOr<ImageGraph> graph = BuildGraph({node}, 1);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const GraphImage& image = graph->images(0);
  EXPECT_EQ(image.index().hash(),
            "docker.images.v2.level-1.decision.hash." + std::string(64, 'a'));
  EXPECT_EQ(image.index().latest(), "docker.images.v2.level-1.decision.latest");
  EXPECT_EQ(image.index().pushdate_prefix(),
            "docker.images.v2.level-1.decision.pushdate");
  EXPECT_EQ(image.registry_reference(), "localhost:5000/t/decision:1.2");
  EXPECT_EQ(image.pinned_reference(),
            "localhost:5000/t/decision@sha256:" + std::string(64, 'b'));
  GraphNode unversioned = Node("x", {});
  EXPECT_EQ(BuildGraph({unversioned}, 3)->images(0).registry_reference(),
            "localhost:5000/t/x:latest");
}

TEST(BuildGraphTest, UnknownParent) {
  EXPECT_EQ(BuildGraph({Node("a", {"ghost"})}, 3).status().message(),
            "image a names parent ghost, which is not an image of the graph: "
            "add it to the graph's images");
}

TEST(BuildGraphTest, Cycle) {
  EXPECT_THAT(
      BuildGraph({Node("a", {"b"}), Node("b", {"a"})}, 3).status().message(),
      HasSubstr("the image graph has a cycle: a -> b -> a"));
}

TEST(BuildGraphTest, Duplicate) {
  EXPECT_EQ(BuildGraph({Node("a", {}), Node("a", {})}, 3).status().message(),
            "image a appears twice in the graph");
}

TEST(RenderTest, DotTextAndJson) {
  absl::StatusOr<ImageGraph> graph =
      BuildGraph({Node("base", {}, std::string(64, 'c')),
                  Node("child", {"base"}, std::string(64, 'd'))},
                 3);
  ASSERT_TRUE(graph.ok());
  std::string dot = GraphToDot(*graph);
  EXPECT_THAT(dot, HasSubstr("\"base\" [label=\"base\\ncccccccccccc\""));
  EXPECT_THAT(dot, HasSubstr("\"base\" -> \"child\";"));
  EXPECT_EQ(GraphToText(*graph),
            "base cccccccccccc\nchild dddddddddddd <- base\n");
  absl::StatusOr<std::string> json = GraphToJson(*graph);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\"topological_order\": [\n  \"base\",\n  "
                               "\"child\"\n ]"));
  EXPECT_THAT(*json, HasSubstr("\"context_hash\": \"" + std::string(64, 'd')));
}

TEST(SubgraphTest, DescendantsInBuildOrder) {
  absl::StatusOr<ImageGraph> graph =
      BuildGraph({Node("a", {}), Node("b", {"a"}), Node("c", {"b"}),
                  Node("d", {}), Node("e", {"d", "b"})},
                 3);
  ASSERT_TRUE(graph.ok());
  absl::flat_hash_set<std::string> below = WithDescendants(*graph, {"b"});
  EXPECT_THAT(below, UnorderedElementsAre("b", "c", "e"));
  EXPECT_THAT(Subgraph(*graph, below).topological_order(),
              ElementsAre("b", "c", "e"));
}

class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ScopedTempDirectory> dir =
        ScopedTempDirectory::Create("graph_test");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(*std::move(dir));
    Write("images/REGISTRY", "localhost:5000/t\n");
    Write("images/base/Dockerfile", "FROM scratch\nCOPY a /a\n");
    Write("images/base/a", "a\n");
    Write("images/base/.dockerignore", "*.md\n");
    Write("images/base/NOTES.md", "");
    Write("images/tool/Dockerfile",
          "FROM base\n# %include images/recipes/shared.sh\n");
    Write("images/tool/build-args", "V=1\n");
    Write("images/lint/Dockerfile",
          "FROM scratch\n# %include images/recipes/\n");
    Write("images/leaf/Dockerfile", "FROM tool\n");
    Write("images/recipes/shared.sh", "echo\n");
    Write("images/recipes/unused.sh", "echo\n");
  }

  void Write(const std::string& path, const std::string& text) {
    std::filesystem::path full = std::filesystem::path(dir_->path()) / path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << text;
  }

  ImageTree Scan() {
    ImageTreeOptions options;
    options.root = dir_->path();
    absl::StatusOr<ImageTree> tree = ScanImageTree(options);
    EXPECT_TRUE(tree.ok()) << tree.status();
    return tree.ok() ? *std::move(tree) : ImageTree();
  }

  std::vector<std::string> Affected(const std::vector<std::string>& paths) {
    ImageTree tree = Scan();
    absl::StatusOr<ImageGraph> graph = BuildGraph(NodesFromTree(tree), 3);
    EXPECT_TRUE(graph.ok());
    ImageGraph sub = Subgraph(
        *graph, WithDescendants(*graph, DirectlyAffected(tree, paths)));
    return {sub.topological_order().begin(), sub.topological_order().end()};
  }

  std::optional<ScopedTempDirectory> dir_;
};

TEST_F(TreeTest, AffectedByFolderFiles) {
  EXPECT_THAT(Affected({"images/base/a"}), ElementsAre("base", "tool", "leaf"));
  EXPECT_THAT(Affected({"./images/leaf/Dockerfile"}), ElementsAre("leaf"));
  EXPECT_THAT(Affected({"images/tool/build-args"}),
              ElementsAre("tool", "leaf"));
  EXPECT_THAT(Affected({"images/leaf/extra-files"}), ElementsAre("leaf"));
  // .dockerignore drops it: nothing to rebuild.
  EXPECT_THAT(Affected({"images/base/NOTES.md"}), ElementsAre());
  // The ignore file itself changes what the context is.
  EXPECT_THAT(Affected({"images/base/.dockerignore"}),
              ElementsAre("base", "tool", "leaf"));
  // A deleted file of the folder still counts.
  EXPECT_THAT(Affected({"images/base/gone.txt"}),
              ElementsAre("base", "tool", "leaf"));
  EXPECT_THAT(Affected({"images/base/gone.md"}), ElementsAre());
}

TEST_F(TreeTest, AffectedByIncludes) {
  // A file two images include (one through its directory) marks both.
  EXPECT_THAT(Affected({"images/recipes/shared.sh"}),
              ElementsAre("lint", "tool", "leaf"));
  // Only the directory include covers this one.
  EXPECT_THAT(Affected({"images/recipes/unused.sh"}), ElementsAre("lint"));
  EXPECT_THAT(Affected({"images/recipes/new/file"}), ElementsAre("lint"));
  EXPECT_THAT(Affected({"README.md", "images/REGISTRY"}), ElementsAre());
}

TEST_F(TreeTest, ContextHashesFollowTheSpec) {
  ImageTree tree = Scan();
  std::vector<GraphNode> nodes = NodesFromTree(tree);
  ASSERT_TRUE(ComputeContextHashes(tree, &nodes).ok());
  auto find = [&](const std::string& name) {
    for (const GraphNode& node : nodes) {
      if (node.name == name) return node.context_hash;
    }
    return std::string();
  };
  const std::string base_manifest =
      absl::StrCat(Sha256Hex("*.md\n"), " 644 .dockerignore\n",
                   Sha256Hex("FROM scratch\nCOPY a /a\n"), " 644 Dockerfile\n",
                   Sha256Hex("a\n"), " 644 a\n");
  EXPECT_EQ(find("base"), Sha256Hex(base_manifest));
  const std::string tool_manifest = absl::StrCat(
      Sha256Hex("FROM base\n# %include images/recipes/shared.sh\n"),
      " 644 Dockerfile\n", Sha256Hex("V=1\n"), " 644 build-args\n",
      Sha256Hex("echo\n"), " 644 topsrcdir/images/recipes/shared.sh\n",
      "parent ", find("base"), " base\n", "arg V=1\n");
  EXPECT_EQ(find("tool"), Sha256Hex(tool_manifest));
}

TEST_F(TreeTest, NoHashWhereOnlyABuildCanHashTheContext) {
  // tool's context gets a Bazel-built file: the tree alone cannot hash tool,
  // nor leaf, built on it; base and lint stay hashed as the build hashes them.
  Write("images/tool/extra-files", "//tools/index:index bin/index\n");
  ImageTree tree = Scan();
  std::vector<GraphNode> nodes = NodesFromTree(tree);
  ASSERT_TRUE(ComputeContextHashes(tree, &nodes).ok());
  absl::flat_hash_map<std::string, const GraphNode*> by_name;
  for (const GraphNode& node : nodes) by_name[node.name] = &node;
  EXPECT_EQ(by_name.at("tool")->context_hash, "");
  EXPECT_THAT(by_name.at("tool")->context_hash_note,
              HasSubstr("images/tool/extra-files places Bazel-built files"));
  EXPECT_EQ(by_name.at("leaf")->context_hash, "");
  EXPECT_THAT(by_name.at("leaf")->context_hash_note,
              HasSubstr("its parent tool is not"));
  EXPECT_EQ(by_name.at("base")->context_hash_note, "");
  EXPECT_EQ(by_name.at("base")->context_hash.size(), 64u);

  absl::StatusOr<ImageGraph> graph = BuildGraph(nodes, 1);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const std::string text = GraphToText(*graph);
  EXPECT_THAT(text, HasSubstr("tool (hash needs a build) <- base\n"));
  EXPECT_THAT(GraphToDot(*graph), HasSubstr("tool\\n(hash needs a build)"));
  for (const GraphImage& image : graph->images()) {
    if (image.context_hash().empty()) {
      EXPECT_EQ(image.index().hash(), "")
          << image.name() << " has a hash namespace without a hash";
      EXPECT_NE(image.context_hash_note(), "") << image.name();
    }
  }
}

TEST(GraphInputTest, ReadsTheFilesItNames) {
  absl::StatusOr<ScopedTempDirectory> dir =
      ScopedTempDirectory::Create("graph_input_test");
  ASSERT_TRUE(dir.ok());
  const std::string d = dir->path();
  std::ofstream(d + "/a.hash") << std::string(64, 'e');
  std::ofstream(d + "/REGISTRY") << "localhost:5000/r\n";
  std::ofstream(d + "/VERSION") << "7\n";
  std::ofstream(d + "/a.image.json")
      << "{\"name\": \"a\", \"image_id\": \"sha256:ff\", \"layers\": []}\n";
  std::ofstream(d + "/input.json")
      << "{\"images\": [{\"name\": \"a\", \"label\": \"//images:a\", "
         "\"folder\": \"images/a\", \"parents\": [], \"context_hash_file\": \""
      << d << "/a.hash\", \"registry_file\": \"" << d
      << "/REGISTRY\", \"version_file\": \"" << d
      << "/VERSION\", \"metadata_file\": \"" << d
      << "/a.image.json\"}], \"level\": 2, \"index\": \"default\"}";
  absl::StatusOr<GraphInputContents> input = ReadGraphInput(d + "/input.json");
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_EQ(input->level, 2);
  EXPECT_EQ(input->index, "default");
  const std::vector<GraphNode>* nodes = &input->nodes;
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].context_hash, std::string(64, 'e'));
  EXPECT_EQ((*nodes)[0].registry, "localhost:5000/r");
  EXPECT_EQ((*nodes)[0].version, "7");
  EXPECT_EQ((*nodes)[0].image_id, "sha256:ff");

  std::ofstream(d + "/bad.json") << "{\"images\": 3}";
  EXPECT_THAT(ReadGraphInput(d + "/bad.json").status().message(),
              HasSubstr("/bad.json: not the expected JSON"));
}

}  // namespace
}  // namespace imagegraph
