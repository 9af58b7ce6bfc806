// gc: removes the images of a layer store that no build used for a while,
// and reports the store's size.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"
#include "tools/imagebuild/build_directory.h"
#include "tools/imagebuild/buildah.h"
#include "tools/imagebuild/containment.h"
#include "tools/imagebuild/layer_store.h"

ABSL_FLAG(std::string, layer_store, "default",
          "The layer store: `default` (layers/ beside the default index "
          "directory) or an absolute directory (as --//rules:layer_store).");
ABSL_FLAG(int, max_age_days, 30,
          "Removes the images no build used for this many days (0: every "
          "image no running build holds).");
ABSL_FLAG(std::string, buildah, "buildah", "The buildah binary.");

namespace {

constexpr char kUsage[] =
    R"(removes old images from a layer store and reports its size.

Usage:
  gc [--layer_store=default|DIR] [--max_age_days=30] [--buildah=PATH]
  bazel run //tools/imagebuild:gc -- --max_age_days=7

Removes the images of the layer store (where image builds keep parents'
layers) that no build used for --max_age_days days, and what imports that did
not finish left behind; an image a running build holds is kept. The store is
a cache: a removed image is imported again by the next build that needs it.
Prints what it removed and the store's size before and after.)";

int Fail(const std::string& message, int code) {
  fprintf(stderr, "gc: %s\n", message.c_str());
  return code;
}

std::string Megabytes(int64_t bytes) {
  return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  imagegraph::InstallInterruptHandler();
  imagegraph::ParseToolArgumentsOrExit({"gc", kUsage}, argc, argv);
  const int max_age_days = absl::GetFlag(FLAGS_max_age_days);
  if (max_age_days < 0) {
    return Fail(absl::StrCat("--max_age_days=", max_age_days,
                             ": give a number of days, 0 or more"),
                imagegraph::kExitUsage);
  }
  auto directory =
      imagegraph::ResolveLayerStoreSpec(absl::GetFlag(FLAGS_layer_store));
  if (!directory.ok()) {
    return Fail(std::string(directory.status().message()),
                imagegraph::kExitUsage);
  }
  if (!directory->has_value()) {
    return Fail("--layer_store=off names no store: give default or a directory",
                imagegraph::kExitUsage);
  }
  if (!imagegraph::PathExists(**directory)) {
    printf("layer store %s: empty (no such directory)\n",
           (*directory)->c_str());
    return 0;
  }
  if (struct stat st;
      stat((*directory)->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(absl::StrCat("--layer_store=", **directory,
                             " is not a directory: give the layer store's "
                             "directory (or default)"),
                imagegraph::kExitError);
  }
  auto containment = imagegraph::PrepareContainment();
  if (!containment.ok()) {
    return Fail(std::string(containment.status().message()),
                imagegraph::kExitError);
  }
  auto work = imagegraph::BuildDirectory::Create("gc", *containment);
  if (!work.ok()) {
    return Fail(std::string(work.status().message()), imagegraph::kExitError);
  }
  // One storage per driver that builds used (layer_store.h).
  imagegraph::StoreGcReport total;
  int used_drivers = 0;
  imagegraph::Buildah buildah(absl::GetFlag(FLAGS_buildah), *containment,
                              work->path());
  if (absl::Status prepared = buildah.Prepare(); !prepared.ok()) {
    work->Remove().IgnoreError();
    return Fail(std::string(prepared.message()), imagegraph::kExitError);
  }
  for (imagegraph::StorageDriver driver :
       {imagegraph::StorageDriver::kVfs, imagegraph::StorageDriver::kOverlay}) {
    const std::string name(imagegraph::StorageDriverName(driver));
    if (!imagegraph::PathExists(absl::StrCat(**directory, "/", name))) {
      continue;
    }
    ++used_drivers;
    absl::StatusOr<imagegraph::StoreGcReport> report;
    const absl::Status chosen = buildah.ChooseDriver(name);
    absl::StatusOr<imagegraph::LayerStore> store =
        chosen.ok() ? imagegraph::OpenLayerStoreForBuild(**directory, driver,
                                                         *containment, *work)
                    : absl::StatusOr<imagegraph::LayerStore>(chosen);
    if (store.ok()) {
      report = store->CollectGarbage(
          buildah.ForStorage(store->StorageRoot()),
          absl::Hours(24) * max_age_days, absl::Now(),
          [](absl::string_view message) {
            printf("%.*s\n", static_cast<int>(message.size()), message.data());
          });
    } else {
      report = store.status();
    }
    if (!report.ok()) {
      work->Remove().IgnoreError();
      return Fail(absl::StrCat(name, " storage: ", report.status().message()),
                  imagegraph::kExitError);
    }
    total.kept += report->kept;
    total.removed += report->removed;
    total.busy += report->busy;
    total.bytes_before += report->bytes_before;
    total.bytes_after += report->bytes_after;
  }
  work->Remove().IgnoreError();
  if (used_drivers == 0) {
    printf("layer store %s: empty (no storage)\n", (*directory)->c_str());
    return 0;
  }
  printf(
      "layer store %s: removed %d images not used for %d days, kept %d (%d "
      "in use); %s before, %s after\n",
      (*directory)->c_str(), total.removed, max_age_days,
      total.kept + total.busy, total.busy,
      Megabytes(total.bytes_before).c_str(),
      Megabytes(total.bytes_after).c_str());
  return 0;
}
