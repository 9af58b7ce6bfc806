#include "tools/tree/resolver.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/common/sha256.h"
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

class Resolver {
 public:
  Resolver(const Dockerfile& dockerfile, const ResolveOptions& options)
      : dockerfile_(dockerfile), options_(options) {}

  absl::StatusOr<std::vector<ImageReference>> Resolve() {
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
    std::vector<ImageReference> references;
    references.reserve(uses.size());
    for (const ReferenceUse& use : uses) {
      IG_ASSIGN_OR_RETURN(ImageReference reference, ResolveOne(use));
      references.push_back(std::move(reference));
    }
    return references;
  }

 private:
  absl::StatusOr<ImageReference> ResolveOne(const ReferenceUse& use) const {
    ImageReference ref = ImageReference::Of(use);

    if (IsParentArg(use.raw)) {
      if (!options_.docker_image_parent.empty()) {
        ref.kind = ImageReference::Kind::kParentArg;
        ref.in_tree_name = options_.docker_image_parent;
        return ref;
      }
      return ErrorAt(dockerfile_.path, use.line,
                     absl::StrCat(ref.Describe(),
                                  " but the image declares no parent: set "
                                  "parent: in kind.yml (or parent on the "
                                  "docker_image target)"));
    }
    ref.written = use.expanded;
    if (ref.written.empty()) return EmptyReferenceError(dockerfile_.path, use);
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
        if (registry.empty()) {
          return ErrorAt(
              dockerfile_.path, use.line,
              absl::StrCat(use.Describe(), " names ", name,
                           ", which is pinned by its HASH file, but no "
                           "REGISTRY says where it is published: add a "
                           "REGISTRY file to its folder or to the tree"));
        }
        ref.kind = ImageReference::Kind::kPinned;
        ref.pinned = absl::StrCat(registry, "/", name, "@", pinned->second);
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

absl::Status EmptyReferenceError(absl::string_view path,
                                 const ReferenceUse& use) {
  const absl::string_view hint =
      use.source != ReferenceUse::Source::kFrom
          ? "declare it with ARG in this stage"
          : "declare it with ARG NAME=<image> before the first FROM";
  return ErrorAt(
      path, use.line,
      absl::StrCat(use.Describe(), " expands to an empty image name: ", hint,
                   " or pass it as a build argument"));
}

ImageReference ImageReference::Of(const ReferenceUse& use) {
  ImageReference ref;
  ref.line = use.line;
  ref.source = use.source;
  ref.written = ReferenceKey(use);
  ref.offset = use.offset;
  ref.length = use.length;
  return ref;
}

std::string ImageReference::Describe() const {
  switch (source) {
    case ReferenceUse::Source::kFrom:
      return absl::StrCat("FROM ", written);
    case ReferenceUse::Source::kCopyFrom:
      return absl::StrCat("COPY --from=", written);
    case ReferenceUse::Source::kRunMountFrom:
      return absl::StrCat("RUN --mount=from=", written);
  }
  return written;
}

bool IsParentArg(absl::string_view raw) {
  return raw == "$DOCKER_IMAGE_PARENT" || raw == "${DOCKER_IMAGE_PARENT}";
}

std::string ReferenceKey(const ReferenceUse& use) {
  return IsParentArg(use.raw) ? use.raw : use.expanded;
}

absl::StatusOr<std::vector<ImageReference>> ResolveImageReferences(
    const Dockerfile& dockerfile, const ResolveOptions& options) {
  return Resolver(dockerfile, options).Resolve();
}

std::vector<std::string> InTreeParents(
    const std::vector<ImageReference>& references,
    absl::string_view declared_parent) {
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
  if (!declared_parent.empty() && !seen.contains(declared_parent)) {
    parents.emplace_back(declared_parent);
  }
  return parents;
}

}  // namespace imagegraph
