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

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

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

ResolveOptions TreeOptions() {
  ResolveOptions options;
  options.registry = "registry.example";
  options.in_tree_names = {"base-build", "decision", "lint"};
  return options;
}

std::vector<ImageReference> MustResolve(const std::string& text,
                                        const ResolveOptions& options) {
  Dockerfile dockerfile = MustParse(text);
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveImageReferences(dockerfile, options);
  EXPECT_TRUE(refs.ok()) << refs.status();
  return refs.ok() ? *std::move(refs) : std::vector<ImageReference>();
}

std::string ResolveError(const std::string& text,
                         const ResolveOptions& options) {
  Dockerfile dockerfile = MustParse(text);
  absl::StatusOr<std::vector<ImageReference>> refs =
      ResolveImageReferences(dockerfile, options);
  EXPECT_FALSE(refs.ok()) << "resolved: " << text;
  return refs.ok() ? "" : std::string(refs.status().message());
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

TEST(ExpandWordTest, Forms) {
  absl::flat_hash_map<std::string, std::string> vars = {{"A", "x"},
                                                        {"EMPTY", ""}};
  EXPECT_EQ(*ExpandWord("$A", vars), "x");
  EXPECT_EQ(*ExpandWord("${A}y", vars), "xy");
  EXPECT_EQ(*ExpandWord("$A-$UNSET-", vars), "x--");
  EXPECT_EQ(*ExpandWord("${UNSET:-d}", vars), "d");
  EXPECT_EQ(*ExpandWord("${EMPTY:-d}", vars), "d");
  EXPECT_EQ(*ExpandWord("${EMPTY-d}", vars), "");
  EXPECT_EQ(*ExpandWord("${A:-d}", vars), "x");
  EXPECT_EQ(*ExpandWord("${A:+alt}", vars), "alt");
  EXPECT_EQ(*ExpandWord("${EMPTY:+alt}", vars), "");
  EXPECT_EQ(*ExpandWord("${EMPTY+alt}", vars), "alt");
  EXPECT_EQ(*ExpandWord("${UNSET:-${A}z}", vars), "xz");
  EXPECT_EQ(*ExpandWord("'$A'\"$A\"\\$A", vars), "$Ax$A");
  EXPECT_EQ(*ExpandWord("a$", vars), "a$");
  EXPECT_EQ(*ExpandWord("`$A", vars, '`'), "$A");
}

TEST(ExpandWordTest, Errors) {
  absl::flat_hash_map<std::string, std::string> vars;
  EXPECT_EQ(ExpandWord("${A", vars).status().message(), "missing '}' in ${A");
  EXPECT_EQ(ExpandWord("${A:-x", vars).status().message(),
            "missing '}' in ${A:-x");
  EXPECT_EQ(ExpandWord("'a", vars).status().message(),
            "unterminated single quote in 'a");
  EXPECT_EQ(ExpandWord("\"a", vars).status().message(),
            "unterminated double quote in \"a");
  EXPECT_EQ(ExpandWord("${A:?needs A}", vars).status().message(), "A: needs A");
  EXPECT_THAT(ExpandWord("${A#x}", vars).status().message(),
              HasSubstr("unsupported substitution in ${A#x}"));
  EXPECT_THAT(ExpandWord("${}", vars).status().message(),
              HasSubstr("bad substitution"));
}

TEST(ResolveTest, Scratch) {
  std::vector<ImageReference> refs =
      MustResolve("FROM scratch\n", TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kScratch);
  EXPECT_EQ(refs[0].line, 1);
  EXPECT_FALSE(refs[0].from_copy);
}

TEST(ResolveTest, ParentArgBothSpellings) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "base-build";
  for (const char* text :
       {"ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n",
        "ARG DOCKER_IMAGE_PARENT\nFROM ${DOCKER_IMAGE_PARENT}\n"}) {
    std::vector<ImageReference> refs = MustResolve(text, options);
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].kind, ImageReference::Kind::kParentArg);
    EXPECT_EQ(refs[0].in_tree_name, "base-build");
    EXPECT_EQ(refs[0].line, 2);
  }
}

TEST(ResolveTest, ParentArgWithoutDeclaredParent) {
  EXPECT_EQ(ResolveError("ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: FROM $DOCKER_IMAGE_PARENT but the image "
            "declares no parent: set parent: in kind.yml (or parents on the "
            "docker_image target)");
}

TEST(ResolveTest, DeclaredParentMustBeInTree) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "nope";
  EXPECT_EQ(ResolveError("FROM $DOCKER_IMAGE_PARENT\n", options),
            "images/x/Dockerfile: the declared parent \"nope\" is not an image "
            "folder of the tree: name one of its folders");
}

TEST(ResolveTest, InTreeBareAndWithRegistry) {
  std::vector<ImageReference> refs = MustResolve(
      "FROM base-build\n"
      "FROM registry.example/decision:1.2 AS d\n"
      "FROM registry.example/lint\n",
      TreeOptions());
  ASSERT_EQ(refs.size(), 3u);
  for (const ImageReference& ref : refs) {
    EXPECT_EQ(ref.kind, ImageReference::Kind::kInTree) << ref.written;
  }
  EXPECT_EQ(refs[0].in_tree_name, "base-build");
  EXPECT_EQ(refs[1].in_tree_name, "decision");
  EXPECT_EQ(refs[1].written, "registry.example/decision:1.2");
  EXPECT_EQ(refs[2].in_tree_name, "lint");
}

TEST(ResolveTest, InTreeWithTheImagesOwnRegistry) {
  ResolveOptions options = TreeOptions();
  options.in_tree_registries["lint"] = "other.example/ns";
  std::vector<ImageReference> refs =
      MustResolve("FROM other.example/ns/lint:3\n", options);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[0].in_tree_name, "lint");
}

TEST(ResolveTest, InTreeNameUnderAnotherRegistryIsNotInTree) {
  EXPECT_THAT(ResolveError("FROM elsewhere.example/lint:3\n", TreeOptions()),
              HasSubstr("FROM elsewhere.example/lint:3 is not pinned"));
}

TEST(ResolveTest, PinnedExternal) {
  std::vector<ImageReference> refs = MustResolve(
      std::string("FROM debian:bookworm@") + kDigest + "\n", TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kPinned);
  EXPECT_EQ(refs[0].pinned, std::string("debian:bookworm@") + kDigest);
}

TEST(ResolveTest, InvalidDigest) {
  EXPECT_EQ(ResolveError("FROM debian@sha256:abc\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM debian@sha256:abc has an invalid "
            "digest \"sha256:abc\": expected @sha256:<64 lowercase hex "
            "digits>");
}

TEST(ResolveTest, UnpinnedExternal) {
  EXPECT_EQ(ResolveError("# c\n\nFROM debian:bookworm\n", TreeOptions()),
            "images/x/Dockerfile:3: FROM debian:bookworm is not pinned: use "
            "debian:bookworm@sha256:<digest> (skopeo inspect "
            "docker://debian:bookworm prints it), or name an in-tree image "
            "folder");
}

TEST(ResolveTest, UnpinnedInTreeNameWithTagSaysHowToNameIt) {
  EXPECT_EQ(ResolveError("FROM lint:1\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM lint:1 is not pinned: use "
            "lint:1@sha256:<digest> (skopeo inspect docker://lint:1 prints "
            "it), or name an in-tree image folder (lint is one: write lint or "
            "registry.example/lint:<tag>)");
}

TEST(ResolveTest, PreviousStage) {
  std::vector<ImageReference> refs = MustResolve(
      "FROM base-build AS Builder\n"
      "RUN make\n"
      "FROM builder\n"
      "COPY --from=BUILDER /a /a\n"
      "COPY --from=0 /b /b\n",
      TreeOptions());
  ASSERT_EQ(refs.size(), 4u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kStage);
  EXPECT_EQ(refs[2].kind, ImageReference::Kind::kStage);
  EXPECT_TRUE(refs[2].from_copy);
  EXPECT_EQ(refs[2].line, 4);
  EXPECT_EQ(refs[3].kind, ImageReference::Kind::kStage);
}

TEST(ResolveTest, StageNamedAfterAnImageFolderIsTheStage) {
  std::vector<ImageReference> refs =
      MustResolve("FROM scratch AS lint\nFROM lint\n", TreeOptions());
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kStage);
}

TEST(ResolveTest, LaterStageIsAnError) {
  EXPECT_EQ(ResolveError("FROM scratch\nCOPY --from=later /a /a\n"
                         "FROM scratch AS later\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: COPY --from=later names stage \"later\" "
            "which is not defined before this stage: move it above (line 3)");
  EXPECT_EQ(ResolveError("FROM scratch\nCOPY --from=1 /a /a\nFROM scratch\n",
                         TreeOptions()),
            "images/x/Dockerfile:2: COPY --from=1 names stage index 1, which "
            "is not defined before this stage: use the index of an earlier "
            "stage (the first is 0)");
}

TEST(ResolveTest, CopyFromImages) {
  std::vector<ImageReference> refs =
      MustResolve(std::string("FROM scratch\n"
                              "COPY --from=lint /a /a\n"
                              "COPY --from=busybox@") +
                      kDigest + " /bin/busybox /bin/\n",
                  TreeOptions());
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[1].in_tree_name, "lint");
  EXPECT_TRUE(refs[1].from_copy);
  EXPECT_EQ(refs[2].kind, ImageReference::Kind::kPinned);
}

TEST(ResolveTest, CopyFromUnpinned) {
  EXPECT_EQ(
      ResolveError("FROM scratch\nCOPY --from=busybox /a /a\n", TreeOptions()),
      "images/x/Dockerfile:2: COPY --from=busybox is not pinned: use "
      "busybox@sha256:<digest> (skopeo inspect docker://busybox prints "
      "it), or name an in-tree image folder");
}

TEST(ResolveTest, ArgDefaultsAndBuildArgOverrides) {
  const std::string text =
      "ARG REG=registry.example\n"
      "ARG BASE=${REG}/base-build:1\n"
      "FROM $BASE\n";
  std::vector<ImageReference> refs = MustResolve(text, TreeOptions());
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[0].written, "registry.example/base-build:1");
  EXPECT_EQ(refs[0].in_tree_name, "base-build");

  ResolveOptions options = TreeOptions();
  options.build_args["BASE"] = "lint";
  refs = MustResolve(text, options);
  EXPECT_EQ(refs[0].in_tree_name, "lint");
}

TEST(ResolveTest, ColonDashAndColonPlusInFrom) {
  ResolveOptions options = TreeOptions();
  std::vector<ImageReference> refs = MustResolve(
      "ARG FLAVOR\nARG BASE\nFROM ${BASE:-decision}\nFROM "
      "lint${FLAVOR:+-$FLAVOR}\n",
      options);
  EXPECT_EQ(refs[0].in_tree_name, "decision");
  EXPECT_EQ(refs[1].in_tree_name, "lint");
  options.build_args["FLAVOR"] = "x";
  EXPECT_THAT(
      ResolveError("ARG FLAVOR\nFROM lint${FLAVOR:+-$FLAVOR}\n", options),
      HasSubstr("FROM lint-x (written lint${FLAVOR:+-$FLAVOR}) is not "
                "pinned"));
}

TEST(ResolveTest, ArgAfterFromIsNotGlobal) {
  EXPECT_EQ(
      ResolveError("FROM scratch\nARG BASE=lint\nFROM $BASE\n", TreeOptions()),
      "images/x/Dockerfile:3: FROM $BASE expands to an empty image name: "
      "declare it with ARG NAME=<image> before the first FROM or pass it "
      "as a build argument");
}

TEST(ResolveTest, CopyFromUsesStageArgs) {
  std::vector<ImageReference> refs = MustResolve(
      "ARG SRC=lint\n"
      "FROM scratch\n"
      "ARG SRC\n"
      "COPY --from=$SRC /a /a\n",
      TreeOptions());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[1].kind, ImageReference::Kind::kInTree);
  EXPECT_EQ(refs[1].in_tree_name, "lint");
}

TEST(ResolveTest, BadExpansionNamesTheLine) {
  EXPECT_EQ(ResolveError("FROM ${BASE\n", TreeOptions()),
            "images/x/Dockerfile:1: FROM ${BASE: missing '}' in ${BASE");
}

TEST(ResolveTest, PinnedDigestsOfImagesNotBuiltHere) {
  ResolveOptions options = TreeOptions();
  options.in_tree_names.erase("lint");
  options.pinned_digests["lint"] = kDigest;
  std::vector<ImageReference> refs =
      MustResolve("FROM registry.example/lint:1.0\nFROM lint\n", options);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kPinned);
  EXPECT_EQ(refs[0].pinned, std::string("registry.example/lint@") + kDigest);
  EXPECT_EQ(refs[1].pinned, std::string("registry.example/lint@") + kDigest);
}

TEST(ResolveTest, PlatformFlagDoesNotChangeResolution) {
  std::vector<ImageReference> refs =
      MustResolve("FROM --platform=linux/amd64 lint AS l\n", TreeOptions());
  EXPECT_EQ(refs[0].kind, ImageReference::Kind::kInTree);
}

TEST(InTreeParentsTest, FirstNamedOrderDeduplicated) {
  ResolveOptions options = TreeOptions();
  absl::StatusOr<std::vector<std::string>> parents =
      InTreeParents(MustParse("FROM lint AS a\n"
                              "COPY --from=base-build /x /x\n"
                              "FROM registry.example/lint:2\n"
                              "COPY --from=decision /y /y\n"
                              "COPY --from=a /z /z\n"),
                    options);
  ASSERT_TRUE(parents.ok()) << parents.status();
  EXPECT_THAT(*parents, ElementsAre("lint", "base-build", "decision"));
}

TEST(RewriteTest, ReplacesOnlyInTreeReferences) {
  ResolveOptions options = TreeOptions();
  options.docker_image_parent = "base-build";
  const std::string text =
      "# syntax=docker/dockerfile:1\n"
      "ARG DOCKER_IMAGE_PARENT\n"
      "FROM $DOCKER_IMAGE_PARENT AS build\n"
      "COPY --from=registry.example/lint:1 /a /a\n"
      "FROM scratch\n"
      "COPY --from=build /b /b\n"
      "COPY --from=lint   /c /c\n";
  absl::StatusOr<std::string> rewritten =
      RewriteInTreeReferences(MustParse(text), options,
                              {{"base-build", "localhost/base-build:abc"},
                               {"lint", "localhost/lint:def"}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten,
            "# syntax=docker/dockerfile:1\n"
            "ARG DOCKER_IMAGE_PARENT\n"
            "FROM localhost/base-build:abc AS build\n"
            "COPY --from=localhost/lint:def /a /a\n"
            "FROM scratch\n"
            "COPY --from=build /b /b\n"
            "COPY --from=localhost/lint:def   /c /c\n");
}

TEST(RewriteTest, AcrossAContinuationOfOtherWords) {
  absl::StatusOr<std::string> rewritten =
      RewriteInTreeReferences(MustParse("FROM \\\n  lint \\\n  AS x\n"),
                              TreeOptions(), {{"lint", "local/lint"}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, "FROM \\\n  local/lint \\\n  AS x\n");
}

TEST(RewriteTest, MissingLocalReference) {
  absl::StatusOr<std::string> rewritten =
      RewriteInTreeReferences(MustParse("FROM scratch\nFROM lint\n"),
                              TreeOptions(), {{"decision", "x"}});
  EXPECT_EQ(rewritten.status().message(),
            "images/x/Dockerfile:2: no local reference for in-tree image "
            "\"lint\": add it to the image's parents");
}

TEST(RewriteTest, ReferenceSplitByAContinuation) {
  absl::StatusOr<std::string> rewritten = RewriteInTreeReferences(
      MustParse("FROM li\\\nnt\n"), TreeOptions(), {{"lint", "x"}});
  EXPECT_EQ(rewritten.status().message(),
            "images/x/Dockerfile:1: cannot rewrite lint: the reference is "
            "split by a line continuation; write it on one line");
}

TEST(CheckAcyclicTest, AcyclicGraph) {
  EXPECT_TRUE(CheckAcyclic({{"a", {"b", "c"}}, {"b", {"c"}}, {"c", {}}}).ok());
  EXPECT_TRUE(CheckAcyclic({{"a", {"external"}}}).ok());
}

TEST(CheckAcyclicTest, NamesTheCycle) {
  absl::Status status =
      CheckAcyclic({{"b", {"c"}}, {"c", {"a"}}, {"a", {"b"}}, {"0", {"b"}}});
  EXPECT_EQ(status.message(),
            "the image graph has a cycle: a -> b -> c -> a (each image names "
            "the next in FROM or COPY --from); remove one of these references");
  EXPECT_EQ(CheckAcyclic({{"x", {"x"}}}).message(),
            "the image graph has a cycle: x -> x (each image names the next in "
            "FROM or COPY --from); remove one of these references");
}

}  // namespace
}  // namespace imagegraph
