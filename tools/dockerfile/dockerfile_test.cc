#include "tools/dockerfile/dockerfile.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Dockerfile MustParse(const std::string& text) {
  absl::StatusOr<Dockerfile> parsed =
      ParseDockerfile("images/x/Dockerfile", text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : Dockerfile();
}

std::string ParseError(const std::string& text) {
  absl::StatusOr<Dockerfile> parsed =
      ParseDockerfile("images/x/Dockerfile", text);
  EXPECT_FALSE(parsed.ok()) << "parsed: " << text;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

std::vector<std::string> Keywords(const Dockerfile& dockerfile) {
  std::vector<std::string> keywords;
  for (const Instruction& i : dockerfile.instructions) {
    keywords.push_back(i.keyword);
  }
  return keywords;
}

TEST(ParseTest, InstructionsWithLinesAndCaseInsensitiveKeywords) {
  Dockerfile d = MustParse(
      "from scratch\n"
      "\n"
      "Run echo hi\n"
      "  cmd [\"/bin/sh\"]\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "CMD"));
  EXPECT_EQ(d.instructions[0].line, 1);
  EXPECT_EQ(d.instructions[1].line, 3);
  EXPECT_EQ(d.instructions[1].arguments, "echo hi");
  EXPECT_EQ(d.instructions[2].line, 4);
}

TEST(ParseTest, LineContinuationsJoinAndSkipCommentsAndBlankLines) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN apt-get update && \\\n"
      "# a comment inside the instruction\n"
      "\n"
      "    apt-get install -y jq \\   \n"
      "    curl\n"
      "USER app\n");
  ASSERT_EQ(d.instructions.size(), 3u);
  EXPECT_EQ(d.instructions[1].arguments,
            "apt-get update &&     apt-get install -y jq     curl");
  EXPECT_EQ(d.instructions[1].line, 2);
  EXPECT_EQ(d.instructions[1].end_line, 6);
  EXPECT_EQ(d.instructions[2].line, 7);
}

TEST(ParseTest, CrLfLineEndings) {
  Dockerfile d = MustParse("FROM scratch\r\nRUN a \\\r\n b\r\n");
  ASSERT_EQ(d.instructions.size(), 2u);
  EXPECT_EQ(d.instructions[1].arguments, "a  b");
}

TEST(ParseTest, EscapeDirectiveChangesTheContinuationCharacter) {
  Dockerfile d = MustParse(
      "# escape=`\n"
      "FROM scratch\n"
      "RUN dir c:\\ `\n"
      "  /w\n");
  EXPECT_EQ(d.escape, '`');
  EXPECT_EQ(d.directives.at("escape"), "`");
  ASSERT_EQ(d.instructions.size(), 2u);
  EXPECT_EQ(d.instructions[1].arguments, "dir c:\\   /w");
}

TEST(ParseTest, DirectivesOnlyAtTheTop) {
  Dockerfile d = MustParse(
      "# syntax=docker/dockerfile:1\n"
      "#escape = \\\n"
      "FROM scratch\n"
      "# escape=`\n"
      "RUN a \\\n"
      "  b\n");
  EXPECT_EQ(d.directives.at("syntax"), "docker/dockerfile:1");
  EXPECT_EQ(d.escape, '\\');
  EXPECT_EQ(d.instructions[1].arguments, "a   b");
}

TEST(ParseTest, DirectiveAfterACommentIsAComment) {
  Dockerfile d = MustParse(
      "# a comment\n"
      "# escape=`\n"
      "FROM scratch\n");
  EXPECT_FALSE(d.directives.contains("escape"));
  EXPECT_EQ(d.escape, '\\');
}

TEST(ParseTest, InvalidEscapeDirective) {
  EXPECT_EQ(ParseError("# escape=x\nFROM scratch\n"),
            "images/x/Dockerfile:1: invalid escape directive \"x\": use "
            "# escape=\\ or # escape=`");
}

TEST(ParseTest, RepeatedDirective) {
  EXPECT_EQ(ParseError("# syntax=a\n# syntax=b\nFROM scratch\n"),
            "images/x/Dockerfile:2: the syntax parser directive appears "
            "twice: keep only one");
}

TEST(ParseTest, IncludesAndPercentArgsWithLines) {
  Dockerfile d = MustParse(
      "ARG DOCKER_IMAGE_PARENT\n"
      "FROM $DOCKER_IMAGE_PARENT\n"
      "# %ARG TASKCLUSTER_ROOT_URL\n"
      "# %include images/recipes/install-jq.sh\n"
      "COPY topsrcdir/images/recipes/install-jq.sh /setup/\n"
      "#%include images/recipes/common\n"
      "# %ARG   ARCH\n");
  ASSERT_EQ(d.includes.size(), 2u);
  EXPECT_EQ(d.includes[0].line, 4);
  EXPECT_EQ(d.includes[0].path, "images/recipes/install-jq.sh");
  EXPECT_EQ(d.includes[1].line, 6);
  EXPECT_EQ(d.includes[1].path, "images/recipes/common");
  EXPECT_THAT(d.PercentArgNames(), ElementsAre("TASKCLUSTER_ROOT_URL", "ARCH"));
  EXPECT_EQ(d.percent_args[1].line, 7);
}

TEST(ParseTest, IncludeInsideAContinuationIsStillAnInclude) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN a \\\n"
      "# %include images/recipes/x.sh\n"
      "  b\n");
  ASSERT_EQ(d.includes.size(), 1u);
  EXPECT_EQ(d.includes[0].line, 3);
}

TEST(ParseTest, IncludeErrors) {
  EXPECT_EQ(ParseError("FROM scratch\n# %include /etc/passwd\n"),
            "images/x/Dockerfile:2: # %include /etc/passwd is absolute: write "
            "the path relative to the repository root");
  EXPECT_EQ(ParseError("FROM scratch\n# %include a/../../etc\n"),
            "images/x/Dockerfile:2: # %include a/../../etc leaves the "
            "repository: includes must name files inside it");
  EXPECT_THAT(ParseError("FROM scratch\n# %include\n"),
              HasSubstr("images/x/Dockerfile:2: # %include needs a path"));
  EXPECT_EQ(ParseError("FROM scratch\n# %ARG A B\n"),
            "images/x/Dockerfile:2: # %ARG takes one argument name, got \"A "
            "B\": write # %ARG NAME");
}

TEST(ParseTest, OtherPercentWordsAreComments) {
  Dockerfile d = MustParse(
      "FROM scratch\n# %included in docs\n# %ARGS x\n  # %include indented\n");
  EXPECT_TRUE(d.includes.empty());
  EXPECT_TRUE(d.percent_args.empty());
}

TEST(ParseTest, JsonAndShellForms) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "CMD [\"/bin/sh\", \"-c\", \"echo \\\"hi\\\" \\u00e9\"]\n"
      "ENTRYPOINT [not json\n"
      "RUN [ ]\n");
  EXPECT_TRUE(d.instructions[1].json_form);
  EXPECT_THAT(d.instructions[1].json_args,
              ElementsAre("/bin/sh", "-c", "echo \"hi\" \xC3\xA9"));
  EXPECT_FALSE(d.instructions[2].json_form);
  EXPECT_EQ(d.instructions[2].rest, "[not json");
  EXPECT_TRUE(d.instructions[3].json_form);
  EXPECT_TRUE(d.instructions[3].json_args.empty());
}

TEST(ParseTest, ShellNeedsJson) {
  EXPECT_EQ(ParseError("FROM scratch\nSHELL /bin/bash -c\n"),
            "images/x/Dockerfile:2: SHELL requires the JSON form, e.g. SHELL "
            "[\"/bin/sh\", \"-c\"]");
}

TEST(ParseTest, FlagsAreParsed) {
  Dockerfile d = MustParse(
      "FROM --platform=$BUILDPLATFORM scratch AS Build\n"
      "COPY --from=build --chown=1:1 --link /a /b\n"
      "RUN --mount=type=cache,target=/c --network=none make\n");
  EXPECT_EQ(d.stages[0].platform, "$BUILDPLATFORM");
  EXPECT_EQ(d.stages[0].name, "build");
  const Instruction& copy = d.instructions[1];
  ASSERT_EQ(copy.flags.size(), 3u);
  EXPECT_EQ(copy.FindFlag("from")->value, "build");
  EXPECT_EQ(copy.FindFlag("chown")->value, "1:1");
  EXPECT_FALSE(copy.FindFlag("link")->has_value);
  EXPECT_EQ(copy.rest, "/a /b");
  EXPECT_EQ(d.instructions[2].rest, "make");
}

TEST(ParseTest, UnknownFlag) {
  EXPECT_EQ(ParseError("FROM scratch\nCOPY --form=a /a /b\n"),
            "images/x/Dockerfile:2: unknown flag --form for COPY (it takes "
            "--from, --chown, --chmod, --link, --parents, --exclude)");
}

TEST(ParseTest, RepeatedFlag) {
  EXPECT_EQ(ParseError("FROM scratch\nCOPY --from=a --from=b /a /b\n"),
            "images/x/Dockerfile:2: flag --from is given twice to COPY");
}

TEST(ParseTest, UnknownInstruction) {
  EXPECT_EQ(ParseError("FROM scratch\nRUN a\nINSTALL jq\n"),
            "images/x/Dockerfile:3: unknown instruction \"INSTALL\": "
            "Dockerfile instructions are ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, "
            "EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, "
            "SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR (a previous line may "
            "lack its trailing \\)");
}

TEST(ParseTest, MissingContinuationReportsTheNextLine) {
  EXPECT_THAT(
      ParseError("FROM scratch\nRUN apt-get install \\\n  jq\n  curl\n"),
      HasSubstr("images/x/Dockerfile:4: unknown instruction \"curl\""));
}

TEST(ParseTest, InstructionWithoutArguments) {
  EXPECT_EQ(ParseError("FROM scratch\nRUN\n"),
            "images/x/Dockerfile:2: RUN requires at least one argument");
}

TEST(ParseTest, ArgumentCounts) {
  EXPECT_EQ(ParseError("FROM scratch\nCOPY onlyone\n"),
            "images/x/Dockerfile:2: COPY requires a source and a destination, "
            "e.g. COPY setup.sh /usr/local/bin/");
  EXPECT_EQ(ParseError("FROM scratch\nADD [\"a\"]\n"),
            "images/x/Dockerfile:2: ADD requires a source and a destination, "
            "e.g. ADD [\"src\", \"/dest/\"]");
  EXPECT_EQ(ParseError("FROM scratch\nENV PATH\n"),
            "images/x/Dockerfile:2: ENV PATH has no value: write ENV "
            "PATH=<value>");
  EXPECT_EQ(
      ParseError("FROM scratch\nLABEL a=1 b\n"),
      "images/x/Dockerfile:2: LABEL b has no value: write LABEL b=<value>");
  EXPECT_EQ(ParseError("FROM scratch\nARG =x\n"),
            "images/x/Dockerfile:2: ARG \"=x\" is not NAME or NAME=default");
  MustParse(
      "FROM scratch\nENV A=1 B=\"2 3\"\nENV C legacy form\nLABEL a=\"b c\"\n"
      "COPY [\"a\", \"/b\"]\nCOPY <<EOF /etc/x\nhi\nEOF\n");
}

TEST(ParseTest, InstructionBeforeFrom) {
  EXPECT_EQ(ParseError("ARG A=1\nRUN a\nFROM scratch\n"),
            "images/x/Dockerfile:2: RUN comes before the first FROM: only ARG "
            "may precede FROM");
}

TEST(ParseTest, NoFrom) {
  EXPECT_EQ(ParseError("# just a comment\n\n"),
            "images/x/Dockerfile: no FROM instruction: a Dockerfile starts its "
            "first build stage with FROM <image>");
}

TEST(ParseTest, FromSyntax) {
  EXPECT_EQ(ParseError("FROM a b\n"),
            "images/x/Dockerfile:1: FROM takes an image and optionally AS "
            "<stage name>, got \"a b\"");
  EXPECT_EQ(ParseError("FROM scratch AS 1st\n"),
            "images/x/Dockerfile:1: invalid stage name \"1st\": a stage name "
            "starts with a letter and holds letters, digits, -, _ and .");
  EXPECT_EQ(ParseError("FROM scratch AS a\nFROM scratch as A\n"),
            "images/x/Dockerfile:2: stage name \"a\" is already used on line "
            "1: rename one of them");
}

TEST(ParseTest, Onbuild) {
  MustParse("FROM scratch\nONBUILD RUN make\n");
  EXPECT_EQ(ParseError("FROM scratch\nONBUILD FROM x\n"),
            "images/x/Dockerfile:2: ONBUILD FROM is not allowed");
  EXPECT_EQ(ParseError("FROM scratch\nONBUILD BUILD x\n"),
            "images/x/Dockerfile:2: unknown instruction \"BUILD\" after "
            "ONBUILD");
}

TEST(ParseTest, Heredocs) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN <<EOF\n"
      "FROBNICATE this is not an instruction\n"
      "EOF\n"
      "COPY <<-\"END\" /etc/x\n"
      "\tline\n"
      "\tEND\n"
      "USER a\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "COPY", "USER"));
  ASSERT_EQ(d.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(d.instructions[1].heredocs[0].body,
            "FROBNICATE this is not an instruction\n");
  EXPECT_EQ(d.instructions[1].end_line, 4);
  EXPECT_EQ(d.instructions[2].heredocs[0].delimiter, "END");
  EXPECT_EQ(d.instructions[2].heredocs[0].body, "line\n");
  EXPECT_EQ(d.instructions[3].line, 8);
}

TEST(ParseTest, ShiftInShellIsNotAHeredoc) {
  Dockerfile d = MustParse("FROM scratch\nRUN echo $((1<<2))\nUSER a\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "USER"));
}

TEST(ParseTest, UnterminatedHeredoc) {
  EXPECT_EQ(ParseError("FROM scratch\nRUN <<EOF\necho\n"),
            "images/x/Dockerfile:2: here-document <<EOF is not terminated: "
            "end it with a line holding only EOF");
}

TEST(ParseTest, GlobalArgsAndStages) {
  Dockerfile d = MustParse(
      "ARG A=1 B=\"two words\"\n"
      "ARG C\n"
      "FROM scratch AS one\n"
      "ARG D=4\n"
      "FROM one\n");
  ASSERT_EQ(d.global_args.size(), 3u);
  EXPECT_EQ(d.global_args[0].name, "A");
  EXPECT_EQ(*d.global_args[0].default_value, "1");
  EXPECT_EQ(*d.global_args[1].default_value, "\"two words\"");
  EXPECT_FALSE(d.global_args[2].default_value.has_value());
  ASSERT_EQ(d.stages.size(), 2u);
  EXPECT_EQ(d.stages[1].base, "one");
  EXPECT_EQ(d.stages[1].line, 5);
}

}  // namespace
}  // namespace imagegraph
