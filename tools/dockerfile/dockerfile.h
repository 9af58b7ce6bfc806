// A Dockerfile parser that reads a Dockerfile as BuildKit's Dockerfile
// frontend does, accepting what it accepts (its legacy forms included) and
// refusing what it refuses; tools/dockerfile/README.md lists the deliberate
// differences. It gives the instructions with their lines, parser
// directives, `# %include` and `# %ARG` comments, build stages, and every
// image reference (`FROM`, `COPY --from=`, `RUN --mount=from=`) with its ARGs
// expanded. Knows nothing of image trees: what a reference names in a tree
// is decided by tools/tree/resolver.
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
  std::string value;  // quotes removed, before ARG expansion ("" if bare)
  bool has_value = false;
  // Byte range of `value` in the Dockerfile text (npos when it is not one
  // contiguous range as written, e.g. quoted or split by a continuation).
  size_t value_offset = std::string::npos;
};

// A here-document (`RUN <<EOF ... EOF`).
struct Heredoc {
  std::string delimiter;
  std::string body;  // the lines between the instruction and the delimiter
  bool strip_tabs = false;  // `<<-`
};

struct Instruction {
  std::string keyword;  // upper case: "FROM", "RUN", ...
  int line = 0;         // 1-based line where the instruction starts
  int end_line = 0;     // 1-based line where it ends (continuations, heredocs)
  // Everything after the keyword, continuation lines joined, comment lines
  // inside the continuation removed, leading flags included.
  std::string arguments;
  // Leading `--flag[=value]` words.
  std::vector<InstructionFlag> flags;
  // The arguments after the flags.
  std::string rest;
  // Exec form: `rest` is a JSON array of strings.
  bool json_form = false;
  std::vector<std::string> json_args;
  std::vector<Heredoc> heredocs;
  // ONBUILD: the instruction it registers, upper case.
  std::string trigger;

  // The first flag named `name`, or nullptr; every flag named `name`.
  const InstructionFlag* FindFlag(absl::string_view name) const;
  std::vector<const InstructionFlag*> FindFlags(absl::string_view name) const;
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

// One image reference of a Dockerfile: the base of a FROM, the value of a
// COPY --from or of the `from` of a RUN --mount, with ARG values applied.
struct ReferenceUse {
  enum class Target {
    kImage,    // an image (anything that is not scratch or a stage)
    kScratch,  // `scratch`
    kStage,    // an earlier build stage, by name or (COPY, RUN) index
  };
  enum class Source {
    kFrom,          // FROM <base>
    kCopyFrom,      // COPY --from=<value>
    kRunMountFrom,  // RUN --mount=...,from=<value>
  };
  Target target = Target::kImage;
  Source source = Source::kFrom;
  int line = 0;            // 1-based line of the instruction
  bool from_copy = false;  // not a FROM: COPY --from= or RUN --mount from=
  int stage = 0;           // 0-based stage the instruction belongs to
  int stage_index = -1;    // for kStage: the stage it names
  std::string raw;         // as written, before ARG expansion
  std::string expanded;    // after ARG expansion; a FROM's may be empty
  // Byte range of `raw` in the Dockerfile text (offset npos when it is not
  // contiguous there).
  size_t offset = std::string::npos;
  size_t length = 0;

  // "FROM", "COPY" or "RUN".
  absl::string_view Instruction() const;
  // "FROM x", "COPY --from=x" or "RUN --mount=from=x", with " (written $X)"
  // when expanded.
  std::string Describe() const;
};

// Parses `text` as BuildKit does, and refuses what it refuses (with
// `path:line: message` saying how to fix it).
absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view path,
                                           absl::string_view text);

// The build arguments Docker defines for every build (TARGETPLATFORM,
// TARGETOS, TARGETARCH, TARGETVARIANT and their BUILD* twins), for this
// machine's platform.
const absl::flat_hash_map<std::string, std::string>& BuiltinPlatformArgs();

// Every FROM base, COPY --from value and RUN --mount `from`, in file order,
// FROM bases expanded with the global ARGs as BuildKit scopes them (the
// built-in platform arguments, then the ARGs before the first FROM, each
// overridden by `build_args`). Refuses what BuildKit refuses when it
// resolves them: an ARG default that does not expand, a variable in --from
// (BuildKit never expands one), a stage named before it is defined. A base
// that expands to "" is returned as such: BuildKit refuses it, but the tree
// gives $DOCKER_IMAGE_PARENT its value itself. Errors name path:line.
absl::StatusOr<std::vector<ReferenceUse>> ExpandReferences(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args);

// The variables a FROM line sees: built-in platform arguments and the global
// ARGs, expanded in order, overridden by `build_args`.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> GlobalArgValues(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args);

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_DOCKERFILE_H_
