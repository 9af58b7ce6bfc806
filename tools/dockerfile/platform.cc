#include "tools/dockerfile/platform.h"

#include "absl/strings/str_cat.h"

namespace imagegraph {

std::string Platform::ToString() const {
  std::string text = absl::StrCat(os, "/", architecture);
  if (!variant.empty()) absl::StrAppend(&text, "/", variant);
  return text;
}

Platform HostPlatform() {
  // Docker's names (those of Go's GOARCH), with the variant Docker reports
  // for the architectures that have one.
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", ""};
#elif defined(__arm__)
  return {"linux", "arm", "v7"};
#elif defined(__i386__)
  return {"linux", "386", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", ""};
#else
#error "unknown architecture: add its Docker name to HostPlatform()"
#endif
}

}  // namespace imagegraph
