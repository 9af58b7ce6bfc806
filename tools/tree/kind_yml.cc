#include "tools/tree/kind_yml.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace imagegraph {

absl::StatusOr<std::map<std::string, KindTask>> ParseKindYml(
    absl::string_view text, absl::string_view display) {
  std::map<std::string, KindTask> tasks;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    YAML::Node list = root["tasks"];
    if (!list) list = root["jobs"];
    if (!list || !list.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(
          display,
          ": has no tasks: mapping; write tasks: with one entry per "
          "image folder"));
    }
    for (const auto& item : list) {
      std::string name = item.first.as<std::string>();
      const YAML::Node& body = item.second;
      int line = item.first.Mark().line + 1;
      std::string where = absl::StrCat(display, ":", line);
      KindTask task;
      if (body.IsNull()) {
        tasks[name] = task;
        continue;
      }
      if (!body.IsMap()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": task ", name,
                         " must be a mapping (symbol:, parent:, "
                         "args:)"));
      }
      if (const YAML::Node definition = body["definition"]) {
        std::string folder = definition.as<std::string>();
        if (folder != name) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": task ", name, " uses definition: ", folder,
              "; images are named after their folder here: rename the task "
              "to ",
              folder, " or copy the folder to ", name));
        }
      }
      if (const YAML::Node parent = body["parent"]) {
        if (!parent.IsScalar()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": task ", name, ": parent: must be one image name"));
        }
        task.parent = parent.as<std::string>();
      }
      if (const YAML::Node args = body["args"]) {
        if (!args.IsMap()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": task ", name, ": args: must map NAME: value"));
        }
        for (const auto& arg : args) {
          if (!arg.second.IsScalar()) {
            return absl::InvalidArgumentError(absl::StrCat(
                where, ": task ", name, ": args: ", arg.first.as<std::string>(),
                " must be a single value"));
          }
          task.args.emplace_back(arg.first.as<std::string>(),
                                 arg.second.as<std::string>());
        }
      }
      tasks[name] = std::move(task);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(display, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  return tasks;
}

}  // namespace imagegraph
