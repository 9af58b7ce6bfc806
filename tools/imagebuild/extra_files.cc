#include "tools/imagebuild/extra_files.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"

namespace imagegraph {

absl::StatusOr<ExtraFile> ParseExtraFileFlag(absl::string_view value) {
  const size_t eq = value.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == value.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--extra_file=", value,
        ": expected PATH=FILE (the path in the image folder and the "
        "Bazel-built file)"));
  }
  return ExtraFile{std::string(value.substr(0, eq)),
                   std::string(value.substr(eq + 1))};
}

absl::Status PlaceExtraFiles(const std::vector<ExtraFile>& extra_files,
                             const ContextManifest& manifest,
                             absl::string_view manifest_source,
                             const std::string& context_dir) {
  for (const ExtraFile& extra : extra_files) {
    if (!IsPathInsideFolder(extra.path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--extra_file=", extra.path, "=", extra.file,
                       ": the path leaves the image folder"));
    }
    const ManifestFile* hashed = FindManifestFile(manifest, extra.path);
    if (hashed == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--extra_file=", extra.path, "=", extra.file, ": ", manifest_source,
          " lists no file ", extra.path,
          "; pass the extra files and the manifest of the same context"));
    }
    const std::string destination = absl::StrCat(context_dir, "/", extra.path);
    IG_RETURN_IF_ERROR(MakeDirectories(
        destination.substr(0, destination.find_last_of('/'))));
    struct stat st;
    if (lstat(destination.c_str(), &st) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--extra_file=", extra.path, "=", extra.file,
          ": the context tar already holds ", extra.path,
          "; an extra file must not also be a file of the context tar"));
    }
    // The file appears in the context only once its bytes are the hashed
    // ones (the writer's mode is exact, whatever the umask).
    IG_ASSIGN_OR_RETURN(
        AtomicFileWriter writer,
        AtomicFileWriter::Open(destination, static_cast<int>(hashed->mode)));
    IG_ASSIGN_OR_RETURN(const CopiedFile copied,
                        CopyFileInto(extra.file, writer));
    if (copied.sha256_hex != hashed->sha256_hex) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--extra_file=", extra.path, "=", extra.file, ": its sha256 is ",
          copied.sha256_hex, " but ", manifest_source, " records ",
          hashed->sha256_hex,
          "; the file changed after the context was hashed, build again"));
    }
    IG_RETURN_IF_ERROR(writer.Commit());
  }
  return absl::OkStatus();
}

}  // namespace imagegraph
