// Test helper: docker-archives in the layout buildah writes, made by GNU tar
// from files on disk, with digests computed by sha256sum.
#ifndef IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_FIXTURE_H_
#define IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_FIXTURE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tools/common/file_util.h"
#include "tools/common/subprocess.h"

namespace imagegraph {

// Runs a command that must succeed and returns its stdout.
inline std::string RunOrFail(const std::vector<std::string>& argv) {
  auto result = RunSubprocess(argv);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return "";
  EXPECT_EQ(result->exit_code, 0)
      << absl::StrJoin(argv, " ") << ": " << result->stderr_text;
  return result->stdout_text;
}

inline std::string Sha256Sum(const std::string& path) {
  std::string out = RunOrFail({"sha256sum", path});
  return out.substr(0, 64);
}

// A docker-archive in the layout buildah writes, made by GNU tar from files
// on disk (under TEST_TMPDIR/NAME), with its digests computed by sha256sum.
class ArchiveFixture {
 public:
  explicit ArchiveFixture(const std::string& name)
      : dir_(absl::StrCat(getenv("TEST_TMPDIR"), "/", name)),
        path_(dir_ + ".tar") {
    mkdir(dir_.c_str(), 0755);
  }

  // Adds a file and returns its sha256 hex.
  std::string AddBlob(const std::string& content, const std::string& suffix) {
    const std::string staging = dir_ + "/staging";
    EXPECT_TRUE(WriteFileAtomically(staging, content).ok());
    const std::string hex = Sha256Sum(staging);
    const std::string name = hex + suffix;
    EXPECT_EQ(rename(staging.c_str(), (dir_ + "/" + name).c_str()), 0);
    files_.push_back(name);
    return hex;
  }

  void AddFile(const std::string& name, const std::string& content) {
    EXPECT_TRUE(WriteFileAtomically(dir_ + "/" + name, content).ok());
    files_.push_back(name);
  }

  void AddSymlink(const std::string& name, const std::string& target) {
    EXPECT_EQ(symlink(target.c_str(), (dir_ + "/" + name).c_str()), 0);
    files_.push_back(name);
  }

  // The standard image: two layers, a config, manifest.json, repositories.
  // `config` tells images apart.
  void AddImage(const std::vector<std::string>& tags,
                const std::string& config =
                    R"({"architecture":"amd64","os":"linux"})") {
    layer1_ = AddBlob(std::string(3000, 'a'), ".tar");
    layer2_ = AddBlob(std::string(700, 'b'), ".tar");
    config_ = AddBlob(config, ".json");
    std::vector<std::string> quoted;
    for (const std::string& tag : tags) quoted.push_back("\"" + tag + "\"");
    AddFile("manifest.json",
            absl::StrCat("[{\"Config\":\"", config_, ".json\",\"RepoTags\":[",
                         absl::StrJoin(quoted, ","), "],\"Layers\":[\"",
                         layer1_, ".tar\",\"", layer2_, ".tar\"]}]"));
    AddFile("repositories", R"({"reg.test/x":{"1":"legacyid"}})");
  }

  // Writes the archive with files in the order added.
  const std::string& Write(const std::string& format = "ustar") {
    std::vector<std::string> argv = {"tar",        "--format=" + format,
                                     "--owner=0",  "--group=0",
                                     "--mtime=@0", "-cf",
                                     path_,        "-C",
                                     dir_};
    argv.insert(argv.end(), files_.begin(), files_.end());
    RunOrFail(argv);
    return path_;
  }

  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }
  std::string layer1() const { return "sha256:" + layer1_; }
  std::string layer2() const { return "sha256:" + layer2_; }
  std::string config() const { return "sha256:" + config_; }

 private:
  std::string dir_;
  std::string path_;
  std::vector<std::string> files_;
  std::string layer1_, layer2_, config_;
};

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_IMAGEBUILD_DOCKER_ARCHIVE_FIXTURE_H_
