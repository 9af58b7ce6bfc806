#include "tools/tree/graph_order.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace imagegraph {

absl::Status CheckAcyclic(const ParentMap& parents) {
  enum class Color { kWhite, kGray, kBlack };
  absl::flat_hash_map<std::string, Color> color;
  std::vector<std::string> names;
  names.reserve(parents.size());
  for (const auto& [name, unused] : parents) names.push_back(name);
  std::sort(names.begin(), names.end());

  static const std::vector<std::string> kNone;
  auto parents_of =
      [&](const std::string& name) -> const std::vector<std::string>& {
    auto it = parents.find(name);
    return it == parents.end() ? kNone : it->second;
  };

  for (const std::string& root : names) {
    if (color[root] != Color::kWhite) continue;
    // Iterative DFS: path holds the gray chain, next_child the position in
    // each node's parent list.
    std::vector<std::string> path = {root};
    std::vector<size_t> next_child = {0};
    color[root] = Color::kGray;
    while (!path.empty()) {
      const std::string& node = path.back();
      const std::vector<std::string>& edges = parents_of(node);
      if (next_child.back() >= edges.size()) {
        color[node] = Color::kBlack;
        path.pop_back();
        next_child.pop_back();
        continue;
      }
      const std::string& parent = edges[next_child.back()++];
      Color& c = color[parent];
      if (c == Color::kGray) {
        auto start = std::find(path.begin(), path.end(), parent);
        std::vector<std::string> cycle(start, path.end());
        // Start at the smallest name, so a cycle reads the same however
        // it was found.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()),
                    cycle.end());
        cycle.push_back(cycle.front());
        return absl::FailedPreconditionError(absl::StrCat(
            "the image graph has a cycle: ", absl::StrJoin(cycle, " -> "),
            " (each image names the next in FROM or COPY --from); remove one "
            "of these references"));
      }
      if (c == Color::kWhite) {
        c = Color::kGray;
        path.push_back(parent);
        next_child.push_back(0);
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> TopologicalOrder(const ParentMap& parents) {
  absl::flat_hash_map<std::string, int> pending;
  absl::flat_hash_map<std::string, std::vector<std::string>> children;
  for (const auto& [name, its_parents] : parents) {
    int& count = pending[name];
    for (const std::string& parent : its_parents) {
      if (!parents.contains(parent)) continue;
      ++count;
      children[parent].push_back(name);
    }
  }
  std::priority_queue<std::string, std::vector<std::string>,
                      std::greater<std::string>>
      ready;
  for (const auto& [name, count] : pending) {
    if (count == 0) ready.push(name);
  }
  std::vector<std::string> order;
  order.reserve(parents.size());
  while (!ready.empty()) {
    std::string name = ready.top();
    ready.pop();
    for (const std::string& child : children[name]) {
      if (--pending[child] == 0) ready.push(child);
    }
    order.push_back(std::move(name));
  }
  return order;
}

}  // namespace imagegraph
