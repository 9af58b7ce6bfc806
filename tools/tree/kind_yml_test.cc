#include "tools/tree/kind_yml.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kPath[] = "taskcluster/kinds/docker-image/kind.yml";

KindFile MustParse(const std::string& text) {
  absl::StatusOr<KindFile> kind = ParseKindYml(text, kPath);
  EXPECT_TRUE(kind.ok()) << kind.status();
  return kind.ok() ? *std::move(kind) : KindFile();
}

std::string Error(const std::string& text) {
  absl::StatusOr<KindFile> kind = ParseKindYml(text, kPath);
  EXPECT_FALSE(kind.ok()) << text;
  return kind.ok() ? "" : std::string(kind.status().message());
}

TEST(KindYmlTest, DefinitionParentArgs) {
  KindFile kind = MustParse(R"(loader: taskgraph.loader.transform:loader
kind-dependencies:
  - packages
transforms:
  - taskgraph.transforms.docker_image:transforms
tasks:
  raw-12:
    symbol: I(raw12)
    definition: raw
    args:
      BASE_IMAGE: "os:12"
      DIST: bookworm
  raw-13:
    definition: raw
    args: {BASE_IMAGE: "os:13", SNAPSHOT: 20240101}
  base:
    parent: raw-12
)");
  EXPECT_THAT(kind.warnings, ElementsAre());
  ASSERT_EQ(kind.tasks.size(), 3u);
  EXPECT_EQ(kind.tasks[0].name, "base");
  EXPECT_EQ(kind.tasks[0].definition, "base");
  EXPECT_EQ(kind.tasks[0].parent, "raw-12");
  EXPECT_EQ(kind.tasks[0].line, 16);
  EXPECT_EQ(kind.tasks[1].name, "raw-12");
  EXPECT_EQ(kind.tasks[1].definition, "raw");
  EXPECT_THAT(kind.tasks[1].args, ElementsAre(Pair("BASE_IMAGE", "os:12"),
                                              Pair("DIST", "bookworm")));
  EXPECT_THAT(kind.tasks[2].args, ElementsAre(Pair("BASE_IMAGE", "os:13"),
                                              Pair("SNAPSHOT", "20240101")));
}

TEST(KindYmlTest, TaskDefaultsMergeAsTaskgraphMerges) {
  KindFile kind = MustParse(R"(jobs:
  a:
    args: {A: task}
  b: {}
job-defaults:
  args: {A: default, B: default}
)");
  ASSERT_EQ(kind.tasks.size(), 2u);
  EXPECT_THAT(kind.tasks[0].args,
              ElementsAre(Pair("A", "task"), Pair("B", "default")));
  EXPECT_THAT(kind.tasks[1].args,
              ElementsAre(Pair("A", "default"), Pair("B", "default")));
}

TEST(KindYmlTest, KeysNotModelledAreReportedWithTheirTasks) {
  KindYmlOptions options;
  options.build_arch = "amd64";
  absl::StatusOr<KindFile> kind = ParseKindYml(R"(task-defaults:
  run-on-repo-type: [hg]
tasks:
  a:
    packages: [deb12-mercurial]
    arch: arm64
  b:
    packages: []
    arch: amd64
    cache: false
  c:
    index: {product: x}
    packages: [p]
surprise: 1
)",
                                               kPath, options);
  ASSERT_TRUE(kind.ok()) << kind.status();
  EXPECT_THAT(
      kind->warnings,
      ElementsAre(
          std::string(kPath) +
              ":14: surprise: is not a key of a docker-image kind.yml that "
              "imagegraph knows: ignored",
          std::string(kPath) +
              ": arch: (task a) not modelled: these images are built for the "
              "platform of the machine that builds them (amd64), not for "
              "arm64",
          std::string(kPath) +
              ": cache: (task b) false is not modelled: imagegraph reuses "
              "any image whose context hash is indexed",
          std::string(kPath) +
              ": index: (task c) not modelled: imagegraph indexes every image "
              "by its context hash in its own index instead",
          std::string(kPath) +
              ": packages: (tasks a, c) not modelled: imagegraph builds no "
              "package tasks, so these images build without them "
              "(DOCKER_IMAGE_PACKAGES stays empty)",
          std::string(kPath) +
              ": run-on-repo-type: (tasks a, b, c) is not a key of "
              "taskgraph's docker-image tasks that imagegraph knows: "
              "ignored"));
}

TEST(KindYmlTest, ManyTasksAreCounted) {
  std::string text = "tasks:\n";
  for (int i = 0; i < 12; ++i) {
    text += "  t" + std::to_string(10 + i) + ": {weight: 1}\n";
  }
  KindFile kind = MustParse(text);
  ASSERT_EQ(kind.warnings.size(), 1u);
  EXPECT_THAT(kind.warnings[0],
              HasSubstr("weight: (tasks t10, t11, t12, t13, t14, t15, t16, "
                        "t17 and 4 more) is not a key"));
}

TEST(KindYmlTest, Errors) {
  EXPECT_EQ(Error("loader: x\n"),
            std::string(kPath) +
                ":1: has no tasks: mapping; write tasks: with one entry per "
                "image");
  EXPECT_EQ(Error("tasks:\n  a: [1]\n"),
            std::string(kPath) +
                ":2: task a: must be a mapping (symbol:, parent:, args:, "
                "definition:)");
  EXPECT_EQ(Error("tasks:\n  a:\n    parent: [x, y]\n"),
            std::string(kPath) + ":2: task a: parent: must be one name");
  EXPECT_EQ(Error("tasks:\n  a:\n    args: [x]\n"),
            std::string(kPath) + ":2: task a: args: must map NAME: value");
  EXPECT_EQ(Error("tasks:\n  a:\n    args: {X: [1]}\n"),
            std::string(kPath) + ":2: task a: args: X must be a single value");
  EXPECT_EQ(Error("tasks-from: [more.yml]\ntasks: {}\n"),
            std::string(kPath) +
                ":1: tasks-from loads tasks from other files, which "
                "imagegraph does not read: move those tasks under tasks:");
  EXPECT_THAT(Error("tasks:\n  a: {\n"),
              HasSubstr(std::string(kPath) + ":3: invalid kind.yml: "));
}

}  // namespace
}  // namespace imagegraph
