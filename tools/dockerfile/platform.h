// The one place that decides the platform images are built for: this
// machine's, as Docker's defaults for the built-in platform ARGs
// (TARGETPLATFORM, BUILDARCH, ...) assume.
#ifndef IMAGEGRAPH_TOOLS_DOCKERFILE_PLATFORM_H_
#define IMAGEGRAPH_TOOLS_DOCKERFILE_PLATFORM_H_

#include <string>

namespace imagegraph {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", ...
  std::string variant;       // "" unless the architecture has variants

  // "os/architecture[/variant]", as in TARGETPLATFORM.
  std::string ToString() const;
};

// The platform of this machine (as the tools were compiled for it).
Platform HostPlatform();

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_DOCKERFILE_PLATFORM_H_
