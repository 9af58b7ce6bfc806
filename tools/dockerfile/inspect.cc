#include "tools/dockerfile/inspect.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/status_macros.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/dockerfile/shell_word.h"

namespace imagegraph {

absl::StatusOr<Inspection> InspectDockerfile(
    absl::string_view path, absl::string_view text,
    const absl::flat_hash_map<std::string, std::string>& build_args) {
  IG_ASSIGN_OR_RETURN(const Dockerfile dockerfile, ParseDockerfile(path, text));
  IG_ASSIGN_OR_RETURN(const std::vector<ReferenceUse> references,
                      ExpandReferences(dockerfile, build_args));
  IG_ASSIGN_OR_RETURN(const ShellVariables globals,
                      GlobalArgValues(dockerfile, build_args));
  Inspection inspection;
  for (const Instruction& instruction : dockerfile.instructions) {
    Inspection::Instruction* out = inspection.add_instructions();
    out->set_keyword(instruction.keyword);
    out->set_start_line(instruction.line);
    out->set_end_line(instruction.end_line);
  }
  for (const Stage& stage : dockerfile.stages) {
    Inspection::Stage* out = inspection.add_stages();
    out->set_line(stage.line);
    out->set_name(stage.name);
    absl::StatusOr<std::string> platform =
        ExpandWord(stage.platform, globals, dockerfile.escape);
    if (!platform.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", stage.line, ": --platform=", stage.platform,
                       ": ", platform.status().message()));
    }
    out->set_platform(*platform);
  }
  for (const ReferenceUse& use : references) {
    if (use.source == ReferenceUse::Source::kFrom && use.expanded.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", use.line, ": FROM ", use.raw,
          " expands to an empty image name: give the ARG a default before "
          "the first FROM, or pass it with --build_arg"));
    }
    if (use.source == ReferenceUse::Source::kFrom) {
      inspection.mutable_stages(use.stage)->set_base(use.expanded);
    }
    Inspection::Reference* out = inspection.add_references();
    out->set_line(use.line);
    out->set_instruction(std::string(use.Instruction()));
    out->set_written(use.raw);
    out->set_expanded(use.expanded);
  }
  return inspection;
}

std::string InspectionToJson(const Inspection& inspection) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a message of this type cannot fail.
  (void)google::protobuf::util::MessageToJsonString(inspection, &json, options);
  return absl::StrCat(json, "\n");
}

}  // namespace imagegraph
