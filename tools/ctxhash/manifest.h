// Reading context manifests (the hashed text ctxhash writes, see
// docs/context-hash.md) and comparing two of them: what changed between the
// context an image was indexed from and the one a build has now.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_MANIFEST_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_MANIFEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

// Where `# %include P` puts P in the context: topsrcdir/P.
inline constexpr absl::string_view kIncludePrefix = "topsrcdir/";

// "<sha256 hex> <644|755> <path>": one file of the context.
struct ManifestFile {
  std::string sha256_hex;
  uint32_t mode = 0644;
  std::string path;  // relative to the image folder; includes: topsrcdir/P
};

// "parent <context hash> <name>": an in-tree parent.
struct ManifestParent {
  std::string context_hash;
  std::string name;
};

// "arg <NAME>=<value>": a build argument.
struct ManifestArg {
  std::string name;
  std::string value;
};

struct ContextManifest {
  std::vector<ManifestFile> files;  // sorted by path, as written
  std::vector<ManifestParent> parents;
  std::vector<ManifestArg> args;
};

// Parses manifest `text`; `source` names it in errors ("<source>:<line>:
// ..."). Refuses lines of no known kind, files out of order or twice, and a
// text that does not end with a newline (unless empty).
absl::StatusOr<ContextManifest> ParseContextManifest(absl::string_view text,
                                                     absl::string_view source);

// The file at `path`, or nullptr.
const ManifestFile* FindManifestFile(const ContextManifest& manifest,
                                     absl::string_view path);

// One difference between two manifests. `before` and `after` are the whole
// manifest lines (without newline) on each side; one is empty when the file,
// parent or argument exists on one side only.
struct ManifestChange {
  enum class Kind { kFile, kParent, kArg };
  Kind kind;
  std::string key;  // the file path, parent name or argument name
  std::string before;
  std::string after;
};

// Every difference from `before` to `after`: files by path (content or mode),
// parents by name (context hash), arguments by name (value), each group in
// order of its key.
std::vector<ManifestChange> DiffContextManifests(const ContextManifest& before,
                                                 const ContextManifest& after);

// Whether `path` names a file inside the image folder: relative, without
// empty, "." or ".." components (what an extra file's path must be).
bool IsPathInsideFolder(absl::string_view path);

// The repository path of a manifest file path of image folder `folder`:
// "topsrcdir/P" is P; anything else is FOLDER/PATH.
std::string RepositoryPathOfManifestFile(absl::string_view folder,
                                         absl::string_view path);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_MANIFEST_H_
