// Fills a local index with synthetic entries and writes a matching graph, for
// the decision benchmark.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/index/local_backend.h"
#include "tools/index/namespaces.h"

ABSL_FLAG(std::string, index, "", "The local index directory to fill.");
ABSL_FLAG(std::string, graph_out, "", "Where to write the graph JSON.");
ABSL_FLAG(int, images, 1000, "Images in the graph.");
ABSL_FLAG(int, entries, 100000, "Namespaces to write in total.");

namespace imagegraph {
namespace {

std::string ImageName(int i) { return absl::StrCat("image-", i); }
std::string CurrentHash(int i) {
  return Sha256Hex(absl::StrCat("current ", i));
}

int Run() {
  const std::string root = absl::GetFlag(FLAGS_index);
  const int images = absl::GetFlag(FLAGS_images);
  const int target = absl::GetFlag(FLAGS_entries);
  if (root.empty() || absl::GetFlag(FLAGS_graph_out).empty() || images < 1) {
    std::cerr
        << "populate: --index, --graph_out and --images >= 1 are required\n";
    return 2;
  }
  // Bulk loading: no fsync (the benchmark measures lookups, not writes).
  LocalBackend backend(root, /*durable=*/false);
  int written = 0;
  auto put = [&](int level, int image, const std::string& hash,
                 absl::Time when) -> bool {
    IndexEntry entry;
    entry.set_name(ImageName(image));
    entry.set_context_hash(hash);
    entry.set_level(level);
    entry.set_image_id("sha256:" + Sha256Hex("id " + hash));
    entry.set_digest("sha256:" + Sha256Hex("tar " + hash));
    entry.set_location("cas/sha256/" + Sha256Hex("tar " + hash));
    entry.set_indexed_at(absl::ToUnixSeconds(when));
    entry.set_revision("bench");
    std::vector<std::string> namespaces = {
        HashNamespace(level, entry.name(), hash),
        PushdateNamespace(level, entry.name(), when)};
    absl::Status status = backend.PutEntry(entry, namespaces);
    if (!status.ok()) {
      std::cerr << "populate: " << status.message() << "\n";
      return false;
    }
    written += static_cast<int>(namespaces.size());
    return true;
  };
  absl::Time when = absl::FromUnixSeconds(1780000000);
  // Current hashes: half of the images indexed at level 3, every fifth at
  // level 1, the rest not at all (they must build).
  for (int i = 0; i < images; ++i) {
    if (i % 2 == 0 && !put(3, i, CurrentHash(i), when)) return 1;
    if (i % 5 == 0 && !put(1, i, CurrentHash(i), when)) return 1;
  }
  // History: older hashes of every image, until the index holds `target`.
  for (int round = 0; written < target; ++round) {
    for (int i = 0; i < images && written < target; ++i) {
      when += absl::Seconds(1);
      std::string old_hash = Sha256Hex(absl::StrCat("old ", round, " ", i));
      if (!put(1 + (round % 3), i, old_hash, when)) return 1;
    }
  }
  // A tree: image i's parent is image (i - 1) / 4.
  std::vector<std::string> records;
  for (int i = 0; i < images; ++i) {
    records.push_back(absl::StrCat(
        R"({"label": "//images:)", ImageName(i), R"(", "name": ")",
        ImageName(i), R"(", "context_hash": ")", CurrentHash(i),
        R"(", "parents": [)",
        i == 0 ? ""
               : absl::StrCat(R"("//images:)", ImageName((i - 1) / 4), "\""),
        "]}"));
  }
  absl::Status graph = WriteFileAtomically(
      absl::GetFlag(FLAGS_graph_out),
      absl::StrCat("{\"images\": [\n", absl::StrJoin(records, ",\n"),
                   "\n]}\n"));
  if (!graph.ok()) {
    std::cerr << "populate: " << graph.message() << "\n";
    return 1;
  }
  std::cerr << "populate: " << written << " namespaces for " << images
            << " images in " << root << "\n";
  return 0;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "populate --index=DIR --graph_out=PATH [--images=N] [--entries=N]\n"
      "Fills a local index with synthetic entries for benchmarks. Exit codes: "
      "0 success, 1 error, 2 bad usage.");
  absl::ParseCommandLine(argc, argv);
  return imagegraph::Run();
}
