#include "tools/tree/graph_order.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;

TEST(CheckAcyclicTest, AcyclicGraph) {
  EXPECT_TRUE(CheckAcyclic({{"a", {"b", "c"}}, {"b", {"c"}}, {"c", {}}}).ok());
  EXPECT_TRUE(CheckAcyclic({{"a", {"external"}}}).ok());
}

TEST(CheckAcyclicTest, NamesTheCycle) {
  absl::Status status =
      CheckAcyclic({{"b", {"c"}}, {"c", {"a"}}, {"a", {"b"}}, {"0", {"b"}}});
  EXPECT_EQ(status.message(),
            "the image graph has a cycle: a -> b -> c -> a (each image names "
            "the next in FROM or COPY --from); remove one of these references");
  EXPECT_EQ(CheckAcyclic({{"x", {"x"}}}).message(),
            "the image graph has a cycle: x -> x (each image names the next in "
            "FROM or COPY --from); remove one of these references");
}

TEST(TopologicalOrderTest, ParentsFirstTiesByName) {
  EXPECT_THAT(TopologicalOrder({{"c", {}},
                                {"b", {"c"}},
                                {"a", {"b"}},
                                {"z", {}},
                                {"y", {"external"}}}),
              ElementsAre("c", "b", "a", "y", "z"));
}

TEST(TopologicalOrderTest, LeavesOutACycle) {
  EXPECT_THAT(TopologicalOrder({{"a", {"b"}}, {"b", {"a"}}, {"c", {}}}),
              ElementsAre("c"));
}

}  // namespace
}  // namespace imagegraph
