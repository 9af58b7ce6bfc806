#include "tools/tree/reference_map.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr absl::string_view kRegenerate =
    "the BUILD file is stale: regenerate it (bazel run the tree's update "
    "target, e.g. //images:update)";

absl::Status ErrorAt(absl::string_view path, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", message));
}

bool IsPinned(absl::string_view target) {
  const size_t at = target.rfind('@');
  return at != absl::string_view::npos && at > 0 &&
         IsSha256Digest(target.substr(at + 1));
}

absl::Status CheckTarget(absl::string_view written, absl::string_view target) {
  if (absl::StartsWith(target, ":") && target.size() > 1) {
    return absl::OkStatus();
  }
  if (IsPinned(target)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "reference ", written, " -> \"", target,
      "\": the target must be \":NAME\" (an in-tree image) or a reference "
      "pinned by digest (REPOSITORY@sha256:<64 lowercase hex digits>)"));
}

}  // namespace

ReferenceMap MakeReferenceMap(const std::vector<ImageReference>& references) {
  ReferenceMap map;
  for (const ImageReference& ref : references) {
    switch (ref.kind) {
      case ImageReference::Kind::kInTree:
      case ImageReference::Kind::kParentArg:
        map.emplace(ref.written, absl::StrCat(":", ref.in_tree_name));
        break;
      case ImageReference::Kind::kPinned:
        map.emplace(ref.written, ref.pinned);
        break;
      case ImageReference::Kind::kScratch:
      case ImageReference::Kind::kStage:
        break;
    }
  }
  return map;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseReferenceFlag(
    absl::string_view value) {
  const size_t eq = value.rfind('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--reference=", value,
        ": expected WRITTEN=TARGET (the reference as the Dockerfile writes "
        "it, and :NAME or a pinned reference)"));
  }
  std::pair<std::string, std::string> entry(value.substr(0, eq),
                                            value.substr(eq + 1));
  IG_RETURN_IF_ERROR(CheckTarget(entry.first, entry.second));
  return entry;
}

absl::StatusOr<std::vector<ImageReference>> ResolveWithReferenceMap(
    const Dockerfile& dockerfile,
    const absl::flat_hash_map<std::string, std::string>& build_args,
    const ReferenceMap& map, absl::string_view declared_parent) {
  for (const auto& [written, target] : map) {
    absl::Status form = CheckTarget(written, target);
    if (!form.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(dockerfile.path, ": ", form.message()));
    }
  }
  IG_ASSIGN_OR_RETURN(std::vector<ReferenceUse> uses,
                      ExpandReferences(dockerfile, build_args));
  std::vector<ImageReference> references;
  references.reserve(uses.size());
  absl::flat_hash_set<std::string> used;
  for (const ReferenceUse& use : uses) {
    ImageReference ref = ImageReference::Of(use);
    if (IsParentArg(use.raw)) {
      if (declared_parent.empty()) {
        return ErrorAt(dockerfile.path, use.line,
                       absl::StrCat(ref.Describe(),
                                    " but the image declares no parent: set "
                                    "parent on the docker_image target"));
      }
      ref.kind = ImageReference::Kind::kParentArg;
    } else if (ref.written.empty()) {
      return EmptyReferenceError(dockerfile.path, use);
    } else if (use.target == ReferenceUse::Target::kScratch) {
      ref.kind = ImageReference::Kind::kScratch;
      references.push_back(std::move(ref));
      continue;
    } else if (use.target == ReferenceUse::Target::kStage) {
      ref.kind = ImageReference::Kind::kStage;
      references.push_back(std::move(ref));
      continue;
    }
    const auto entry = map.find(ref.written);
    if (entry == map.end()) {
      return ErrorAt(
          dockerfile.path, use.line,
          absl::StrCat(ref.Describe(),
                       " is not among the image's references (the "
                       "`references` attribute, keyed by the reference as "
                       "written after ARG expansion): ",
                       kRegenerate));
    }
    used.insert(entry->first);
    const std::string& target = entry->second;
    if (ref.kind == ImageReference::Kind::kParentArg) {
      if (target != absl::StrCat(":", declared_parent)) {
        return ErrorAt(dockerfile.path, use.line,
                       absl::StrCat(ref.Describe(), " is mapped to ", target,
                                    " but the declared parent is :",
                                    declared_parent, ": ", kRegenerate));
      }
      ref.in_tree_name = std::string(declared_parent);
    } else if (absl::StartsWith(target, ":")) {
      ref.kind = ImageReference::Kind::kInTree;
      ref.in_tree_name = target.substr(1);
    } else {
      ref.kind = ImageReference::Kind::kPinned;
      ref.pinned = target;
    }
    references.push_back(std::move(ref));
  }
  for (const auto& [written, target] : map) {
    if (!used.contains(written)) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile.path, ": the references list \"", written, "\" (-> ",
          target, "), which the Dockerfile never names: ", kRegenerate));
    }
  }
  return references;
}

absl::StatusOr<std::string> RewriteReferences(
    const Dockerfile& dockerfile, const std::vector<ImageReference>& references,
    const absl::flat_hash_map<std::string, std::string>& in_tree_tags,
    const absl::flat_hash_map<std::string, std::string>& pinned_tags) {
  std::string out;
  size_t copied = 0;
  for (const ImageReference& ref : references) {
    const std::string* local = nullptr;
    if (ref.kind == ImageReference::Kind::kInTree ||
        ref.kind == ImageReference::Kind::kParentArg) {
      auto it = in_tree_tags.find(ref.in_tree_name);
      if (it == in_tree_tags.end()) {
        return ErrorAt(dockerfile.path, ref.line,
                       absl::StrCat("no loaded image for the in-tree image \"",
                                    ref.in_tree_name, "\" that ",
                                    ref.Describe(), " names"));
      }
      local = &it->second;
    } else if (ref.kind == ImageReference::Kind::kPinned) {
      auto it = pinned_tags.find(PinnedDigest(ref.pinned));
      if (it == pinned_tags.end()) {
        return ErrorAt(dockerfile.path, ref.line,
                       absl::StrCat("no loaded archive for ", ref.pinned,
                                    ", which ", ref.Describe(), " names"));
      }
      local = &it->second;
    } else {
      continue;
    }
    if (ref.offset == std::string::npos || ref.offset < copied) {
      return ErrorAt(dockerfile.path, ref.line,
                     absl::StrCat("cannot rewrite ", ref.written,
                                  ": the reference is split by a line "
                                  "continuation; write it on one line"));
    }
    out.append(dockerfile.text, copied, ref.offset - copied);
    out.append(*local);
    copied = ref.offset + ref.length;
  }
  out.append(dockerfile.text, copied, std::string::npos);
  return out;
}

std::string PinnedDigest(absl::string_view pinned) {
  const size_t at = pinned.rfind('@');
  return at == absl::string_view::npos ? ""
                                       : std::string(pinned.substr(at + 1));
}

}  // namespace imagegraph
