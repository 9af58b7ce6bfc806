// index: insert, find, look up and browse images in an image index.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"
#include "tools/index/index.h"
#include "tools/index/local_backend.h"
#include "tools/index/namespaces.h"

ABSL_FLAG(std::string, index, "default",
          "The index: default (${XDG_CACHE_HOME:-$HOME/.cache}/imagegraph/"
          "index, the one builds use by default), a directory, or "
          "registry://HOST:PORT/REPO.");
ABSL_FLAG(int, level, imagegraph::kDefaultLevel,
          "The requester's trust level, 1..3. Inserts write only level-N "
          "namespaces; lookups try level 3 down to N.");
ABSL_FLAG(std::string, name, "", "insert, lookup: the image name.");
ABSL_FLAG(std::string, context_hash, "",
          "insert, lookup: the image's context hash (64 hex digits).");
ABSL_FLAG(std::string, image_id, "", "insert: the image ID.");
ABSL_FLAG(std::string, revision, "",
          "insert: the source revision the image was built from.");
ABSL_FLAG(std::string, metadata, "",
          "insert: the build's NAME.image.json, stored in the entry.");
ABSL_FLAG(absl::Duration, expires_in, imagegraph::kDefaultExpiry,
          "insert: how long the entry lives (e.g. 672h for 28 days; inf for "
          "ever); an expired entry is not used and gc removes it.");
ABSL_FLAG(
    std::string, context_manifest, "",
    "insert: the build's NAME.context.manifest (the text the context hash "
    "is the sha256 of), stored beside the artifact so that a later "
    "build can say what changed since this one.");
ABSL_FLAG(std::vector<std::string>, namespace, {},
          "insert: an extra namespace to write (or several, "
          "comma-separated); each must be of the writer's level.");

namespace imagegraph {
namespace {

constexpr char kUsage[] = R"(the image index.

Usage:
  index [--index=DIR|registry://HOST:PORT/REPO] [--level=N] COMMAND ...

Commands:
  insert --name=NAME --context_hash=H --image_id=ID [--revision=R]
         [--metadata=NAME.image.json] [--context_manifest=NAME.context.manifest]
         [--namespace=NS ...] [--expires_in=DURATION] ARTIFACT_PATH
      Stores the artifact (and the context manifest, which must hash to H)
      and records it under docker.images.v2.level-N.NAME.hash.H, .latest and
      .pushdate.<now>, plus every --namespace. Prints the entry (JSON).
  find NAMESPACE...
      Prints the entry stored under exactly each NAMESPACE, one JSON line
      each ("null" for a missing one, and exit code 3). An entry that
      disagrees with its namespace (another level, name or context hash) or
      has expired is ignored with a warning, as lookups ignore it.
  lookup --name=NAME --context_hash=H [OUT_PATH]
      Finds the image by context hash, trying level 3 first, then each lower
      level down to --level. Prints {"namespace": ..., "entry": ...}. With
      OUT_PATH, also copies the tarball there after verifying its digest; an
      entry whose tarball is missing or corrupt is skipped with a warning
      (exit code 3 when none is usable: build the image).
  list PREFIX
      Prints every namespace starting with PREFIX, one per line.
  gc
      Local index only: removes the entries that have expired, then every
      artifact no entry references and the temporary files of writers that
      were killed; safe while builds insert and fetch (they wait for it, it
      waits for them). Prints what it removed and kept.
  fetch NAMESPACE OUT_PATH
      Copies the artifact of NAMESPACE's entry to OUT_PATH, verifying its
      sha256 digest.
  manifest NAMESPACE
      Prints the context manifest NAMESPACE's entry was built from (verified
      against the entry's digest and context hash).

A namespace of another level than --level, like any malformed flag value or
argument, is a usage error.)";

int Fail(const absl::Status& status) {
  std::cerr << "index: " << status.message() << "\n";
  return absl::IsInvalidArgument(status) ? kExitUsage : kExitError;
}

int Usage(absl::string_view message) {
  std::cerr << "index: " << message << "\nRun index --help for usage.\n";
  return kExitUsage;
}

std::string EntryJson(const IndexEntry& entry) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(entry, &json, options);
  return json;
}

// Index::Find with its warnings and a missing entry reported on stderr, as
// find, fetch and manifest report them.
absl::StatusOr<std::optional<IndexEntry>> FindReporting(Index& index,
                                                        const std::string& ns) {
  std::vector<std::string> warnings;
  absl::StatusOr<std::optional<IndexEntry>> entry = index.Find(ns, &warnings);
  for (const std::string& warning : warnings) {
    std::cerr << "index: warning: " << warning << "\n";
  }
  if (entry.ok() && !entry->has_value()) {
    std::cerr << "index: no entry " << ns << " in "
              << index.backend().Describe() << "\n";
  }
  return entry;
}

int Run(const std::vector<std::string>& args,
        const std::vector<std::string>& extra_namespaces) {
  if (args.empty())
    return Usage(
        "missing command (insert, find, lookup, list, fetch, manifest, gc)");
  const std::string& command = args[0];
  absl::StatusOr<std::unique_ptr<Index>> opened =
      Index::Open(absl::GetFlag(FLAGS_index), absl::GetFlag(FLAGS_level));
  if (!opened.ok()) return Usage(opened.status().message());
  Index& index = **opened;

  if (command == "insert") {
    if (args.size() != 2) {
      return Usage("insert takes exactly one ARTIFACT_PATH after the flags");
    }
    InsertImageRequest request;
    request.name = absl::GetFlag(FLAGS_name);
    request.context_hash = absl::GetFlag(FLAGS_context_hash);
    request.image_id = absl::GetFlag(FLAGS_image_id);
    request.revision = absl::GetFlag(FLAGS_revision);
    request.artifact_path = args[1];
    request.extra_namespaces = extra_namespaces;
    request.expires_in = absl::GetFlag(FLAGS_expires_in);
    if (request.expires_in <= absl::ZeroDuration()) {
      return Usage(absl::StrCat(
          "--expires_in=", absl::FormatDuration(request.expires_in),
          ": give a positive duration, e.g. 672h, or "
          "inf for an entry that never expires"));
    }
    if (!absl::GetFlag(FLAGS_metadata).empty()) {
      absl::StatusOr<std::string> metadata =
          ReadFileToString(absl::GetFlag(FLAGS_metadata));
      if (!metadata.ok()) return Fail(metadata.status());
      request.metadata_json = *std::move(metadata);
    }
    if (!absl::GetFlag(FLAGS_context_manifest).empty()) {
      absl::StatusOr<std::string> manifest =
          ReadFileToString(absl::GetFlag(FLAGS_context_manifest));
      if (!manifest.ok()) return Fail(manifest.status());
      request.context_manifest = *std::move(manifest);
    }
    absl::StatusOr<std::vector<std::string>> namespaces =
        index.InsertNamespaces(request);
    if (!namespaces.ok()) return Usage(namespaces.status().message());
    absl::StatusOr<IndexEntry> entry = index.InsertImage(request);
    if (!entry.ok()) return Fail(entry.status());
    for (const std::string& ns : *namespaces) {
      std::cerr << "index: inserted " << ns << "\n";
    }
    std::cout << EntryJson(*entry) << "\n";
    return 0;
  }
  if (command == "find") {
    if (args.size() < 2) return Usage("find takes one or more NAMESPACEs");
    int exit_code = 0;
    for (size_t i = 1; i < args.size(); ++i) {
      absl::StatusOr<std::optional<IndexEntry>> entry =
          FindReporting(index, args[i]);
      if (!entry.ok()) return Fail(entry.status());
      if (!entry->has_value()) {
        std::cout << "null\n";
        exit_code = kExitNegative;
        continue;
      }
      std::cout << EntryJson(**entry) << "\n";
    }
    return exit_code;
  }
  if (command == "lookup") {
    if (args.size() > 2) {
      return Usage("lookup takes at most one OUT_PATH after the flags");
    }
    std::vector<std::string> warnings;
    absl::StatusOr<std::optional<IndexHit>> hit =
        args.size() == 2
            ? index.FetchByHash(absl::GetFlag(FLAGS_name),
                                absl::GetFlag(FLAGS_context_hash), args[1],
                                &warnings)
            : index.LookupByHash(absl::GetFlag(FLAGS_name),
                                 absl::GetFlag(FLAGS_context_hash), &warnings);
    for (const std::string& warning : warnings) {
      std::cerr << "index: warning: " << warning << "\n";
    }
    if (!hit.ok()) return Fail(hit.status());
    if (!hit->has_value()) {
      std::cerr << "index: " << absl::GetFlag(FLAGS_name)
                << " with context hash " << absl::GetFlag(FLAGS_context_hash)
                << " is not " << (args.size() == 2 ? "reusable" : "indexed")
                << " at levels 3 down to " << index.level() << " in "
                << index.backend().Describe() << "\n";
      return kExitNegative;
    }
    std::cout << "{\"namespace\":\"" << (*hit)->ns
              << "\",\"entry\":" << EntryJson((*hit)->entry) << "}\n";
    return 0;
  }
  if (command == "list") {
    if (args.size() != 2) return Usage("list takes exactly one PREFIX");
    absl::StatusOr<std::vector<std::string>> namespaces = index.List(args[1]);
    if (!namespaces.ok()) return Fail(namespaces.status());
    for (const std::string& ns : *namespaces) std::cout << ns << "\n";
    return 0;
  }
  if (command == "gc") {
    if (args.size() != 1) return Usage("gc takes no arguments");
    auto* local = dynamic_cast<LocalBackend*>(&index.backend());
    if (local == nullptr) {
      return Usage(absl::StrCat(
          "gc collects a local index only; ", index.backend().Describe(),
          " is a registry, whose own garbage collection removes untagged "
          "blobs"));
    }
    absl::StatusOr<LocalBackend::GarbageReport> report =
        local->CollectGarbage(absl::Now());
    if (!report.ok()) return Fail(report.status());
    for (const std::string& warning : report->warnings) {
      std::cerr << "index: warning: " << warning << "\n";
    }
    std::cout << "removed " << report->entries_removed << " expired entries, "
              << report->artifacts_removed << " unreferenced artifacts ("
              << report->bytes_freed << " bytes) and "
              << report->temporaries_removed << " temporary files; kept "
              << report->entries_kept << " entries and "
              << report->artifacts_kept << " artifacts\n";
    return 0;
  }
  if (command == "fetch") {
    if (args.size() != 3) return Usage("fetch takes NAMESPACE and OUT_PATH");
    absl::StatusOr<std::optional<IndexEntry>> entry =
        FindReporting(index, args[1]);
    if (!entry.ok()) return Fail(entry.status());
    if (!entry->has_value()) return kExitNegative;
    absl::Status fetched = index.Fetch(**entry, args[2]);
    if (!fetched.ok()) return Fail(fetched);
    std::cout << EntryJson(**entry) << "\n";
    return 0;
  }
  if (command == "manifest") {
    if (args.size() != 2) return Usage("manifest takes exactly one NAMESPACE");
    absl::StatusOr<std::optional<IndexEntry>> entry =
        FindReporting(index, args[1]);
    if (!entry.ok()) return Fail(entry.status());
    if (!entry->has_value()) return kExitNegative;
    absl::StatusOr<std::string> manifest = index.FetchContextManifest(**entry);
    if (!manifest.ok()) return Fail(manifest.status());
    std::cout << *manifest;
    return 0;
  }
  return Usage(absl::StrCat(
      "unknown command \"", command,
      "\": use insert, find, lookup, list, fetch, manifest or gc"));
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  // SIGINT, SIGTERM and SIGHUP stop an insert with its temporary file
  // removed and nothing recorded.
  imagegraph::InstallInterruptHandler();
  const imagegraph::ToolArguments arguments =
      imagegraph::ParseToolArgumentsOrExit(
          {"index", imagegraph::kUsage,
           "no such entry (find, lookup, fetch, manifest): for lookup, build "
           "the image"},
          argc, argv, {"namespace"}, imagegraph::Positional::kAllowed);
  // --namespace repeats, and each may list several, comma-separated.
  std::vector<std::string> extra_namespaces;
  for (const std::string& value : arguments.Repeated("namespace")) {
    for (absl::string_view ns : absl::StrSplit(value, ',', absl::SkipEmpty())) {
      extra_namespaces.emplace_back(ns);
    }
  }
  return imagegraph::Run(arguments.positional, extra_namespaces);
}
