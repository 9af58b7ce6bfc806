#include "tools/graph/graph.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/context_hash.h"
#include "tools/tree/ignore_matcher.h"
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
    // Without a registry the build tags localhost/NAME (imagebuild's
    // ImageTags), which nothing can pull: no pinned reference then.
    const std::string repository =
        node.registry.empty() ? absl::StrCat("localhost/", node.name)
                              : absl::StrCat(node.registry, "/", node.name);
    image->set_registry_reference(absl::StrCat(repository, ":", version));
    if (!node.pinned_digest.empty() && !node.registry.empty()) {
      image->set_pinned_digest(node.pinned_digest);
      image->set_pinned_reference(
          absl::StrCat(node.registry, "/", node.name, "@", node.pinned_digest));
    }
    image->set_image_id(node.image_id);
    image->set_context_manifest(node.context_manifest);
    image->set_depth(d);
  }
  return graph;
}

std::vector<GraphNode> NodesFromTree(const ImageTree& tree) {
  std::vector<GraphNode> nodes;
  nodes.reserve(tree.images.size());
  for (const TreeImage& image : tree.images) {
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
    const TreeImage* image = tree.Find(name);
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
    if (image->run_task) options.spec.run_task_dir = tree.run_task_dir;
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

namespace {

// Whether `path` is `dir` or lies below it.
bool Within(absl::string_view path, absl::string_view dir) {
  return path == dir || (absl::StartsWith(path, dir) &&
                         path.size() > dir.size() && path[dir.size()] == '/');
}

}  // namespace

absl::StatusOr<std::string> NormalizeChangedPath(absl::string_view root,
                                                 absl::string_view path) {
  std::string relative(path);
  if (absl::StartsWith(path, "/")) {
    std::error_code error;
    const std::filesystem::path absolute_root =
        std::filesystem::weakly_canonical(std::string(root), error);
    const std::string prefix = absolute_root.generic_string();
    const std::string clean = CleanPath(path);
    if (error || !Within(clean, prefix)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " is outside the workspace ", prefix,
          ": give paths inside it (relative to its root, as git diff "
          "--name-only prints them)"));
    }
    relative = clean == prefix ? "." : clean.substr(prefix.size() + 1);
  }
  const std::string clean = CleanPath(relative);
  if (clean == ".." || absl::StartsWith(clean, "../")) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " leaves the workspace: give paths relative to its root, as git "
        "diff --name-only prints them"));
  }
  return clean;
}

absl::flat_hash_set<std::string> DirectlyAffected(
    const ImageTree& tree, const std::vector<std::string>& changed_paths) {
  absl::flat_hash_set<std::string> affected;
  const std::string run_task_file =
      absl::StrCat(tree.images_dir, "/", kRunTaskFileName);
  for (const std::string& changed : changed_paths) {
    // A path names a file or a directory: it covers itself and what is
    // below it. "." is the whole workspace.
    const std::string path = CleanPath(changed);
    const auto covers = [&path](absl::string_view file) {
      return path == "." || Within(file, path);
    };
    if (!tree.kind_yml.empty() && covers(tree.kind_yml)) {
      for (const TreeImage& image : tree.images) affected.insert(image.name);
      continue;
    }
    bool run_task_changed = covers(run_task_file);
    for (const std::string& file : tree.run_task_files) {
      run_task_changed = run_task_changed || covers(file);
    }
    for (const TreeImage& image : tree.images) {
      if (affected.contains(image.name)) continue;
      if (image.run_task && run_task_changed) {
        affected.insert(image.name);
        continue;
      }
      if (covers(image.folder)) {
        affected.insert(image.name);
        continue;
      }
      if (Within(path, image.folder)) {
        const std::string relative = path.substr(image.folder.size() + 1);
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
        if (covers(include) || Within(path, include)) {
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
