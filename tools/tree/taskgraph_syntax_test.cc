#include "tools/tree/taskgraph_syntax.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;

std::string Substitute(
    const std::string& text,
    const absl::flat_hash_map<std::string, std::string>& args,
    bool has_parent = false) {
  absl::StatusOr<std::string> out = SubstitutePercentArgs(
      "images/x/Dockerfile", text, args, has_parent,
      [](absl::string_view) { return std::string("add it to args:"); });
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

TEST(PercentArgTest, ReplacesLaterWholeNamesAsText) {
  EXPECT_EQ(Substitute("FROM $V\n"
                       "# %ARG V\n"
                       "COPY --from=tools:$V /a /$VX/$V.d\n"
                       "RUN echo ${V} $V_2 \"$V\"\n",
                       {{"V", "1.2"}}),
            // Before the line nothing changes; ${V}, $VX and $V_2 are other
            // names for taskgraph's \$V\b.
            "FROM $V\n"
            "# %ARG V\n"
            "COPY --from=tools:1.2 /a /$VX/1.2.d\n"
            "RUN echo ${V} $V_2 \"1.2\"\n");
}

TEST(PercentArgTest, KeepsLinesSoMessagesNameTheSource) {
  const std::string text = "# %ARG A\n# %ARG B\nFROM $A\r\nRUN $B";
  const std::string out = Substitute(text, {{"A", "a"}, {"B", "b"}});
  EXPECT_EQ(out, "# %ARG A\n# %ARG B\nFROM a\r\nRUN b");
}

TEST(PercentArgTest, AppliedInTheOrderDeclared) {
  // taskgraph applies each earlier replacement first, so a value may name
  // a later argument.
  EXPECT_EQ(
      Substitute("# %ARG A\n# %ARG B\nFROM $A\n", {{"A", "x/$B"}, {"B", "y"}}),
      "# %ARG A\n# %ARG B\nFROM x/y\n");
}

TEST(PercentArgTest, DockerImageParentComesFromParent) {
  const std::string text =
      "# %ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n";
  EXPECT_EQ(Substitute(text, {}, /*has_parent=*/true), text);
  absl::StatusOr<std::string> out = SubstitutePercentArgs(
      "images/x/Dockerfile", text, {}, false,
      [](absl::string_view) { return std::string("add it under args:"); });
  EXPECT_EQ(out.status().message(),
            "images/x/Dockerfile:1: # %ARG DOCKER_IMAGE_PARENT has no value: "
            "the task has no parent: give it one, or add it under args:");
}

TEST(PercentArgTest, MissingValue) {
  absl::StatusOr<std::string> out = SubstitutePercentArgs(
      "images/x/Dockerfile", "FROM scratch\n# %ARG UV_VERSION\n", {}, false,
      [](absl::string_view name) {
        return absl::StrCat("add ", name, " under tasks: x: args: in kind.yml");
      });
  EXPECT_EQ(out.status().message(),
            "images/x/Dockerfile:2: # %ARG UV_VERSION has no value: add "
            "UV_VERSION under tasks: x: args: in kind.yml");
}

TEST(RunTaskTest, LinesAndInsertion) {
  const std::string text =
      "FROM scratch\n# %include-run-task\nRUN true\n# %include-run-task  ";
  EXPECT_THAT(RunTaskIncludeLines(text), ElementsAre(2, 4));
  // taskgraph matches the line's start and the whole stripped line.
  EXPECT_THAT(RunTaskIncludeLines("# %include-run-tasks\n# %include x\n"
                                  "  # %include-run-task\n"),
              ElementsAre());
  WithRunTask inserted = InsertRunTaskLines(text);
  EXPECT_EQ(inserted.text,
            "FROM scratch\n"
            "# %include-run-task\n"
            "COPY run-task/run-task /usr/local/bin/run-task\n"
            "COPY run-task/fetch-content /usr/local/bin/fetch-content\n"
            "COPY run-task/robustcheckout.py "
            "/usr/local/mercurial/robustcheckout.py\n"
            "COPY run-task/hgrc /etc/mercurial/hgrc.d/mozilla.rc\n"
            "RUN true\n"
            "# %include-run-task  \n"
            "COPY run-task/run-task /usr/local/bin/run-task\n"
            "COPY run-task/fetch-content /usr/local/bin/fetch-content\n"
            "COPY run-task/robustcheckout.py "
            "/usr/local/mercurial/robustcheckout.py\n"
            "COPY run-task/hgrc /etc/mercurial/hgrc.d/mozilla.rc\n");
  EXPECT_THAT(inserted.source_lines,
              ElementsAre(1, 2, 2, 2, 2, 2, 3, 4, 4, 4, 4, 4));
}

}  // namespace
}  // namespace imagegraph
