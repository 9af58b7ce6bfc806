// inspect: prints what a Dockerfile holds as BuildKit reads it (instructions,
// stages, image references), or refuses it as BuildKit does.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tools/common/command_line.h"
#include "tools/common/file_util.h"
#include "tools/dockerfile/inspect.h"

ABSL_FLAG(std::vector<std::string>, build_arg, {},
          "KEY=VALUE: a build argument.");

namespace imagegraph {
namespace {

constexpr char kUsage[] =
    R"(prints what a Dockerfile holds, as BuildKit reads it.

Usage:
  inspect [--build_arg=K=V]... FILE

Prints one JSON object on stdout:
  {"instructions": [{"keyword": "RUN", "start_line": 4, "end_line": 6}, ...],
   "stages": [{"line": 1, "name": "build", "base": "golang:1.22-amd64",
               "platform": ""}, ...],
   "references": [{"line": 9, "instruction": "COPY", "written": "build",
                   "expanded": "build"}, ...]}
Bases and platforms are expanded with the build arguments, the ARGs before
the first FROM and the built-in platform arguments (TARGETARCH...) of this
machine. It only parses and expands: nothing is pulled or resolved. A
Dockerfile BuildKit would refuse, or one that cannot be read, is an error
("FILE:LINE: message" with the fix on stderr).
)";

int Run(const ToolArguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << "inspect: expected one Dockerfile, got "
              << arguments.positional.size() << " arguments (see --help)\n";
    return kExitUsage;
  }
  absl::flat_hash_map<std::string, std::string> build_args;
  for (const std::string& value : arguments.Repeated("build_arg")) {
    const size_t equals = value.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::cerr << "inspect: --build_arg=" << value
                << ": expected KEY=VALUE (see --help)\n";
      return kExitUsage;
    }
    build_args[value.substr(0, equals)] = value.substr(equals + 1);
  }
  const std::string& path = arguments.positional[0];
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    std::cerr << "inspect: " << text.status().message() << "\n";
    return kExitError;
  }
  absl::StatusOr<Inspection> inspection =
      InspectDockerfile(path, *text, build_args);
  if (!inspection.ok()) {
    std::cerr << "inspect: " << inspection.status().message() << "\n";
    return kExitError;
  }
  std::cout << InspectionToJson(*inspection);
  return kExitSuccess;
}

}  // namespace
}  // namespace imagegraph

int main(int argc, char** argv) {
  // Under `bazel run`, relative paths mean the user's directory.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
      dir != nullptr && chdir(dir) != 0) {
    std::cerr << "inspect: " << dir << ": cannot enter the working directory\n";
    return imagegraph::kExitError;
  }
  const imagegraph::ToolArguments arguments =
      imagegraph::ParseToolArgumentsOrExit({"inspect", imagegraph::kUsage},
                                           argc, argv, {"build_arg"},
                                           imagegraph::Positional::kAllowed);
  return imagegraph::Run(arguments);
}
