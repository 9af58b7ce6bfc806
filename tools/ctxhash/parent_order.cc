#include "tools/ctxhash/parent_order.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/dockerfile/shell_word.h"
#include "tools/tree/resolver.h"

namespace imagegraph {
namespace {

// The image name a reference would give if it named an in-tree image: the
// last path component, without tag or digest. "" for forms that never name
// one (`NAME:TAG` without a registry).
std::string CandidateName(absl::string_view written) {
  const size_t at = written.find('@');
  if (at != written.npos) written = written.substr(0, at);
  const size_t slash = written.rfind('/');
  if (slash == written.npos) {
    return written.find(':') == written.npos ? std::string(written) : "";
  }
  absl::string_view name = written.substr(slash + 1);
  name = name.substr(0, name.find(':'));
  return std::string(name);
}

// Every name the Dockerfile's references could give an in-tree image (ARG
// values before the first FROM applied). Resolving with these as in-tree
// names turns a reference to an undeclared image into an in-tree reference
// that can be reported with its line and the attribute to fix, instead of an
// unpinned external base.
absl::flat_hash_set<std::string> ReferencedNames(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args) {
  absl::flat_hash_map<std::string, std::string> variables;
  for (const ArgDeclaration& arg : dockerfile.global_args) {
    if (auto given = build_args.find(arg.name); given != build_args.end()) {
      variables[arg.name] = given->second;
    } else if (arg.default_value.has_value()) {
      absl::StatusOr<std::string> value =
          ExpandWord(*arg.default_value, variables, dockerfile.escape);
      if (value.ok()) variables[arg.name] = *std::move(value);
    }
  }
  std::vector<std::string> raw_references;
  for (const Stage& stage : dockerfile.stages) {
    raw_references.push_back(stage.base);
  }
  for (const Instruction& instruction : dockerfile.instructions) {
    if (instruction.keyword != "COPY") continue;
    const InstructionFlag* from = instruction.FindFlag("from");
    if (from != nullptr && from->has_value) {
      raw_references.push_back(from->value);
    }
  }
  absl::flat_hash_set<std::string> names;
  for (const std::string& raw : raw_references) {
    absl::StatusOr<std::string> written =
        ExpandWord(raw, variables, dockerfile.escape);
    if (!written.ok()) continue;  // resolving reports it with its line
    std::string name = CandidateName(*written);
    if (!name.empty()) names.insert(std::move(name));
  }
  return names;
}

}  // namespace

absl::StatusOr<std::vector<ParentHash>> OrderParentsByDockerfile(
    const DockerfileParents& input) {
  absl::flat_hash_map<std::string, const ParentHash*> declared;
  for (const ParentHash& parent : input.declared) {
    if (!declared.emplace(parent.name, &parent).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parent ", parent.name, ": given twice; give each parent once"));
    }
  }
  IG_ASSIGN_OR_RETURN(
      const Dockerfile dockerfile,
      ParseDockerfile(input.dockerfile_path, input.dockerfile_text));

  ResolveOptions options;
  options.registry = input.registry;
  for (const auto& [name, value] : input.build_args) {
    options.build_args[name] = value;
  }
  options.in_tree_names = ReferencedNames(dockerfile, options.build_args);
  for (const ParentHash& parent : input.declared) {
    options.in_tree_names.insert(parent.name);
  }
  if (input.declared.size() == 1) {
    options.docker_image_parent = input.declared.front().name;
  }
  IG_ASSIGN_OR_RETURN(const std::vector<ImageReference> references,
                      ResolveImageReferences(dockerfile, options));

  std::vector<ParentHash> ordered;
  absl::flat_hash_set<std::string> named;
  for (const ImageReference& ref : references) {
    if (ref.kind != ImageReference::Kind::kInTree &&
        ref.kind != ImageReference::Kind::kParentArg) {
      continue;
    }
    const auto parent = declared.find(ref.in_tree_name);
    if (parent == declared.end()) {
      const std::string& name = ref.in_tree_name;
      return absl::InvalidArgumentError(absl::StrCat(
          input.dockerfile_path, ":", ref.line, ": ",
          ref.from_copy ? "COPY --from=" : "FROM ", ref.written,
          " is not a declared parent; if ", name,
          " is an image folder of the tree, add \":", name,
          "\" to the parents attribute (bazel run //images:update does it), "
          "otherwise pin it by digest (NAME@sha256:...)"));
    }
    if (named.insert(ref.in_tree_name).second) {
      ordered.push_back(*parent->second);
    }
  }
  for (const ParentHash& parent : input.declared) {
    if (!named.contains(parent.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          input.dockerfile_path, ": parent \"", parent.name,
          "\" is declared but the Dockerfile never names it; remove \":",
          parent.name, "\" from the parents attribute"));
    }
  }
  return ordered;
}

absl::StatusOr<std::string> ReadRegistryFile(const std::string& path) {
  return ReadOneLineFile(path, kRegistryFileHolds);
}

absl::StatusOr<std::string> FindFolderRegistry(const ContextSpec& spec) {
  const std::string folder = ContextDirectory(spec);
  char resolved[PATH_MAX];
  if (realpath(folder.c_str(), resolved) == nullptr) {
    // CollectEntries reports an unusable folder; without one there is no
    // registry to find.
    return std::string();
  }
  const std::string resolved_folder = resolved;
  const size_t slash = resolved_folder.rfind('/');
  const std::string above = slash == 0 ? "/" : resolved_folder.substr(0, slash);
  for (const std::string& candidate :
       {absl::StrCat(resolved_folder, "/REGISTRY"),
        absl::StrCat(above == "/" ? "" : above, "/REGISTRY")}) {
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      return ReadRegistryFile(candidate);
    }
  }
  return std::string();
}

}  // namespace imagegraph
