#include "tools/tree/kind_yml.h"

#include <sys/utsname.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace imagegraph {
namespace {

// Top-level keys that configure taskgraph itself and say nothing about an
// image.
const std::set<std::string>& ToolKeys() {
  static const auto* keys =
      new std::set<std::string>{"loader", "transforms", "kind-dependencies"};
  return *keys;
}

// Task keys that say nothing about what an image holds.
const std::set<std::string>& DisplayKeys() {
  static const auto* keys = new std::set<std::string>{"symbol", "task-from"};
  return *keys;
}

// What happens to a task key imagegraph does not model.
std::string Consequence(const std::string& key, const std::string& value,
                        const std::string& build_arch) {
  if (key == "packages") {
    return "not modelled: imagegraph builds no package tasks, so these images "
           "build without them (DOCKER_IMAGE_PACKAGES stays empty)";
  }
  if (key == "arch") {
    return absl::StrCat(
        "not modelled: these images are built for the "
        "platform of the machine that builds them (",
        build_arch, "), not for ", value);
  }
  if (key == "index") {
    return "not modelled: imagegraph indexes every image by its context hash "
           "in its own index instead";
  }
  if (key == "cache") {
    return "false is not modelled: imagegraph reuses any image whose context "
           "hash is indexed";
  }
  return "is not a key of taskgraph's docker-image tasks that imagegraph "
         "knows: ignored";
}

// taskgraph's merge of task-defaults into a task: mappings merge key by key,
// lists concatenate (defaults first), anything else: the task's value wins.
YAML::Node Merge(const YAML::Node& defaults, const YAML::Node& task) {
  if (!task || task.IsNull()) return YAML::Clone(defaults);
  if (!defaults.IsMap() || !task.IsMap()) {
    if (defaults.IsSequence() && task.IsSequence()) {
      YAML::Node merged = YAML::Clone(defaults);
      for (const YAML::Node& item : task) merged.push_back(YAML::Clone(item));
      return merged;
    }
    return YAML::Clone(task);
  }
  YAML::Node merged = YAML::Clone(task);
  for (const auto& item : defaults) {
    const std::string key = item.first.as<std::string>();
    merged[key] = Merge(item.second, task[key]);
  }
  return merged;
}

class KindParser {
 public:
  KindParser(absl::string_view display, const KindYmlOptions& options)
      : display_(display), options_(options) {}

  absl::StatusOr<KindFile> Parse(absl::string_view text) {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) {
      return Error(1,
                   "is not a mapping; a kind.yml maps loader:, "
                   "transforms: and tasks:");
    }
    YAML::Node tasks;
    YAML::Node defaults;
    bool has_tasks = false;
    bool has_defaults = false;
    for (const auto& item : root) {
      const std::string key = item.first.as<std::string>();
      const int line = item.first.Mark().line + 1;
      if (key == "tasks" || key == "jobs") {
        if (has_tasks) {
          return Error(line, "has both tasks: and jobs:; keep one");
        }
        has_tasks = true;
        tasks = item.second;
      } else if (key == "task-defaults" || key == "job-defaults") {
        has_defaults = true;
        defaults = item.second;
      } else if (key == "tasks-from" || key == "jobs-from") {
        return Error(line,
                     absl::StrCat(key,
                                  " loads tasks from other files, which "
                                  "imagegraph does not read: move those tasks "
                                  "under tasks:"));
      } else if (ToolKeys().count(key) == 0) {
        file_.warnings.push_back(absl::StrCat(
            display_, ":", line, ": ", key,
            ": is not a key of a docker-image kind.yml that imagegraph "
            "knows: ignored"));
      }
    }
    if (!has_tasks || !tasks.IsMap()) {
      return Error(1,
                   "has no tasks: mapping; write tasks: with one entry "
                   "per image");
    }
    if (has_defaults && !defaults.IsMap()) {
      return Error(defaults.Mark().line + 1,
                   "task-defaults: must be a mapping of task keys");
    }
    for (const auto& item : tasks) {
      KindTask task;
      task.name = item.first.as<std::string>();
      task.line = item.first.Mark().line + 1;
      YAML::Node body = item.second;
      if (!body.IsNull() && !body.IsMap()) {
        return TaskError(task,
                         "must be a mapping (symbol:, parent:, args:, "
                         "definition:)");
      }
      if (has_defaults) body = Merge(defaults, body);
      absl::Status status = ReadTask(body, &task);
      if (!status.ok()) return status;
      file_.tasks.push_back(std::move(task));
    }
    std::sort(
        file_.tasks.begin(), file_.tasks.end(),
        [](const KindTask& a, const KindTask& b) { return a.name < b.name; });
    for (const auto& [key_value, tasks_using] : unmodelled_) {
      const auto& [key, value] = key_value;
      const std::vector<std::string> names(tasks_using.begin(),
                                           tasks_using.end());
      std::string shown = absl::StrJoin(
          names.begin(), names.begin() + std::min<size_t>(names.size(), 8),
          ", ");
      if (names.size() > 8) {
        absl::StrAppend(&shown, " and ", names.size() - 8, " more");
      }
      file_.warnings.push_back(absl::StrCat(
          display_, ": ", key, ": (task", names.size() == 1 ? " " : "s ", shown,
          ") ", Consequence(key, value, options_.build_arch)));
    }
    return std::move(file_);
  }

 private:
  absl::Status Error(int line, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(display_, ":", line, ": ", message));
  }

  absl::Status TaskError(const KindTask& task,
                         absl::string_view message) const {
    return Error(task.line, absl::StrCat("task ", task.name, ": ", message));
  }

  absl::Status ReadTask(const YAML::Node& body, KindTask* task) {
    task->definition = task->name;
    if (!body || body.IsNull()) return absl::OkStatus();
    for (const auto& item : body) {
      const std::string key = item.first.as<std::string>();
      const YAML::Node& value = item.second;
      if (key == "definition" || key == "parent") {
        if (!value.IsScalar() || value.as<std::string>().empty()) {
          return TaskError(*task, absl::StrCat(key, ": must be one name"));
        }
        (key == "parent" ? task->parent : task->definition) =
            value.as<std::string>();
      } else if (key == "args") {
        if (!value.IsMap()) {
          return TaskError(*task, "args: must map NAME: value");
        }
        for (const auto& arg : value) {
          const std::string name = arg.first.as<std::string>();
          if (!arg.second.IsScalar()) {
            return TaskError(
                *task, absl::StrCat("args: ", name, " must be a single value"));
          }
          task->args.emplace_back(name, arg.second.as<std::string>());
        }
        std::sort(task->args.begin(), task->args.end());
      } else if (key == "packages") {
        if (!value.IsSequence()) {
          return TaskError(*task, "packages: must be a list of package tasks");
        }
        if (value.size() > 0) unmodelled_[{key, ""}].insert(task->name);
      } else if (key == "arch") {
        if (!value.IsScalar()) {
          return TaskError(*task, "arch: must be one architecture");
        }
        const std::string arch = value.as<std::string>();
        if (arch != options_.build_arch) {
          unmodelled_[{key, arch}].insert(task->name);
        }
      } else if (key == "cache") {
        if (!value.IsScalar()) {
          return TaskError(*task, "cache: must be true or false");
        }
        if (!value.as<bool>()) unmodelled_[{key, "false"}].insert(task->name);
      } else if (DisplayKeys().count(key) == 0) {
        unmodelled_[{key, ""}].insert(task->name);
      }
    }
    return absl::OkStatus();
  }

  const std::string display_;
  const KindYmlOptions& options_;
  KindFile file_;
  // (key, value) not modelled -> the tasks that use it. The value tells
  // apart the arch: values; it is "" for other keys.
  std::map<std::pair<std::string, std::string>, std::set<std::string>>
      unmodelled_;
};

}  // namespace

absl::StatusOr<KindFile> ParseKindYml(absl::string_view text,
                                      absl::string_view display,
                                      const KindYmlOptions& options) {
  try {
    return KindParser(display, options).Parse(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        display, ":", e.mark.line + 1, ": invalid kind.yml: ", e.msg));
  }
}

std::string MachineArch() {
  struct utsname name;
  if (uname(&name) != 0) return "amd64";
  const std::string machine = name.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

}  // namespace imagegraph
