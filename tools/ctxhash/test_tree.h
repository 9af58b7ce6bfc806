// Test helpers: fresh directories under $TEST_TMPDIR and files in them.
#ifndef IMAGEGRAPH_TOOLS_CTXHASH_TEST_TREE_H_
#define IMAGEGRAPH_TOOLS_CTXHASH_TEST_TREE_H_

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace imagegraph {

// A new empty directory, unique per call.
inline std::string MakeTestDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ =
      absl::StrCat(base != nullptr ? base : "/tmp", "/t.XXXXXX");
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

// Writes `contents` to `path` (creating parent directories) with `mode`.
inline void WriteTestFile(const std::string& path, const std::string& contents,
                          mode_t mode = 0644) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    mkdir(path.substr(0, slash).c_str(), 0755);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  ASSERT_TRUE(out) << path;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

inline std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command, returning its stdout; fails the test on non-zero.
inline std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return output;
}

}  // namespace imagegraph

#endif  // IMAGEGRAPH_TOOLS_CTXHASH_TEST_TREE_H_
