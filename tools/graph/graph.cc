#include "tools/graph/graph.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/context_hash.h"
#include "tools/ctxhash/ignore_matcher.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/index/namespaces.h"
#include "tools/tree/graph_order.h"
#include "tools/tree/reference_map.h"

namespace imagegraph {
namespace {

// What the text and DOT renderings show in place of a hash the tree alone
// cannot compute (context_hash_note says why).
constexpr absl::string_view kNoHashShown = "(hash needs a build)";

std::string ShortHash(absl::string_view hash) {
  return std::string(hash.substr(0, 12));
}

std::string DotQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

absl::StatusOr<ImageGraph> BuildGraph(const std::vector<GraphNode>& nodes,
                                      int level) {
  absl::flat_hash_map<std::string, const GraphNode*> by_name;
  for (const GraphNode& node : nodes) {
    if (!by_name.emplace(node.name, &node).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("image ", node.name, " appears twice in the graph"));
    }
  }
  absl::flat_hash_map<std::string, std::vector<std::string>> parents;
  std::map<std::string, std::vector<std::string>> children;
  for (const GraphNode& node : nodes) {
    parents[node.name] = node.parents;
    for (const std::string& parent : node.parents) {
      if (!by_name.contains(parent)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "image ", node.name, " names parent ", parent,
            ", which is not an image of the graph: add it to the graph's "
            "images"));
      }
      children[parent].push_back(node.name);
    }
  }
  IG_RETURN_IF_ERROR(CheckAcyclic(parents));

  ImageGraph graph;
  graph.set_level(level);
  absl::flat_hash_map<std::string, int> depth;
  for (const std::string& name : TopologicalOrder(parents)) {
    graph.add_topological_order(name);
    const GraphNode& node = *by_name.at(name);
    int d = 0;
    for (const std::string& parent : node.parents) {
      d = std::max(d, depth.at(parent) + 1);
    }
    depth[name] = d;

    GraphImage* image = graph.add_images();
    image->set_name(node.name);
    image->set_label(node.label);
    image->set_folder(node.folder);
    for (const std::string& parent : node.parents) image->add_parents(parent);
    std::vector<std::string> kids = children[name];
    std::sort(kids.begin(), kids.end());
    for (const std::string& child : kids) image->add_children(child);
    image->set_context_hash(node.context_hash);
    image->set_context_hash_note(node.context_hash_note);
    if (!node.context_hash.empty()) {
      image->mutable_index()->set_hash(
          HashNamespace(level, node.name, node.context_hash));
    }
    image->mutable_index()->set_latest(LatestNamespace(level, node.name));
    image->mutable_index()->set_pushdate_prefix(
        PushdatePrefix(level, node.name));
    const std::string version = node.version.empty() ? "latest" : node.version;
    image->set_registry(node.registry);
    image->set_version(version);
    image->set_registry_reference(
        absl::StrCat(node.registry, "/", node.name, ":", version));
    if (!node.pinned_digest.empty()) {
      image->set_pinned_digest(node.pinned_digest);
      image->set_pinned_reference(
          absl::StrCat(node.registry, "/", node.name, "@", node.pinned_digest));
    }
    image->set_image_id(node.image_id);
    image->set_depth(d);
  }
  return graph;
}

std::vector<GraphNode> NodesFromTree(const ImageTree& tree) {
  std::vector<GraphNode> nodes;
  nodes.reserve(tree.images.size());
  for (const ImageFolder& image : tree.images) {
    GraphNode node;
    node.name = image.name;
    node.label = tree.ImageLabel(image.name);
    node.folder = image.folder;
    node.parents = image.parents;
    node.registry = image.registry;
    node.version = image.version;
    node.pinned_digest = image.hash;
    nodes.push_back(std::move(node));
  }
  return nodes;
}

absl::Status ComputeContextHashes(const ImageTree& tree,
                                  std::vector<GraphNode>* nodes) {
  absl::flat_hash_map<std::string, GraphNode*> by_name;
  for (GraphNode& node : *nodes) by_name[node.name] = &node;
  for (const std::string& name : TopologicalOrder(tree)) {
    const ImageFolder* image = tree.Find(name);
    GraphNode* node = by_name.at(name);
    if (!image->extra_files.empty()) {
      node->context_hash_note = absl::StrCat(
          "not hashed from the tree: ", image->folder,
          "/extra-files places Bazel-built files into the context; the "
          "graph Bazel builds (image_graph) has the build's hash");
      continue;
    }
    const auto unhashed_parent =
        std::find_if(image->parents.begin(), image->parents.end(),
                     [&](const std::string& parent) {
                       return by_name.at(parent)->context_hash.empty();
                     });
    if (unhashed_parent != image->parents.end()) {
      node->context_hash_note = absl::StrCat(
          "not hashed from the tree: its parent ", *unhashed_parent,
          " is not; the graph Bazel builds (image_graph) has the build's "
          "hash");
      continue;
    }
    ContextOptions options;
    options.spec.root = tree.root;
    options.spec.context = image->folder;
    for (const std::string& parent : image->parents) {
      options.parents.push_back({parent, by_name.at(parent)->context_hash});
    }
    options.build_args = image->build_args;
    // The same references, checks and parent order as the ImageContext
    // action.
    options.references = MakeReferenceMap(image->references);
    options.declared_parent = image->declared_parent;
    IG_ASSIGN_OR_RETURN(ContextResult result, ComputeContext(options));
    node->context_hash = result.hash;
  }
  return absl::OkStatus();
}

absl::flat_hash_set<std::string> DirectlyAffected(
    const ImageTree& tree, const std::vector<std::string>& changed_paths) {
  absl::flat_hash_set<std::string> affected;
  for (const std::string& changed : changed_paths) {
    const std::string path = CleanPath(changed);
    if (!tree.kind_yml.empty() && path == CleanPath(tree.kind_yml)) {
      for (const ImageFolder& image : tree.images) affected.insert(image.name);
      continue;
    }
    for (const ImageFolder& image : tree.images) {
      if (affected.contains(image.name)) continue;
      const std::string prefix = image.folder + "/";
      if (absl::StartsWith(path, prefix)) {
        const std::string relative = path.substr(prefix.size());
        // These decide what the context is even when .dockerignore drops
        // them; any other file counts when it is part of the context (which
        // also covers a file the change deleted).
        if (relative == ".dockerignore" || relative == "build-args" ||
            relative == "extra-files" || image.context_filter.Keeps(relative)) {
          affected.insert(image.name);
        }
        continue;
      }
      for (const std::string& include : image.include_paths) {
        if (path == include || absl::StartsWith(path, include + "/")) {
          affected.insert(image.name);
          break;
        }
      }
    }
  }
  return affected;
}

absl::flat_hash_set<std::string> WithDescendants(
    const ImageGraph& graph, const absl::flat_hash_set<std::string>& names) {
  absl::flat_hash_set<std::string> result = names;
  // Images come in topological order, so one pass reaches every descendant.
  for (const GraphImage& image : graph.images()) {
    for (const std::string& parent : image.parents()) {
      if (result.contains(parent)) {
        result.insert(image.name());
        break;
      }
    }
  }
  return result;
}

ImageGraph Subgraph(const ImageGraph& graph,
                    const absl::flat_hash_set<std::string>& names) {
  ImageGraph out;
  out.set_level(graph.level());
  for (const GraphImage& image : graph.images()) {
    if (names.contains(image.name())) *out.add_images() = image;
  }
  for (const std::string& name : graph.topological_order()) {
    if (names.contains(name)) out.add_topological_order(name);
  }
  *out.mutable_affected_by() = graph.affected_by();
  return out;
}

absl::StatusOr<std::string> GraphToJson(const ImageGraph& graph) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(graph, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("printing the graph as JSON: ", status.ToString()));
  }
  return json;
}

std::string GraphToDot(const ImageGraph& graph) {
  std::string out =
      "digraph images {\n"
      "  rankdir=TB;\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", "
      "color=\"#4a6fa5\", fontname=\"Helvetica\", fontsize=11];\n"
      "  edge [color=\"#4a6fa5\"];\n";
  for (const GraphImage& image : graph.images()) {
    std::string label = image.name();
    if (!image.context_hash().empty()) {
      absl::StrAppend(&label, "\n", ShortHash(image.context_hash()));
    } else if (!image.context_hash_note().empty()) {
      absl::StrAppend(&label, "\n", kNoHashShown);
    }
    absl::StrAppend(&out, "  ", DotQuote(image.name()),
                    " [label=", DotQuote(label),
                    ", tooltip=", DotQuote(image.label()), "];\n");
  }
  absl::flat_hash_set<std::string> present;
  for (const GraphImage& image : graph.images()) present.insert(image.name());
  for (const GraphImage& image : graph.images()) {
    for (const std::string& parent : image.parents()) {
      if (!present.contains(parent)) continue;
      absl::StrAppend(&out, "  ", DotQuote(parent), " -> ",
                      DotQuote(image.name()), ";\n");
    }
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

std::string GraphToText(const ImageGraph& graph) {
  std::string out;
  for (const GraphImage& image : graph.images()) {
    absl::StrAppend(&out, image.name());
    if (!image.context_hash().empty()) {
      absl::StrAppend(&out, " ", ShortHash(image.context_hash()));
    } else if (!image.context_hash_note().empty()) {
      absl::StrAppend(&out, " ", kNoHashShown);
    }
    if (image.parents_size() > 0) {
      absl::StrAppend(&out, " <- ", absl::StrJoin(image.parents(), ", "));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace imagegraph
