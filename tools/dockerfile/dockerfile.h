// A Dockerfile parser for what the image graph needs: instructions with their
// lines, parser directives, `# %include` and `# %ARG` comments, build stages,
// and the resolution of every image reference (`FROM`, `COPY --from=`) to
// scratch, a stage, an in-tree image folder or an external base pinned by
// digest.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

struct ImageReference {
  enum class Kind { kScratch, kStage, kParentArg, kInTree, kPinned };
  Kind kind;
  int line;             // 1-based line of the FROM / COPY --from instruction
  bool from_copy;       // true for COPY --from=
  std::string written;  // the reference as written after ARG expansion
  std::string in_tree_name;  // for kInTree / kParentArg: the in-tree image name
                             // (for kParentArg: the declared parent)
  std::string pinned;        // for kPinned: the full reference with @sha256:
};

struct ResolveOptions {
  // Default registry (images/REGISTRY or the folder's).
  std::string registry;
  // Image folder names of the tree.
  absl::flat_hash_set<std::string> in_tree_names;
  // Declared parent for $DOCKER_IMAGE_PARENT ("" if none).
  std::string docker_image_parent;
  // Values the target sets (override ARG defaults).
  absl::flat_hash_map<std::string, std::string> build_args;
  // Registries of other in-tree images whose folder overrides REGISTRY:
  // `R/NAME[:TAG]` is in-tree when R is `registry` or
  // `in_tree_registries[NAME]`.
  absl::flat_hash_map<std::string, std::string> in_tree_registries;
  // Images of the tree that are not built here but pinned by their HASH file:
  // name -> "sha256:<hex>". `[REGISTRY/]NAME[:TAG]` resolves to
  // kPinned `REGISTRY/NAME@sha256:<hex>` (names in in_tree_names win).
  absl::flat_hash_map<std::string, std::string> pinned_digests;
};

// A `--name=value` (or bare `--name`) flag of an instruction.
struct InstructionFlag {
  std::string name;   // without the leading "--"
  std::string value;  // raw, before ARG expansion ("" for a bare flag)
  bool has_value = false;
  // Byte range of `value` in the Dockerfile text (npos when it is not one
  // contiguous range, e.g. split by a line continuation).
  size_t value_offset = std::string::npos;
};

// A here-document (`RUN <<EOF ... EOF`).
struct Heredoc {
  std::string delimiter;
  std::string body;  // the lines between the instruction and the delimiter
};

struct Instruction {
  std::string keyword;  // upper case: "FROM", "RUN", ...
  int line = 0;         // 1-based line where the instruction starts
  int end_line = 0;     // 1-based line where it ends (continuations, heredocs)
  // Everything after the keyword, continuation lines joined, comment lines
  // inside the continuation removed, leading flags included.
  std::string arguments;
  // Leading `--flag[=value]` words (FROM, COPY, ADD, RUN, HEALTHCHECK).
  std::vector<InstructionFlag> flags;
  // The arguments after the flags.
  std::string rest;
  // Exec form: `rest` is a JSON array of strings.
  bool json_form = false;
  std::vector<std::string> json_args;
  std::vector<Heredoc> heredocs;

  // The flag named `name`, or nullptr.
  const InstructionFlag* FindFlag(absl::string_view name) const;
};

// One build stage: a FROM and what follows up to the next FROM.
struct Stage {
  int index = 0;           // 0-based
  int line = 0;            // line of its FROM
  std::string base;        // the image as written, before ARG expansion
  size_t base_offset = 0;  // byte range of `base` in the text (npos if split)
  std::string name;        // lower-cased `AS` name, "" if none
  std::string platform;    // --platform value as written, "" if none
  size_t instruction = 0;  // index of its FROM in Dockerfile::instructions
};

// An `ARG NAME[=default]` declaration.
struct ArgDeclaration {
  int line = 0;
  std::string name;
  std::optional<std::string> default_value;  // raw, before expansion
};

// `# %include PATH`: PATH is relative to the repository root.
struct Include {
  int line;
  std::string path;
};

// `# %ARG NAME` (taskgraph convention): the image expects build argument NAME.
struct PercentArg {
  int line;
  std::string name;
};

struct Dockerfile {
  std::string path;  // for messages
  std::string text;  // the exact text parsed
  // Parser directives from the top of the file, lower-case keys ("syntax",
  // "escape", "check").
  absl::flat_hash_map<std::string, std::string> directives;
  char escape = '\\';
  std::vector<Instruction> instructions;
  std::vector<Stage> stages;
  // ARGs before the first FROM (usable in FROM lines).
  std::vector<ArgDeclaration> global_args;
  std::vector<Include> includes;
  std::vector<PercentArg> percent_args;

  // Names of the `# %ARG` lines, in file order.
  std::vector<std::string> PercentArgNames() const;
};

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text);

// All image references (FROM and COPY --from), resolved, in file order.
// Errors name path:line.
absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options);

// In-tree parent names in the order the Dockerfile first names them
// (deduplicated).
absl::StatusOr<std::vector<std::string>> InTreeParents(
    const Dockerfile& dockerfile, const ResolveOptions& options);

// Returns the Dockerfile text with every kInTree/kParentArg reference replaced
// by local_refs.at(in_tree_name) (error if missing), everything else
// byte-identical.
absl::StatusOr<std::string> RewriteInTreeReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options,
    const absl::flat_hash_map<std::string, std::string>& local_refs);

// Finds a cycle in name -> parents; returns an error naming it
// ("a -> b -> a") or OK.
absl::Status CheckAcyclic(
    const absl::flat_hash_map<std::string, std::vector<std::string>>& parents);

// Expands `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}` (and the `-`/`+`
// forms without colon) in one shell word, removing quotes and escapes as
// Docker does. Unset variables expand to "".
absl::StatusOr<std::string> ExpandWord(
    absl::string_view word,
    const absl::flat_hash_map<std::string, std::string>& variables,
    char escape = '\\');

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_
