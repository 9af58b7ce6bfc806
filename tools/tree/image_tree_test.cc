#include "tools/tree/image_tree.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"

namespace imagegraph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class ImageTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ScopedTempDirectory> dir =
        ScopedTempDirectory::Create("image_tree_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
    Write("images/REGISTRY", "localhost:5000/t\n");
  }

  void Write(const std::string& path, const std::string& text) {
    std::filesystem::path full = std::filesystem::path(root()) / path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << text;
  }

  const std::string& root() const { return dir_->path(); }

  absl::StatusOr<ImageTree> Scan(const std::string& kind_yml = "") {
    ImageTreeOptions options;
    options.root = root();
    options.kind_yml = kind_yml;
    return ScanImageTree(options);
  }

  std::string ScanError(const std::string& kind_yml = "") {
    absl::StatusOr<ImageTree> tree = Scan(kind_yml);
    EXPECT_FALSE(tree.ok());
    return tree.ok() ? "" : std::string(tree.status().message());
  }

  std::optional<ScopedTempDirectory> dir_;
};

TEST_F(ImageTreeTest, FoldersWithADockerfileAreImages) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/recipes/x.sh", "x");
  Write("images/b/Dockerfile", "FROM a\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->images.size(), 2u);
  EXPECT_EQ(tree->images[0].name, "a");
  EXPECT_EQ(tree->images[0].folder, "images/a");
  EXPECT_EQ(tree->images[1].name, "b");
  EXPECT_THAT(tree->images[1].parents, ElementsAre("a"));
  EXPECT_EQ(tree->ImageLabel("b"), "//images:b");
  EXPECT_THAT(TopologicalOrder(*tree), ElementsAre("a", "b"));
}

TEST_F(ImageTreeTest, DockerignoreDropsFilesButNeverTheDockerfile) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/.dockerignore", "Dockerfile\n*.md\ncache\n!cache/keep\n");
  Write("images/a/README.md", "");
  Write("images/a/run.sh", "");
  Write("images/a/cache/drop", "");
  Write("images/a/cache/keep", "");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->images[0].files, ElementsAre(".dockerignore", "Dockerfile",
                                                 "cache/keep", "run.sh"));
}

TEST_F(ImageTreeTest, IncludesOfFilesAndDirectories) {
  Write("images/a/Dockerfile",
        "# %include images/recipes/one.sh\n"
        "# %include images/recipes/dir/\n"
        "# %include ./images/recipes/one.sh\n"
        "# %include tools/helper.py\n"
        "FROM scratch\n");
  Write("images/recipes/one.sh", "");
  Write("images/recipes/dir/b", "");
  Write("images/recipes/dir/sub/a", "");
  Write("tools/BUILD.bazel", "");
  Write("tools/helper.py", "");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  const TreeImage& a = tree->images[0];
  EXPECT_THAT(a.include_paths,
              ElementsAre("images/recipes/one.sh", "images/recipes/dir",
                          "tools/helper.py"));
  EXPECT_THAT(a.include_files,
              ElementsAre("images/recipes/dir/b", "images/recipes/dir/sub/a",
                          "images/recipes/one.sh", "tools/helper.py"));
}

TEST_F(ImageTreeTest, MissingInclude) {
  Write("images/a/Dockerfile",
        "FROM scratch\n# %include images/recipes/no.sh\n");
  EXPECT_EQ(ScanError(),
            "images/a/Dockerfile:2: # %include images/recipes/no.sh does not "
            "exist: fix the path (it is relative to the repository root)");
}

TEST_F(ImageTreeTest, FileLabelUsesTheNearestPackage) {
  Write("BUILD.bazel", "");
  Write("third/sub/BUILD", "");
  Write("third/sub/deep/f.txt", "");
  EXPECT_EQ(FileLabel(root(), "images", "images/recipes/x"), "recipes/x");
  EXPECT_EQ(FileLabel(root(), "images", "third/sub/deep/f.txt"),
            "//third/sub:deep/f.txt");
  EXPECT_EQ(FileLabel(root(), "images", "top.txt"), "//:top.txt");
}

TEST_F(ImageTreeTest, RegistryVersionHash) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/b/Dockerfile", "FROM other.example/ns/a:2\n");
  Write("images/a/REGISTRY", "other.example/ns\n");
  Write("images/a/VERSION", "1.2\n");
  Write("images/a/HASH", absl::StrCat(kDigest, "\n"));
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  const TreeImage& a = tree->images[0];
  EXPECT_EQ(a.registry_file, "a/REGISTRY");
  EXPECT_EQ(a.registry, "other.example/ns");
  EXPECT_EQ(a.version_file, "a/VERSION");
  EXPECT_EQ(a.version, "1.2");
  EXPECT_EQ(a.hash_file, "a/HASH");
  EXPECT_EQ(a.hash, kDigest);
  EXPECT_EQ(tree->images[1].registry_file, "REGISTRY");
  EXPECT_EQ(tree->images[1].registry, "localhost:5000/t");
  EXPECT_THAT(tree->images[1].parents, ElementsAre("a"));
}

TEST_F(ImageTreeTest, RegistryIsOptional) {
  std::filesystem::remove(std::filesystem::path(root()) / "images/REGISTRY");
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/b/Dockerfile", "FROM a\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->images[0].registry_file, "");
  EXPECT_EQ(tree->images[0].registry, "");
  EXPECT_THAT(tree->images[1].parents, ElementsAre("a"));
}

TEST_F(ImageTreeTest, BadHash) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/HASH", "abc\n");
  EXPECT_EQ(ScanError(),
            "images/a/HASH: \"abc\" is not a digest: write sha256:<64 "
            "lowercase hex digits>");
}

TEST_F(ImageTreeTest, HashOnlyFoldersArePinned) {
  Write("images/old/HASH", absl::StrCat(kDigest, "\n"));
  Write("images/a/Dockerfile", "FROM localhost:5000/t/old:3\n");
  // A HASH-only folder with its own REGISTRY: published there.
  Write("images/own/HASH", absl::StrCat(kDigest, "\n"));
  Write("images/own/REGISTRY", "own.example/x\n");
  Write("images/b/Dockerfile", "FROM scratch\nCOPY --from=own /o /o\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->pinned_digests.at("old"), kDigest);
  EXPECT_TRUE(tree->images[0].parents.empty());
  ASSERT_EQ(tree->images[0].references.size(), 1u);
  EXPECT_EQ(tree->images[0].references[0].pinned,
            absl::StrCat("localhost:5000/t/old@", kDigest));
  ASSERT_EQ(tree->images[1].references.size(), 2u);
  EXPECT_EQ(tree->images[1].references[1].kind, ImageReference::Kind::kPinned);
  EXPECT_EQ(tree->images[1].references[1].pinned,
            absl::StrCat("own.example/x/own@", kDigest));

  std::filesystem::remove(std::filesystem::path(root()) / "images/REGISTRY");
  EXPECT_EQ(ScanError(),
            "images/a/Dockerfile:1: FROM localhost:5000/t/old:3 is not "
            "pinned: use localhost:5000/t/old:3@sha256:<digest> (skopeo "
            "inspect docker://localhost:5000/t/old:3 prints it), or name an "
            "in-tree image folder");
  Write("images/a/Dockerfile", "FROM old\n");
  EXPECT_EQ(ScanError(),
            "images/a/Dockerfile:1: FROM old names old, which is pinned by "
            "its HASH file, but no REGISTRY says where it is published: add a "
            "REGISTRY file to its folder or to the tree");
}

TEST_F(ImageTreeTest, BuildArgsFile) {
  Write("images/a/Dockerfile", "FROM scratch\n# %ARG B\n");
  Write("images/a/build-args", "# comment\nB=2\n\nA = x\nC=with=equals\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().message(),
            "images/a/build-args:4: \"A = x\" is not NAME=value");
  Write("images/a/build-args", "# comment\nB=2\n\nA=x y\nC=with=equals\n");
  tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(
      tree->images[0].build_args,
      ElementsAre(Pair("A", "x y"), Pair("B", "2"), Pair("C", "with=equals")));
}

TEST_F(ImageTreeTest, ExtraFilesFile) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/extra-files",
        "# Bazel-built files placed into the context.\n"
        "//images:rootfs rootfs.tar\n"
        "\n"
        "@tools//bin:x  bin/x\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->images[0].extra_files,
              ElementsAre(Pair("//images:rootfs", "rootfs.tar"),
                          Pair("@tools//bin:x", "bin/x")));
}

TEST_F(ImageTreeTest, ExtraFilesErrors) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/extra-files", "rootfs.tar\n");
  EXPECT_EQ(ScanError(),
            "images/a/extra-files:1: \"rootfs.tar\" is not LABEL PATH (e.g. "
            "//images:bookworm_rootfs rootfs.tar)");
  Write("images/a/extra-files", "//x:y ../escape\n");
  EXPECT_EQ(ScanError(),
            "images/a/extra-files:1: ../escape must be a clean path inside the "
            "image folder (no leading /, . or ..)");
  Write("images/a/extra-files", "//x:y a\n//x:z a\n");
  EXPECT_EQ(
      ScanError(),
      "images/a/extra-files:2: //x:z or a is listed twice: keep one line");
}

TEST_F(ImageTreeTest, BuildArgsFileRepeatedName) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/build-args", "A=1\nA=2\n");
  EXPECT_EQ(ScanError(),
            "images/a/build-args:2: A is set twice: keep one line");
}

TEST_F(ImageTreeTest, PercentArgWithoutValue) {
  Write("images/a/Dockerfile", "FROM scratch\n# %ARG ARCH\n");
  EXPECT_EQ(ScanError(),
            "images/a/Dockerfile:2: # %ARG ARCH has no value: add a line "
            "ARCH=<value> to images/a/build-args");
}

TEST_F(ImageTreeTest, IncludesAreReadAfterPercentArg) {
  // As taskgraph reads them, and as ctxhash does (context_hash_test).
  Write("images/a/Dockerfile",
        "FROM scratch\n# %ARG FLAVOUR\n# %include lib/$FLAVOUR.sh\n");
  Write("images/a/build-args", "FLAVOUR=fast\n");
  Write("lib/fast.sh", "f\n");
  Write("lib/slow.sh", "s\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->Find("a")->include_paths, ElementsAre("lib/fast.sh"));
}

TEST_F(ImageTreeTest, IncludesInAHereDocumentCount) {
  // taskgraph reads # %include lines anywhere, and so does ctxhash
  // (context_hash_test): the generator lists the file as an input.
  Write("images/a/Dockerfile",
        "FROM scratch\nRUN <<EOF\n# %include lib/in-heredoc.sh\nEOF\n");
  Write("lib/in-heredoc.sh", "h\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->Find("a")->include_paths, ElementsAre("lib/in-heredoc.sh"));
}

TEST_F(ImageTreeTest, BuildArgsDecideFrom) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/b/Dockerfile", "FROM scratch\n");
  Write("images/c/Dockerfile", "ARG BASE=a\nFROM $BASE\n");
  Write("images/c/build-args", "BASE=b\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->Find("c")->parents, ElementsAre("b"));
}

TEST_F(ImageTreeTest, KindYmlGivesParentsAndArgs) {
  Write("images/base/Dockerfile", "FROM scratch\n");
  Write("images/tool/Dockerfile",
        "ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n# %ARG ARCH\n");
  Write("images/quiet/Dockerfile", "FROM scratch\n");
  Write("kinds/kind.yml",
        "loader: x\n"
        "tasks:\n"
        "  base:\n"
        "    symbol: I(b)\n"
        "  tool:\n"
        "    parent: base\n"
        "    args:\n"
        "      ARCH: amd64\n"
        "      N: 14\n"
        "  quiet:\n"
        "    parent: tool\n");
  absl::StatusOr<ImageTree> tree = Scan("kinds/kind.yml");
  ASSERT_TRUE(tree.ok()) << tree.status();
  const TreeImage* tool = tree->Find("tool");
  EXPECT_THAT(tool->parents, ElementsAre("base"));
  EXPECT_THAT(tool->build_args,
              ElementsAre(Pair("ARCH", "amd64"), Pair("N", "14")));
  // A declared parent that the Dockerfile does not name is still a parent,
  // as taskgraph makes it a dependency; the scan says so.
  EXPECT_THAT(tree->Find("quiet")->parents, ElementsAre("tool"));
  EXPECT_THAT(tree->warnings,
              ElementsAre("images/quiet/Dockerfile: task quiet has parent: "
                          "tool but the Dockerfile never uses "
                          "$DOCKER_IMAGE_PARENT: tool stays a parent (built "
                          "first, and a change to it rebuilds quiet, as in "
                          "taskgraph)"));
  EXPECT_THAT(TopologicalOrder(*tree), ElementsAre("base", "tool", "quiet"));
}

TEST_F(ImageTreeTest, DefinitionBuildsOneFolderAsSeveralImages) {
  Write("taskcluster/docker/raw/Dockerfile",
        "# %ARG BASE_IMAGE\n"
        "FROM $BASE_IMAGE\n"
        "# %ARG TOOLS\n"
        "COPY --from=tools.example/uv:$TOOLS@" +
            std::string(kDigest) +
            " /uv /uv\n"
            "# %include-run-task\n");
  Write("taskcluster/docker/raw/VERSION", "3\n");
  Write("taskcluster/docker/base/Dockerfile",
        "# %ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n");
  Write("taskcluster/docker/unused/Dockerfile", "FROM scratch\n");
  Write("taskcluster/docker/RUN_TASK", "vendor/run-task\n");
  for (const char* file :
       {"run-task", "fetch-content", "hgrc", "robustcheckout.py"}) {
    Write(absl::StrCat("vendor/run-task/", file), "x");
  }
  Write("taskcluster/kinds/docker-image/kind.yml",
        absl::StrCat("tasks:\n"
                     "  raw-12:\n"
                     "    definition: raw\n"
                     "    args:\n"
                     "      BASE_IMAGE: os.example/os@",
                     kDigest,
                     "\n"
                     "      TOOLS: '1'\n"
                     "  raw-13:\n"
                     "    definition: raw\n"
                     "    args:\n"
                     "      BASE_IMAGE: os.example/os13@",
                     kDigest,
                     "\n"
                     "      TOOLS: '2'\n"
                     "  base:\n"
                     "    parent: raw-13\n"));
  ImageTreeOptions options;
  options.root = root();
  options.images_dir = "taskcluster/docker";
  absl::StatusOr<ImageTree> tree = ScanImageTree(options);
  ASSERT_TRUE(tree.ok()) << tree.status();
  // The kind.yml is found where taskgraph keeps it.
  EXPECT_EQ(tree->kind_yml, "taskcluster/kinds/docker-image/kind.yml");
  ASSERT_EQ(tree->images.size(), 3u);
  const TreeImage* raw12 = tree->Find("raw-12");
  const TreeImage* raw13 = tree->Find("raw-13");
  EXPECT_EQ(raw12->folder, "taskcluster/docker/raw");
  EXPECT_EQ(raw12->folder_name, "raw");
  EXPECT_EQ(raw13->folder, "taskcluster/docker/raw");
  EXPECT_EQ(raw12->version_file, "raw/VERSION");
  // # %ARG is text: the references differ by task.
  ASSERT_EQ(raw12->references.size(), 2u);
  EXPECT_EQ(raw12->references[0].pinned,
            absl::StrCat("os.example/os@", kDigest));
  EXPECT_EQ(raw12->references[1].pinned,
            absl::StrCat("tools.example/uv:1@", kDigest));
  EXPECT_EQ(raw13->references[1].pinned,
            absl::StrCat("tools.example/uv:2@", kDigest));
  EXPECT_TRUE(raw12->run_task);
  EXPECT_EQ(tree->run_task_dir, "vendor/run-task");
  EXPECT_THAT(
      tree->run_task_files,
      ElementsAre("vendor/run-task/fetch-content", "vendor/run-task/hgrc",
                  "vendor/run-task/robustcheckout.py",
                  "vendor/run-task/run-task"));
  // # %ARG DOCKER_IMAGE_PARENT is the parent: taskgraph sets it.
  EXPECT_THAT(tree->Find("base")->parents, ElementsAre("raw-13"));
  EXPECT_EQ(tree->Find("base")->references[0].kind,
            ImageReference::Kind::kParentArg);
  EXPECT_THAT(tree->warnings,
              ElementsAre("taskcluster/kinds/docker-image/kind.yml: no task "
                          "uses taskcluster/docker/unused: it is not built "
                          "(taskgraph builds only the folders its tasks "
                          "name)"));
}

TEST_F(ImageTreeTest, RunTaskNeedsItsDirectory) {
  Write("images/a/Dockerfile", "FROM scratch\n# %include-run-task\n");
  EXPECT_EQ(ScanError(),
            "images/a/Dockerfile:2: # %include-run-task adds taskgraph's "
            "run-task files (fetch-content, hgrc, robustcheckout.py, "
            "run-task), but images/RUN_TASK does not say where they are: "
            "write into it the directory that holds them, relative to the "
            "repository root");
  Write("images/RUN_TASK", "vendor/rt\n");
  Write("vendor/rt/run-task", "x");
  EXPECT_EQ(ScanError(),
            "images/RUN_TASK: the run-task directory vendor/rt has no "
            "fetch-content (it must hold fetch-content, hgrc, "
            "robustcheckout.py, run-task)");
}

TEST_F(ImageTreeTest, NamesFollowTheOneRule) {
  Write("images/Bad.Name/Dockerfile", "FROM scratch\n");
  EXPECT_EQ(ScanError(),
            "images/Bad.Name: image name \"Bad.Name\" is invalid: use 1 to "
            "128 lowercase letters, digits, and single '_', '__' or runs of "
            "'-' between them (a registry repository name; '.' is not "
            "allowed, index namespaces use it as their separator): rename "
            "the folder");
  std::filesystem::remove_all(std::filesystem::path(root()) /
                              "images/Bad.Name");
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/kind.yml", "tasks:\n  A_b:\n    definition: a\n");
  EXPECT_THAT(ScanError(),
              HasSubstr("images/kind.yml:2: task A_b: image name \"A_b\" is "
                        "invalid"));
}

TEST_F(ImageTreeTest, AFileNameWithANewlineIsNamed) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/bad\nname", "");
  EXPECT_EQ(ScanError(),
            "\"images/a/bad\\nname\": a file name holding a newline cannot "
            "be a Bazel label, so its package would not load: rename the "
            "file");
}

TEST_F(ImageTreeTest, AHashOfAFolderSeveralTasksBuildIsAnError) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/HASH", absl::StrCat(kDigest, "\n"));
  Write("images/kind.yml",
        "tasks:\n  one:\n    definition: a\n  two:\n    definition: a\n");
  EXPECT_EQ(ScanError(),
            "images/a/HASH: pins one pushed image, but tasks one, two build "
            "this folder: remove the HASH file (pin each task's image where "
            "it is used instead)");
}

TEST_F(ImageTreeTest, KindYmlInTheImagesDirIsFoundByDefault) {
  Write("images/base/Dockerfile", "FROM scratch\n");
  Write("images/tool/Dockerfile", "FROM ${DOCKER_IMAGE_PARENT}\n");
  Write("images/kind.yml", "tasks:\n  base: {}\n  tool:\n    parent: base\n");
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->kind_yml, "images/kind.yml");
  EXPECT_THAT(tree->Find("tool")->parents, ElementsAre("base"));
}

TEST_F(ImageTreeTest, KindYmlErrors) {
  Write("images/base/Dockerfile", "FROM scratch\n");
  Write("images/tool/Dockerfile", "FROM $DOCKER_IMAGE_PARENT\n");
  Write("images/kind.yml", "tasks:\n  tool:\n    parent: nope\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml: task tool has parent: nope, which is not a "
            "task of images/kind.yml: name one of its tasks");
  Write("images/tool/Dockerfile", "FROM $DOCKER_IMAGE_PARENT\n# %ARG ARCH\n");
  Write("images/kind.yml", "tasks:\n  tool:\n    parent: base\n");
  EXPECT_EQ(ScanError(),
            "images/tool/Dockerfile:2: # %ARG ARCH has no value: add it under "
            "tasks: tool: args: in images/kind.yml");
  Write("images/tool/Dockerfile", "FROM base\n");
  Write("images/kind.yml", "tasks:\n  gone:\n    parent: base\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml:2: task gone has no image folder images/gone "
            "with a Dockerfile: add the folder or remove the task");
  Write("images/kind.yml",
        "tasks:\n  tool:\n    parent: base\n    definition: other\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml:2: task tool (definition: other) has no image "
            "folder images/other with a Dockerfile: add the folder or remove "
            "the task");
  Write("images/kind.yml", "tasks:\n  tool: [\n");
  EXPECT_THAT(ScanError(), HasSubstr("images/kind.yml:3: invalid kind.yml: "));
}

TEST_F(ImageTreeTest, ParentArgWithoutKindYml) {
  Write("images/tool/Dockerfile", "FROM $DOCKER_IMAGE_PARENT\n");
  EXPECT_EQ(ScanError(),
            "images/tool/Dockerfile:1: FROM $DOCKER_IMAGE_PARENT but the image "
            "declares no parent: set parent: in kind.yml (or parent on the "
            "docker_image target)");
}

TEST_F(ImageTreeTest, UnpinnedFrom) {
  Write("images/lint/Dockerfile", "# lint\n\nFROM debian:bookworm\n");
  EXPECT_EQ(ScanError(),
            "images/lint/Dockerfile:3: FROM debian:bookworm is not pinned: use "
            "debian:bookworm@sha256:<digest> (skopeo inspect "
            "docker://debian:bookworm prints it), or name an in-tree image "
            "folder");
}

TEST_F(ImageTreeTest, EveryUnpinnedBaseNamedAtOnce) {
  // Two tasks of one folder with different bases, a third task of it with
  // the first one's base (the same line: said once), and two other folders:
  // one line each.
  Write("images/kind.yml",
        "tasks:\n"
        "  raw12:\n    definition: raw\n    args:\n      BASE: os:12\n"
        "  raw12b:\n    definition: raw\n    args:\n      BASE: os:12\n"
        "  raw13:\n    definition: raw\n    args:\n      BASE: os:13\n"
        "  tool:\n    args:\n      BASE: os:12\n"
        "  lint: {}\n");
  Write("images/raw/Dockerfile", "# %ARG BASE\nFROM $BASE\n");
  Write("images/tool/Dockerfile", "# %ARG BASE\nFROM $BASE\n");
  Write("images/lint/Dockerfile", "FROM debian:bookworm\n");
  EXPECT_EQ(ScanError(),
            "4 references do not resolve, one line each:\n"
            "images/lint/Dockerfile:1: FROM debian:bookworm is not pinned: use "
            "debian:bookworm@sha256:<digest> (skopeo inspect "
            "docker://debian:bookworm prints it), or name an in-tree image "
            "folder\n"
            "images/raw/Dockerfile:2: FROM os:12 is not pinned: use "
            "os:12@sha256:<digest> (skopeo inspect docker://os:12 prints it), "
            "or name an in-tree image folder\n"
            "images/raw/Dockerfile:2: FROM os:13 is not pinned: use "
            "os:13@sha256:<digest> (skopeo inspect docker://os:13 prints it), "
            "or name an in-tree image folder\n"
            "images/tool/Dockerfile:2: FROM os:12 is not pinned: use "
            "os:12@sha256:<digest> (skopeo inspect docker://os:12 prints it), "
            "or name an in-tree image folder");
}

TEST_F(ImageTreeTest, Cycle) {
  Write("images/a/Dockerfile", "FROM c\n");
  Write("images/b/Dockerfile", "FROM a\n");
  Write("images/c/Dockerfile", "FROM scratch\nCOPY --from=b /x /x\n");
  EXPECT_EQ(ScanError(),
            "the image graph has a cycle: a -> c -> b -> a (each image names "
            "the next in FROM or COPY --from); remove one of these references");
}

TEST_F(ImageTreeTest, DockerfileSyntaxError) {
  Write("images/a/Dockerfile", "FROM scratch\nRUNN x\n");
  EXPECT_THAT(ScanError(),
              HasSubstr("images/a/Dockerfile:2: unknown instruction \"RUNN\""));
}

TEST_F(ImageTreeTest, BuildFileInsideAnTreeImage) {
  Write("images/a/Dockerfile", "FROM scratch\n");
  Write("images/a/sub/BUILD.bazel", "");
  EXPECT_EQ(ScanError(),
            "images/a/sub/BUILD.bazel: a BUILD file inside an image folder "
            "makes it a separate Bazel package, which hides its files from "
            "the image: remove it");
}

TEST_F(ImageTreeTest, NoTree) {
  ImageTreeOptions options;
  options.root = root();
  options.images_dir = "nope";
  EXPECT_EQ(ScanImageTree(options).status().message(),
            "nope: no such image tree (a directory holding one folder per "
            "image)");
}

}  // namespace
}  // namespace imagegraph
