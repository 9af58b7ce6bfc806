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
  const ImageFolder& a = tree->images[0];
  EXPECT_THAT(a.include_paths,
              ElementsAre("images/recipes/one.sh", "images/recipes/dir",
                          "tools/helper.py"));
  EXPECT_THAT(a.include_files,
              ElementsAre("images/recipes/dir/b", "images/recipes/dir/sub/a",
                          "images/recipes/one.sh", "tools/helper.py"));
  EXPECT_THAT(a.include_labels,
              ElementsAre("recipes/dir/b", "recipes/dir/sub/a",
                          "recipes/one.sh", "//tools:helper.py"));
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
  const ImageFolder& a = tree->images[0];
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

TEST_F(ImageTreeTest, MissingRegistry) {
  std::filesystem::remove(std::filesystem::path(root()) / "images/REGISTRY");
  Write("images/a/Dockerfile", "FROM scratch\n");
  EXPECT_EQ(ScanError(),
            "images/REGISTRY is missing (needed by images/a): create it with "
            "one line naming the registry, or add images/a/REGISTRY");
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
  absl::StatusOr<ImageTree> tree = Scan();
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->pinned_digests.at("old"), kDigest);
  EXPECT_TRUE(tree->images[0].parents.empty());
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
  const ImageFolder* tool = tree->Find("tool");
  EXPECT_THAT(tool->parents, ElementsAre("base"));
  EXPECT_THAT(tool->build_args,
              ElementsAre(Pair("ARCH", "amd64"), Pair("N", "14")));
  // A declared parent that the Dockerfile does not name is still a parent.
  EXPECT_THAT(tree->Find("quiet")->parents, ElementsAre("tool"));
  EXPECT_THAT(TopologicalOrder(*tree), ElementsAre("base", "tool", "quiet"));
}

TEST_F(ImageTreeTest, KindYmlInTheImagesDirIsFoundByDefault) {
  Write("images/base/Dockerfile", "FROM scratch\n");
  Write("images/tool/Dockerfile", "FROM ${DOCKER_IMAGE_PARENT}\n");
  Write("images/kind.yml", "tasks:\n  tool:\n    parent: base\n");
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
            "images/kind.yml: task tool has parent: nope, which is not an "
            "image folder of images: name one of its folders");
  Write("images/tool/Dockerfile", "FROM $DOCKER_IMAGE_PARENT\n# %ARG ARCH\n");
  Write("images/kind.yml", "tasks:\n  tool:\n    parent: base\n");
  EXPECT_EQ(ScanError(),
            "images/tool/Dockerfile:2: # %ARG ARCH has no value: add it under "
            "tasks: tool: args: in images/kind.yml");
  Write("images/tool/Dockerfile", "FROM base\n");
  Write("images/kind.yml", "tasks:\n  gone:\n    parent: base\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml: task gone has no image folder images/gone with a "
            "Dockerfile: add the folder or remove the task");
  Write("images/kind.yml",
        "tasks:\n  tool:\n    parent: base\n    definition: other\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml:2: task tool uses definition: other; images are "
            "named after their folder here: rename the task to other or copy "
            "the folder to tool");
  Write("images/kind.yml", "tasks:\n  tool: [\n");
  EXPECT_THAT(ScanError(), HasSubstr("images/kind.yml:3: invalid YAML: "));
  Write("images/kind.yml", "loader: x\n");
  EXPECT_EQ(ScanError(),
            "images/kind.yml: has no tasks: mapping; write tasks: with one "
            "entry per image folder");
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

TEST_F(ImageTreeTest, BuildFileInsideAnImageFolder) {
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
