#include "tools/tree/resolver.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/common/status_macros.h"

namespace imagegraph {
namespace {

constexpr size_t kNpos = std::string::npos;

absl::Status ErrorAt(absl::string_view path, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", message));
}

// Splits an image reference into the part before the tag/digest, the tag and
// the digest ("" when absent).
struct ParsedReference {
  std::string repository;
  std::string tag;
  std::string digest;
};

ParsedReference SplitReference(absl::string_view reference) {
  ParsedReference parsed;
  size_t at = reference.find('@');
  if (at != kNpos) {
    parsed.digest = std::string(reference.substr(at + 1));
    reference = reference.substr(0, at);
  }
  size_t colon = reference.rfind(':');
  size_t slash = reference.rfind('/');
  if (colon != kNpos && (slash == kNpos || colon > slash)) {
    parsed.tag = std::string(reference.substr(colon + 1));
    reference = reference.substr(0, colon);
  }
  parsed.repository = std::string(reference);
  return parsed;
}

bool IsSha256Digest(absl::string_view digest) {
  if (!absl::ConsumePrefix(&digest, "sha256:") || digest.size() != 64) {
    return false;
  }
  return std::all_of(digest.begin(), digest.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

struct ResolvedReference {
  ImageReference reference;
  size_t offset;  // of the raw reference in the text (npos if split)
  size_t length;
};

bool IsParentArg(absl::string_view raw) {
  return raw == "$DOCKER_IMAGE_PARENT" || raw == "${DOCKER_IMAGE_PARENT}";
}

class Resolver {
 public:
  Resolver(const Dockerfile& dockerfile, const ResolveOptions& options)
      : dockerfile_(dockerfile), options_(options) {}

  absl::StatusOr<std::vector<ResolvedReference>> Resolve() {
    if (!options_.docker_image_parent.empty() &&
        !options_.in_tree_names.empty() &&
        !options_.in_tree_names.contains(options_.docker_image_parent)) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_.path, ": the declared parent \"",
          options_.docker_image_parent,
          "\" is not an image folder of the tree: name one of its folders"));
    }
    IG_ASSIGN_OR_RETURN(std::vector<ReferenceUse> uses,
                        ExpandReferences(dockerfile_, options_.build_args));
    std::vector<ResolvedReference> references;
    references.reserve(uses.size());
    for (const ReferenceUse& use : uses) {
      ResolvedReference resolved;
      resolved.offset = use.offset;
      resolved.length = use.length;
      IG_ASSIGN_OR_RETURN(resolved.reference, ResolveOne(use));
      references.push_back(std::move(resolved));
    }
    return references;
  }

 private:
  absl::StatusOr<ImageReference> ResolveOne(const ReferenceUse& use) const {
    ImageReference ref;
    ref.line = use.line;
    ref.from_copy = use.from_copy;
    ref.written = use.expanded;
    const absl::string_view instruction =
        use.from_copy ? "COPY --from=" : "FROM ";

    if (IsParentArg(use.raw)) {
      if (!options_.docker_image_parent.empty()) {
        ref.kind = ImageReference::Kind::kParentArg;
        ref.in_tree_name = options_.docker_image_parent;
        if (ref.written.empty()) ref.written = use.raw;
        return ref;
      }
      if (ref.written.empty()) {
        return ErrorAt(dockerfile_.path, use.line,
                       absl::StrCat(instruction, use.raw,
                                    " but the image declares no parent: set "
                                    "parent: in kind.yml (or parents on the "
                                    "docker_image target)"));
      }
    }
    if (ref.written.empty()) {
      std::string hint =
          use.from_copy
              ? "declare it with ARG in this stage"
              : "declare it with ARG NAME=<image> before the first FROM";
      return ErrorAt(dockerfile_.path, use.line,
                     absl::StrCat(instruction, use.raw,
                                  " expands to an empty image name: ", hint,
                                  " or pass it as a build argument"));
    }
    if (use.target == ReferenceUse::Target::kScratch) {
      ref.kind = ImageReference::Kind::kScratch;
      return ref;
    }
    if (use.target == ReferenceUse::Target::kStage) {
      ref.kind = ImageReference::Kind::kStage;
      return ref;
    }

    ParsedReference parsed = SplitReference(ref.written);
    if (!parsed.digest.empty()) {
      if (!IsSha256Digest(parsed.digest)) {
        return ErrorAt(dockerfile_.path, use.line,
                       absl::StrCat(use.Describe(), " has an invalid digest \"",
                                    parsed.digest,
                                    "\": expected @sha256:<64 lowercase hex "
                                    "digits>"));
      }
      ref.kind = ImageReference::Kind::kPinned;
      ref.pinned = ref.written;
      return ref;
    }

    // In-tree: NAME, or REGISTRY/NAME[:TAG] with the image's registry.
    std::string name;
    std::string registry;
    if (parsed.tag.empty() && parsed.repository.find('/') == kNpos) {
      name = parsed.repository;
    } else {
      size_t slash = parsed.repository.rfind('/');
      if (slash != kNpos) {
        registry = parsed.repository.substr(0, slash);
        name = parsed.repository.substr(slash + 1);
      }
    }
    if (!name.empty() && KnownRegistry(name, registry)) {
      if (options_.in_tree_names.contains(name)) {
        ref.kind = ImageReference::Kind::kInTree;
        ref.in_tree_name = name;
        return ref;
      }
      auto pinned = options_.pinned_digests.find(name);
      if (pinned != options_.pinned_digests.end()) {
        if (registry.empty()) registry = RegistryOf(name);
        ref.kind = ImageReference::Kind::kPinned;
        ref.pinned = absl::StrCat(registry.empty() ? "" : registry + "/", name,
                                  "@", pinned->second);
        return ref;
      }
    }

    std::string message =
        absl::StrCat(use.Describe(), " is not pinned: use ", ref.written,
                     "@sha256:<digest> (skopeo inspect docker://", ref.written,
                     " prints it), or name an in-tree image folder");
    std::string bare =
        parsed.repository.substr(parsed.repository.rfind('/') + 1);
    if (options_.in_tree_names.contains(bare)) {
      absl::StrAppend(&message, " (", bare, " is one: write ", bare, " or ",
                      RegistryOf(bare).empty() ? "" : RegistryOf(bare) + "/",
                      bare, ":<tag>)");
    }
    return ErrorAt(dockerfile_.path, use.line, message);
  }

  std::string RegistryOf(const std::string& name) const {
    auto it = options_.in_tree_registries.find(name);
    return it != options_.in_tree_registries.end() ? it->second
                                                   : options_.registry;
  }

  bool KnownRegistry(const std::string& name,
                     const std::string& registry) const {
    if (registry.empty()) return true;
    if (!options_.registry.empty() && registry == options_.registry) {
      return true;
    }
    auto it = options_.in_tree_registries.find(name);
    return it != options_.in_tree_registries.end() && it->second == registry;
  }

  const Dockerfile& dockerfile_;
  const ResolveOptions& options_;
};

}  // namespace

absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options) {
  IG_ASSIGN_OR_RETURN(std::vector<ResolvedReference> resolved,
                      Resolver(dockerfile, options).Resolve());
  std::vector<ImageReference> references;
  references.reserve(resolved.size());
  for (ResolvedReference& r : resolved) {
    references.push_back(std::move(r.reference));
  }
  return references;
}

absl::StatusOr<std::vector<std::string>> InTreeParents(
    const Dockerfile& dockerfile, const ResolveOptions& options) {
  IG_ASSIGN_OR_RETURN(std::vector<ImageReference> references,
                      ResolveImageReferences(dockerfile, options));
  std::vector<std::string> parents;
  absl::flat_hash_set<std::string> seen;
  for (const ImageReference& ref : references) {
    if (ref.kind != ImageReference::Kind::kInTree &&
        ref.kind != ImageReference::Kind::kParentArg) {
      continue;
    }
    if (seen.insert(ref.in_tree_name).second) {
      parents.push_back(ref.in_tree_name);
    }
  }
  return parents;
}

absl::StatusOr<std::string> RewriteInTreeReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options,
    const absl::flat_hash_map<std::string, std::string>& local_refs) {
  IG_ASSIGN_OR_RETURN(std::vector<ResolvedReference> resolved,
                      Resolver(dockerfile, options).Resolve());
  std::string out;
  size_t copied = 0;
  for (const ResolvedReference& r : resolved) {
    const ImageReference& ref = r.reference;
    if (ref.kind != ImageReference::Kind::kInTree &&
        ref.kind != ImageReference::Kind::kParentArg) {
      continue;
    }
    auto local = local_refs.find(ref.in_tree_name);
    if (local == local_refs.end()) {
      return ErrorAt(
          dockerfile.path, ref.line,
          absl::StrCat("no local reference for in-tree image \"",
                       ref.in_tree_name, "\": add it to the image's parents"));
    }
    if (r.offset == kNpos) {
      return ErrorAt(dockerfile.path, ref.line,
                     absl::StrCat("cannot rewrite ", ref.written,
                                  ": the reference is split by a line "
                                  "continuation; write it on one line"));
    }
    out.append(dockerfile.text, copied, r.offset - copied);
    out.append(local->second);
    copied = r.offset + r.length;
  }
  out.append(dockerfile.text, copied, kNpos);
  return out;
}

}  // namespace imagegraph
