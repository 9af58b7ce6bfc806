#include "tools/decision/decision.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/ctxhash/manifest.h"
#include "tools/decision/rebuild_reason.h"
#include "tools/index/namespaces.h"
#include "tools/tree/graph_order.h"

namespace imagegraph {
namespace {

using ::imagegraph::decision::Changes;
using ::imagegraph::decision::GraphImage;
using ::imagegraph::decision::PlannedImage;

// The latest indexed build an image is compared with.
struct Baseline {
  std::string ns;     // its namespace
  std::string since;  // "latest at level 3"
  // What changed since it; nullopt when that cannot be said (why_not says
  // why).
  std::optional<RebuildChanges> changes;
  std::string why_not;
};

// Compares `image`'s context manifest with the one its latest indexed build
// keeps. nullopt when the graph carries no manifest. Index problems are
// warnings: the plan stands without the explanation.
std::optional<Baseline> CompareWithLatest(Index& index, const GraphImage& image,
                                          std::vector<std::string>* warnings) {
  if (image.context_manifest().empty()) return std::nullopt;
  Baseline baseline;
  absl::StatusOr<std::optional<IndexHit>> latest =
      index.FindLatest(image.name(), warnings);
  if (!latest.ok()) {
    warnings->push_back(absl::StrCat("cannot read the latest build of ",
                                     image.name(), ": ",
                                     latest.status().message()));
    baseline.why_not = "its latest build could not be read";
    return baseline;
  }
  if (!latest->has_value()) {
    baseline.why_not = "no earlier build of it is indexed";
    return baseline;
  }
  const IndexEntry& entry = (*latest)->entry;
  baseline.ns = (*latest)->ns;
  baseline.since = absl::StrCat("latest at level ", entry.level());
  absl::StatusOr<std::string> text = index.FetchContextManifest(entry);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      warnings->push_back(std::string(text.status().message()));
    }
    baseline.why_not = absl::StrCat("its ", baseline.since, " (context ",
                                    entry.context_hash().substr(0, 12),
                                    ") keeps no readable context manifest");
    return baseline;
  }
  absl::StatusOr<ContextManifest> before =
      ParseContextManifest(*text, baseline.ns);
  absl::StatusOr<ContextManifest> after = ParseContextManifest(
      image.context_manifest(), absl::StrCat("the graph's ", image.name()));
  if (!before.ok() || !after.ok()) {
    warnings->push_back(std::string(
        (before.ok() ? after.status() : before.status()).message()));
    baseline.why_not = "a context manifest cannot be read";
    return baseline;
  }
  baseline.changes =
      SummarizeChanges(DiffContextManifests(*before, *after), image.folder());
  return baseline;
}

}  // namespace

absl::StatusOr<DecisionGraph> ParseGraph(absl::string_view json,
                                         absl::string_view source) {
  DecisionGraph graph;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json),
                                                            &graph, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a graph JSON document (", parsed.ToString(),
                     "); pass the output of //images:graph"));
  }
  absl::flat_hash_set<std::string> labels;
  // Name or label -> label: the graph may refer to images either way.
  absl::flat_hash_map<std::string, std::string> label_of;
  for (const GraphImage& image : graph.images()) {
    if (image.label().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": an image (name \"", image.name(), "\") has no label"));
    }
    if (!labels.insert(image.label()).second ||
        !label_of.emplace(image.name(), image.label()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": image ", image.label(), " (", image.name(),
                       ") is listed twice"));
    }
    absl::Status name = ValidateImageName(image.name());
    if (!name.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": image ", image.label(), ": ", name.message()));
    }
    if (image.context_hash().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": image ", image.label(),
          " has no context hash; make the graph with its context hashes "
          "(bazel build //images:graph)"));
    }
    absl::Status hash = ValidateContextHash(image.context_hash());
    if (!hash.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": image ", image.label(), ": ", hash.message()));
    }
  }
  for (const std::string& label : labels) label_of.emplace(label, label);
  for (GraphImage& image : *graph.mutable_images()) {
    for (std::string& parent : *image.mutable_parents()) {
      auto resolved = label_of.find(parent);
      if (resolved == label_of.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": image ", image.label(), " names parent ", parent,
            ", which is not in the graph; regenerate the graph"));
      }
      parent = resolved->second;
    }
  }
  for (std::string& entry : *graph.mutable_topological_order()) {
    auto resolved = label_of.find(entry);
    if (resolved == label_of.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": topological_order names ", entry,
                       ", which is not in the graph; regenerate the graph"));
    }
    entry = resolved->second;
  }
  ParentMap parents;
  for (const GraphImage& image : graph.images()) {
    parents[image.label()].assign(image.parents().begin(),
                                  image.parents().end());
  }
  if (absl::Status acyclic = CheckAcyclic(parents); !acyclic.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", acyclic.message()));
  }
  std::vector<std::string> order = TopologicalOrder(parents);
  if (graph.topological_order_size() == 0) {
    for (std::string& label : order)
      graph.add_topological_order(std::move(label));
  } else {
    // A given order must list every image once, parents first.
    absl::flat_hash_map<std::string, int> position;
    for (int i = 0; i < graph.topological_order_size(); ++i) {
      const std::string& label = graph.topological_order(i);
      if (!labels.contains(label) || !position.emplace(label, i).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": topological_order lists ", label,
                         " twice or names an image not in the graph"));
      }
    }
    for (const GraphImage& image : graph.images()) {
      auto own = position.find(image.label());
      if (own == position.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": topological_order misses ", image.label()));
      }
      for (const std::string& parent : image.parents()) {
        if (position[parent] > own->second) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": topological_order lists ", image.label(),
                           " before its parent ", parent));
        }
      }
    }
  }
  return graph;
}

absl::StatusOr<DecisionPlan> Decide(const DecisionGraph& graph, Index& index,
                                    std::vector<std::string>* warnings,
                                    int jobs) {
  absl::flat_hash_map<std::string, const GraphImage*> by_label;
  for (const GraphImage& image : graph.images()) {
    by_label[image.label()] = &image;
  }
  const int count = graph.topological_order_size();
  // Lookups are independent: run them on `jobs` threads (the decision is
  // bound by file-system or network latency, not CPU), then decide in order.
  struct Lookup {
    absl::StatusOr<std::optional<IndexHit>> hit = std::nullopt;
    std::vector<std::string> warnings;
    // For a miss: what changed since the latest indexed build, or why that
    // cannot be said.
    std::optional<Baseline> baseline;
  };
  std::vector<Lookup> lookups(count);
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i = next++; i < count; i = next++) {
      const GraphImage& image = *by_label.at(graph.topological_order(i));
      lookups[i].hit = index.LookupByHash(image.name(), image.context_hash(),
                                          &lookups[i].warnings);
      if (lookups[i].hit.ok() && !lookups[i].hit->has_value()) {
        lookups[i].baseline =
            CompareWithLatest(index, image, &lookups[i].warnings);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::max(1, std::min(jobs, count)); ++t) {
    threads.emplace_back(worker);
  }
  worker();
  for (std::thread& thread : threads) thread.join();

  absl::flat_hash_map<std::string, bool> builds;  // label -> must build
  DecisionPlan plan;
  plan.set_level(index.level());
  plan.set_index(index.backend().Describe());
  for (int i = 0; i < count; ++i) {
    const std::string& label = graph.topological_order(i);
    const GraphImage& image = *by_label.at(label);
    if (warnings != nullptr) {
      warnings->insert(warnings->end(), lookups[i].warnings.begin(),
                       lookups[i].warnings.end());
    }
    IG_ASSIGN_OR_RETURN(std::optional<IndexHit> hit, std::move(lookups[i].hit));
    PlannedImage* planned = plan.add_images();
    planned->set_label(image.label());
    planned->set_name(image.name());
    planned->set_context_hash(image.context_hash());
    *planned->mutable_parents() = image.parents();
    std::vector<std::string> building_parents;
    for (const std::string& parent : image.parents()) {
      if (builds[parent]) building_parents.push_back(parent);
    }
    if (hit.has_value()) {
      builds[label] = false;
      planned->set_action("reuse");
      planned->set_namespace_(hit->ns);
      *planned->mutable_entry() = std::move(hit->entry);
      planned->set_reason(absl::StrCat(
          "indexed at level ", planned->entry().level(),
          building_parents.empty()
              ? ""
              : absl::StrCat(" (parent ", absl::StrJoin(building_parents, ", "),
                             " builds, but this context hash is indexed)")));
      plan.set_reuse_count(plan.reuse_count() + 1);
    } else {
      builds[label] = true;
      planned->set_action("build");
      const std::string not_indexed =
          absl::StrCat("context hash not indexed at levels ", kMaxLevel, "..",
                       index.level());
      const std::optional<Baseline>& baseline = lookups[i].baseline;
      if (baseline.has_value() && baseline->changes.has_value()) {
        const RebuildChanges& changes = *baseline->changes;
        // A parent's line changed: say whether that parent builds too.
        auto parent_builds = [&](absl::string_view name) {
          for (const std::string& parent : image.parents()) {
            if (by_label.at(parent)->name() == name) return builds[parent];
          }
          return false;
        };
        planned->set_reason(
            DescribeRebuild(changes, baseline->since, parent_builds));
        Changes* recorded = planned->mutable_changes();
        recorded->set_since_namespace(baseline->ns);
        *recorded->mutable_files() = {changes.files.begin(),
                                      changes.files.end()};
        *recorded->mutable_changed_parents() = {changes.changed_parents.begin(),
                                                changes.changed_parents.end()};
        *recorded->mutable_added_parents() = {changes.added_parents.begin(),
                                              changes.added_parents.end()};
        *recorded->mutable_removed_parents() = {changes.removed_parents.begin(),
                                                changes.removed_parents.end()};
        *recorded->mutable_args() = {changes.args.begin(), changes.args.end()};
      } else if (baseline.has_value()) {
        planned->set_reason(absl::StrCat(not_indexed, "; ", baseline->why_not));
      } else {
        planned->set_reason(not_indexed);
      }
      plan.set_build_count(plan.build_count() + 1);
    }
  }
  return plan;
}

absl::StatusOr<Explanation> ExplainImage(Index& index, absl::string_view name,
                                         absl::string_view folder,
                                         absl::string_view manifest,
                                         std::vector<std::string>* warnings) {
  const std::string context_hash = Sha256Hex(manifest);
  IG_ASSIGN_OR_RETURN(const ContextManifest after,
                      ParseContextManifest(manifest, absl::StrCat(name,
                                                                  "'s context "
                                                                  "manifest")));
  Explanation explanation;
  std::string& text = explanation.text;
  absl::StrAppend(&text, name, ": context ", context_hash.substr(0, 12),
                  " (this checkout), ", index.backend().Describe(), ", levels ",
                  kMaxLevel, "..", index.level(), "\n");
  IG_ASSIGN_OR_RETURN(std::optional<IndexHit> same,
                      index.LookupByHash(name, context_hash, warnings));
  if (same.has_value()) {
    explanation.compared = true;
    absl::StrAppend(&text, "indexed with this very context as ", same->ns,
                    " (image ", same->entry.image_id(),
                    "): a build reuses it, nothing rebuilds\n");
    return explanation;
  }
  IG_ASSIGN_OR_RETURN(std::optional<IndexHit> latest,
                      index.FindLatest(name, warnings));
  if (!latest.has_value()) {
    absl::StrAppend(&text, "no build of ", name,
                    " is indexed at these levels: nothing to compare with, "
                    "it builds\n");
    return explanation;
  }
  explanation.compared = true;
  const IndexEntry& entry = latest->entry;
  absl::StrAppend(&text, "compared with ", latest->ns, ": context ",
                  entry.context_hash().substr(0, 12), ", image ",
                  entry.image_id(), ", indexed ",
                  absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                   absl::FromUnixSeconds(entry.indexed_at()),
                                   absl::UTCTimeZone()),
                  entry.revision().empty()
                      ? ""
                      : absl::StrCat(" from revision ", entry.revision()),
                  "\n");
  IG_ASSIGN_OR_RETURN(const std::string before_text,
                      index.FetchContextManifest(entry));
  IG_ASSIGN_OR_RETURN(const ContextManifest before,
                      ParseContextManifest(before_text, latest->ns));
  const std::vector<ManifestChange> changes =
      DiffContextManifests(before, after);
  // A changed parent "rebuilt" unless its new context is indexed already.
  auto parent_builds = [&](absl::string_view parent) {
    for (const ManifestParent& line : after.parents) {
      if (line.name != parent) continue;
      absl::StatusOr<std::optional<IndexHit>> hit =
          index.LookupByHash(parent, line.context_hash, warnings);
      return !hit.ok() || !hit->has_value();
    }
    return false;
  };
  const std::string since = absl::StrCat("latest at level ", entry.level());
  absl::StrAppend(
      &text,
      DescribeRebuild(SummarizeChanges(changes, folder), since, parent_builds),
      "\n--- ", latest->ns, "\n+++ this checkout\n",
      FormatManifestDiff(changes));
  return explanation;
}

absl::StatusOr<std::string> PlanToJson(const DecisionPlan& plan) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto status =
      google::protobuf::util::MessageToJsonString(plan, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode the plan: ", status.ToString()));
  }
  return json;
}

std::string FormatPlanTable(const DecisionPlan& plan) {
  std::vector<std::vector<std::string>> rows = {
      {"ACTION", "IMAGE", "CONTEXT HASH", "LEVEL", "IMAGE ID", "REASON"}};
  for (const PlannedImage& image : plan.images()) {
    const bool reuse = image.action() == "reuse";
    std::string image_id = reuse ? image.entry().image_id() : "-";
    if (image_id.size() > 19) image_id = image_id.substr(0, 19);
    rows.push_back({image.action(), image.name(),
                    image.context_hash().substr(0, 12),
                    reuse ? absl::StrCat(image.entry().level()) : "-", image_id,
                    image.reason()});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string table;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&table, line, "\n");
  }
  absl::StrAppend(&table, plan.images_size(), " images: ", plan.reuse_count(),
                  " reused, ", plan.build_count(), " to build (level ",
                  plan.level(), ", ", plan.index(), ")\n");
  return table;
}

}  // namespace imagegraph
