#include "tools/dockerfile/dockerfile.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/dockerfile/platform.h"

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

TEST(ParseTest, IncludesAreReadAsTaskgraphReadsThem) {
  // Line by line, a here-document's body included; a `#` elsewhere on a
  // line starts no directive; the path is kept as written.
  Dockerfile d = MustParse(
      "FROM scratch\r\n"
      "RUN <<EOF\n"
      "# %include images/recipes/in-heredoc.sh\n"
      "EOF\n"
      "RUN true # %include not/at/start\n"
      "#%include  ./tools//x/ \r\n");
  ASSERT_EQ(d.includes.size(), 2u);
  EXPECT_EQ(d.includes[0].line, 3);
  EXPECT_EQ(d.includes[0].path, "images/recipes/in-heredoc.sh");
  EXPECT_EQ(d.includes[1].line, 6);
  EXPECT_EQ(d.includes[1].path, "./tools//x/");
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
  EXPECT_EQ(ParseError("FROM scratch\n\n# %include a/..\n"),
            "images/x/Dockerfile:3: # %include a/.. names the whole "
            "repository: include a file or folder in it");
  EXPECT_EQ(ParseError("FROM scratch\nRUN <<EOF\n# %include /etc\nEOF\n"),
            "images/x/Dockerfile:3: # %include /etc is absolute: write the "
            "path relative to the repository root");
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
            "--chown, --from, --chmod, --link, --parents, --exclude)");
}

TEST(ParseTest, RepeatedFlag) {
  EXPECT_EQ(ParseError("FROM scratch\nCOPY --from=a --from=b /a /b\n"),
            "images/x/Dockerfile:2: flag --from is given twice to COPY: keep "
            "one");
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
  EXPECT_EQ(ParseError("FROM scratch\nEXPOSE\n"),
            "images/x/Dockerfile:2: EXPOSE requires at least one argument");
  EXPECT_EQ(ParseError("FROM scratch\nUSER\n"),
            "images/x/Dockerfile:2: USER requires exactly one argument");
  // WORKDIR, USER... take the rest of the line as their one argument.
  EXPECT_EQ(MustParse("FROM scratch\nWORKDIR /a /b\n").instructions[1].rest,
            "/a /b");
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
  EXPECT_EQ(ParseError("FROM scratch\nLABEL a=1 b\n"),
            "images/x/Dockerfile:2: LABEL b has no value: write LABEL "
            "b=<value> (once a LABEL word has `=`, every word needs one)");
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
            "images/x/Dockerfile: no instructions: a Dockerfile starts its "
            "first build stage with FROM <image>");
  EXPECT_EQ(ParseError("ARG A=1\n"),
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
  // BuildKit accepts a stage name given twice.
  Dockerfile d = MustParse("FROM scratch AS a\nFROM scratch as A\n");
  EXPECT_EQ(d.stages[1].name, "a");
}

TEST(ParseTest, Onbuild) {
  Dockerfile d = MustParse("FROM scratch\nONBUILD RUN make\n");
  EXPECT_EQ(d.instructions[1].trigger, "RUN");
  EXPECT_EQ(ParseError("FROM scratch\nONBUILD FROM x\n"),
            "images/x/Dockerfile:2: ONBUILD FROM is not allowed");
  EXPECT_EQ(ParseError("FROM scratch\nONBUILD onbuild RUN x\n"),
            "images/x/Dockerfile:2: ONBUILD ONBUILD is not allowed: register "
            "the instruction itself");
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

// ---- Rules where BuildKit's reading differs from a naive one ----

std::vector<ReferenceUse> MustExpand(
    const std::string& text,
    const absl::flat_hash_map<std::string, std::string>& build_args = {}) {
  Dockerfile d = MustParse(text);
  absl::StatusOr<std::vector<ReferenceUse>> uses =
      ExpandReferences(d, build_args);
  EXPECT_TRUE(uses.ok()) << uses.status();
  return uses.ok() ? *std::move(uses) : std::vector<ReferenceUse>();
}

std::string ExpandError(const std::string& text) {
  absl::StatusOr<Dockerfile> d = ParseDockerfile("images/x/Dockerfile", text);
  EXPECT_TRUE(d.ok()) << d.status();
  if (!d.ok()) return "";
  absl::StatusOr<std::vector<ReferenceUse>> uses = ExpandReferences(*d, {});
  EXPECT_FALSE(uses.ok());
  return uses.ok() ? "" : std::string(uses.status().message());
}

TEST(ContinuationRule, EscapedEscapeIsNotAContinuation) {
  // `C:\\` ends with an escaped backslash: the next line stands alone.
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN echo C:\\\\\n"
      "FROM a AS b\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "FROM"));
  ASSERT_EQ(d.stages.size(), 2u);
  EXPECT_EQ(d.stages[1].name, "b");
  EXPECT_EQ(d.instructions[1].end_line, 2);
  // Under `# escape=`` the same holds for ``.
  Dockerfile tick = MustParse("# escape=`\nFROM scratch\nRUN dir ``\nUSER a\n");
  EXPECT_THAT(Keywords(tick), ElementsAre("FROM", "RUN", "USER"));
}

TEST(ContinuationRule, ContinuationKeepsLeadingBlanksAndSkipsComments) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN echo a \\\n"
      "    b\\\n"
      "# c\n"
      "d\n");
  EXPECT_EQ(d.instructions[1].arguments, "echo a     bd");
  EXPECT_EQ(d.instructions[1].end_line, 5);
}

TEST(CopyFromVariableRule, IsRefusedWithBuildKitsReason) {
  EXPECT_EQ(ExpandError("ARG SRC=build\nFROM scratch\nCOPY --from=$SRC . .\n"),
            "images/x/Dockerfile:3: COPY --from=$SRC: BuildKit does not expand "
            "variables in --from: define a stage FROM <image> AS <name> (its "
            "ARGs declared before the first FROM) and use its name");
  EXPECT_THAT(ExpandError("FROM scratch\nCOPY --from=${SRC:-x} . .\n"),
              HasSubstr("BuildKit does not expand variables in --from"));
}

TEST(BuiltinPlatformArgsRule, DefaultToThisMachinesPlatform) {
  const Platform host = HostPlatform();
  std::vector<ReferenceUse> uses = MustExpand(
      "FROM golang:1.22-${TARGETARCH}\n"
      "FROM --platform=$BUILDPLATFORM busybox:${BUILDOS}-${TARGETPLATFORM}\n");
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].expanded, absl::StrCat("golang:1.22-", host.architecture));
  EXPECT_EQ(uses[1].expanded,
            absl::StrCat("busybox:", host.os, "-", host.ToString()));
  EXPECT_EQ(BuiltinPlatformArgs().at("TARGETVARIANT"), host.variant);
  // A build argument overrides one.
  EXPECT_EQ(
      MustExpand("FROM golang:${TARGETARCH}\n", {{"TARGETARCH", "arm64"}})[0]
          .expanded,
      "golang:arm64");
}

TEST(HeredocRule, SpaceAfterOperatorIsAHeredoc) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN << EOF\n"
      "BODY is not an instruction\n"
      "EOF\n"
      "USER a\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "USER"));
  ASSERT_EQ(d.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(d.instructions[1].heredocs[0].delimiter, "EOF");
  EXPECT_EQ(d.instructions[1].end_line, 4);
}

TEST(HeredocRule, DashThenSpaceIsNotAHeredoc) {
  // `<<- EOF` is two words for BuildKit: `<<-` and `EOF`.
  Dockerfile d = MustParse("FROM scratch\nRUN <<- EOF\nUSER a\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "USER"));
  EXPECT_TRUE(d.instructions[1].heredocs.empty());
  // `<< -EOF` is a heredoc whose delimiter is `-EOF`.
  EXPECT_EQ(ParseError("FROM scratch\nRUN << -EOF\nEOF\n"),
            "images/x/Dockerfile:2: here-document <<-EOF is not terminated: "
            "end it with a line holding only -EOF");
}

TEST(HeredocRule, QuotedWordsAndOtherInstructionsAreNotHeredocs) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "RUN \"<<NOHEREDOC\"\n"
      "RUN [\"<<EOF\"]\n"
      "RUN cat<<EOF\n"
      "USER a\n");
  EXPECT_THAT(Keywords(d), ElementsAre("FROM", "RUN", "RUN", "RUN", "USER"));
}

TEST(HeredocRule, HeredocAsDestinationIsRefused) {
  EXPECT_EQ(ParseError("FROM scratch\nCOPY a <<EOF\nx\nEOF\n"),
            "images/x/Dockerfile:2: COPY cannot take a here-document as its "
            "destination: put the destination path last");
}

TEST(LegacyFormsRule, AcceptedAsDockerAcceptsThem) {
  Dockerfile d = MustParse(
      "FROM scratch\n"
      "LABEL maintainer Jane Doe <jane@example.com>\n"
      "CMD\n"
      "ENTRYPOINT\n"
      "ADD --unpack=true a.tar /\n"
      "COPY -- --odd-name /dst/\n"
      "RUN --device=vendor1.com/device=foo --device=vendor2.com/device=bar "
      "true\n"
      "ONBUILD ANYTHING goes here\n"
      "ONBUILD ADD . /src\n"
      "RUN a\fb\vc\r\n"
      "ENV GOPATH /go\n");
  EXPECT_THAT(Keywords(d),
              ElementsAre("FROM", "LABEL", "CMD", "ENTRYPOINT", "ADD", "COPY",
                          "RUN", "ONBUILD", "ONBUILD", "RUN", "ENV"));
  EXPECT_EQ(d.instructions[5].rest, "--odd-name /dst/");
  EXPECT_EQ(d.instructions[6].FindFlags("device").size(), 2u);
  EXPECT_EQ(d.instructions[7].trigger, "ANYTHING");
  EXPECT_EQ(d.instructions[9].arguments, "a\fb\vc");
}

TEST(RefusalsRule, RefusedAsDockerRefusesThem) {
  EXPECT_EQ(ParseError("FROM scratch\nADD --chown a /b\n"),
            "images/x/Dockerfile:2: flag --chown needs a value: write "
            "--chown=<value>");
  EXPECT_EQ(ParseError("FROM scratch\nRUN --mount=from=$v,target=/x ls\n"),
            "images/x/Dockerfile:2: RUN --mount=from=$v,target=/x: BuildKit "
            "does not expand variables in a mount's from: define a stage FROM "
            "<image> AS <name> (its ARGs declared before the first FROM) and "
            "use its name");
  EXPECT_EQ(ParseError("FROM scratch\nCMD --doit=true echo\n"),
            "images/x/Dockerfile:2: unknown flag --doit for CMD (it takes no "
            "flags)");
  EXPECT_EQ(
      ParseError("FROM scratch\nMAINTAINER --boo me\n"),
      "images/x/Dockerfile:2: unknown flag --boo for MAINTAINER (it takes "
      "no flags)");
  const std::string long_line = "RUN echo " + std::string(65530, 'x');
  EXPECT_EQ(ParseError("FROM scratch\n" + long_line + "\n"),
            "images/x/Dockerfile:2: the line is 65539 bytes long; Docker "
            "refuses lines over 65535 bytes: split it with continuation lines "
            "or move the content into a file");
  MustParse("FROM scratch\n" + long_line.substr(0, 65535) + "\n");
  EXPECT_THAT(ParseError("FROM scratch\nCMD [\"a\", 1]\n"),
              HasSubstr("images/x/Dockerfile:2: a JSON array here must hold "
                        "only strings"));
}

TEST(DepthRule, DeepNestingIsAnErrorNotACrash) {
  // ${A:-${A:-...}} 20,000 deep, over continuation lines (a line may not
  // exceed 65,535 bytes).
  std::string text = "FROM \\\n";
  for (int i = 0; i < 20000; ++i) {
    text += "${A:-";
    if (i % 1000 == 999) text += "\\\n";
  }
  text += "x";
  for (int i = 0; i < 20000; ++i) {
    text += "}";
    if (i % 1000 == 999) text += "\\\n";
  }
  text += "\n";
  const std::string error = ExpandError(text);
  EXPECT_THAT(error, HasSubstr("images/x/Dockerfile:1: FROM ${A:-${A:-"));
  EXPECT_THAT(error, HasSubstr("nested more than 100 deep"));
  // Deep JSON and ONBUILD chains are read without recursion too.
  EXPECT_THAT(ParseError("FROM scratch\n" + std::string(20000, ' ') +
                         "ONBUILD ONBUILD ONBUILD RUN x\n"),
              HasSubstr("ONBUILD ONBUILD is not allowed"));
  MustParse("FROM scratch\nCMD " + std::string(20000, '[') + "\n");
}

TEST(StagesRule, ManyStagesAreLinear) {
  // 20,000 stages, each copying from the one before: correct references (the
  // speed is measured in bench/dockerfile, not here).
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&text, "FROM scratch AS s", i, "\n");
    if (i > 0) absl::StrAppend(&text, "COPY --from=s", i - 1, " /a /a\n");
  }
  std::vector<ReferenceUse> uses = MustExpand(text);
  ASSERT_EQ(uses.size(), 39999u);
  EXPECT_EQ(uses.back().target, ReferenceUse::Target::kStage);
  EXPECT_EQ(uses.back().stage_index, 19998);
}

TEST(RunMountFromRule, IsAReferenceLikeCopyFrom) {
  std::vector<ReferenceUse> uses = MustExpand(
      "FROM busybox AS build\n"
      "FROM scratch\n"
      "RUN --mount=type=bind,from=build,target=/b "
      "--mount=type=cache,target=/c --mount=from=tools/lint@sha256:" +
      std::string(64, 'a') + ",target=/l true\n");
  ASSERT_EQ(uses.size(), 4u);
  EXPECT_EQ(uses[2].source, ReferenceUse::Source::kRunMountFrom);
  EXPECT_EQ(uses[2].Instruction(), "RUN");
  EXPECT_TRUE(uses[2].from_copy);
  EXPECT_EQ(uses[2].target, ReferenceUse::Target::kStage);
  EXPECT_EQ(uses[2].stage_index, 0);
  EXPECT_EQ(uses[2].line, 3);
  EXPECT_EQ(uses[3].target, ReferenceUse::Target::kImage);
  EXPECT_EQ(uses[3].raw, "tools/lint@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(uses[3].Describe(),
            "RUN --mount=from=tools/lint@sha256:" + std::string(64, 'a'));
}

TEST(ReferencesRule, OffsetsPointAtTheWrittenReference) {
  const std::string text =
      "FROM busybox AS build\n"
      "FROM scratch\n"
      "COPY --from=build /a /a\n"
      "RUN --mount=type=bind,from=build,target=/b true\n";
  std::vector<ReferenceUse> uses = MustExpand(text);
  ASSERT_EQ(uses.size(), 4u);
  for (const ReferenceUse& use : uses) {
    ASSERT_NE(use.offset, std::string::npos) << use.Describe();
    EXPECT_EQ(text.substr(use.offset, use.length), use.raw) << use.Describe();
  }
}

TEST(ReferencesRule, StagesAsBuildKitResolvesThem) {
  std::vector<ReferenceUse> uses = MustExpand(
      "FROM scratch AS b\n"
      "FROM scratch AS b\n"
      "FROM B\n"
      "COPY --from=0 /a /a\n"
      "COPY --from= /a /a\n"
      "FROM later AS later\n");
  ASSERT_EQ(uses.size(), 5u);
  // A name given twice names the latest stage before.
  EXPECT_EQ(uses[2].stage_index, 1);
  EXPECT_EQ(uses[3].stage_index, 0);
  // A FROM that names its own (or a later) stage names an image.
  EXPECT_EQ(uses[4].target, ReferenceUse::Target::kImage);
  // `scratch` is exact: `SCRATCH` would be pulled.
  EXPECT_EQ(MustExpand("FROM SCRATCH\n")[0].target,
            ReferenceUse::Target::kImage);
  EXPECT_EQ(ExpandError("FROM scratch\nCOPY --from=1 /a /a\n"),
            "images/x/Dockerfile:2: COPY --from=1 names stage index 1, which "
            "is not defined before this stage: use the index of an earlier "
            "stage (the first is 0)");
}

TEST(ArgsRule, GlobalArgsAsBuildKitScopesThem) {
  std::vector<ReferenceUse> uses = MustExpand(
      "ARG A=one B=\"$A-two\"\n"
      "ARG TARGETARCH\n"
      "FROM img:${B}-${TARGETARCH:-unset}\n");
  // A global ARG without a value is set and empty, shadowing the built-in.
  EXPECT_EQ(uses[0].expanded, "img:one-two-unset");
  EXPECT_EQ(ExpandError("ARG FOO=${FOO:?\"custom error\"}\nFROM scratch\n"),
            "images/x/Dockerfile:1: ARG FOO=${FOO:?\"custom error\"}: FOO: "
            "custom error");
  // A build argument replaces the default, which is then not evaluated.
  EXPECT_EQ(MustExpand("ARG FOO=${FOO:?x}\nFROM img:$FOO\n", {{"FOO", "1"}})[0]
                .expanded,
            "img:1");
}

}  // namespace
}  // namespace imagegraph
