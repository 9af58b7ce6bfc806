#include "tools/ctxhash/parent_order.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/status_macros.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/tree/resolver.h"
#include "tools/tree/taskgraph_syntax.h"

namespace imagegraph {

absl::StatusOr<std::string> ApplyPercentArgs(
    absl::string_view path, absl::string_view text,
    const std::vector<std::pair<std::string, std::string>>& build_args,
    absl::string_view declared_parent) {
  return SubstitutePercentArgs(
      path, text,
      absl::flat_hash_map<std::string, std::string>(build_args.begin(),
                                                    build_args.end()),
      !declared_parent.empty(), [](absl::string_view name) {
        return absl::StrCat("give it as --build_arg=", name,
                            "=VALUE (the task's args:)");
      });
}

absl::StatusOr<std::vector<ParentHash>> OrderParentsByDockerfile(
    const DockerfileParents& input) {
  absl::flat_hash_map<std::string, const ParentHash*> declared;
  for (const ParentHash& parent : input.declared) {
    if (!declared.emplace(parent.name, &parent).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parent ", parent.name, ": given twice; give each parent once"));
    }
  }
  absl::flat_hash_map<std::string, std::string> build_args(
      input.build_args.begin(), input.build_args.end());
  IG_ASSIGN_OR_RETURN(
      const std::string text,
      ApplyPercentArgs(input.dockerfile_path, input.dockerfile_text,
                       input.build_args, input.declared_parent));
  IG_ASSIGN_OR_RETURN(const Dockerfile dockerfile,
                      ParseDockerfile(input.dockerfile_path, text));
  IG_ASSIGN_OR_RETURN(
      const std::vector<ImageReference> references,
      ResolveWithReferenceMap(dockerfile, build_args, input.references,
                              input.declared_parent));

  std::vector<ParentHash> ordered;
  for (const std::string& name :
       InTreeParents(references, input.declared_parent)) {
    const auto parent = declared.find(name);
    if (parent == declared.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          input.dockerfile_path,
          ": the image's references name the in-tree "
          "image ",
          name, ", but no hash of it was given: declare \":", name,
          "\" as a parent (docker_image derives its parents from its "
          "references and parent)"));
    }
    ordered.push_back(*parent->second);
  }
  if (ordered.size() != input.declared.size()) {
    for (const ParentHash& parent : input.declared) {
      if (std::none_of(
              ordered.begin(), ordered.end(),
              [&](const ParentHash& p) { return p.name == parent.name; })) {
        return absl::InvalidArgumentError(absl::StrCat(
            input.dockerfile_path, ": parent \"", parent.name,
            "\" is declared but neither the image's references nor its "
            "declared parent name it; remove it"));
      }
    }
  }
  return ordered;
}

}  // namespace imagegraph
