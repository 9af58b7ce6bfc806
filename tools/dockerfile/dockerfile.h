// A Dockerfile parser for what the image graph needs: instructions with their
// lines, parser directives, `# %include` and `# %ARG` comments, build stages,
// and every image reference (`FROM`, `COPY --from=`) with its ARGs expanded.
// Knows nothing of image trees: what a reference names in a tree is decided
// by tools/tree/resolver.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imagegraph {

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

// One image reference of a Dockerfile: the base of a FROM or the value of a
// COPY --from, with ARG values applied.
struct ReferenceUse {
  enum class Target {
    kImage,    // an image (anything that is not scratch or a stage)
    kScratch,  // `scratch`
    kStage,    // an earlier build stage, by name or (COPY) index
  };
  Target target = Target::kImage;
  int line = 0;            // 1-based line of the FROM / COPY
  bool from_copy = false;  // COPY --from= rather than FROM
  int stage = 0;           // 0-based stage the instruction belongs to
  int stage_index = -1;    // for kStage: the stage it names
  std::string raw;         // as written, before ARG expansion
  std::string expanded;    // after ARG expansion; may be empty
  // Byte range of `raw` in the Dockerfile text (offset npos when a line
  // continuation splits it).
  size_t offset = std::string::npos;
  size_t length = 0;

  // "FROM x" or "COPY --from=x", with " (written $X)" when expanded.
  std::string Describe() const;
};

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text);

// Every FROM base and COPY --from value, in file order, with the ARG
// defaults and `build_args` expanded as Docker scopes them. Errors name
// path:line: an expansion error, a stage named before it is defined.
absl::StatusOr<std::vector<ReferenceUse>> ExpandReferences(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_
