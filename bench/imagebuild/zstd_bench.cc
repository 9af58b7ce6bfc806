// zstd_bench: compresses one file with imagegraph's zstd stream (the code
// that writes NAME.tar.zst) and prints the throughput, for comparison with
// the zstd command line tool on the same input.
//
//   zstd_bench --level=3 --threads=0 INPUT OUTPUT
//
// Prints "<input bytes> <output bytes> <seconds> <MB/s>" on stdout.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/imagebuild/zstd_stream.h"

ABSL_FLAG(int, level, 3, "zstd compression level.");
ABSL_FLAG(int, threads, 0, "Worker threads (0 = all cores).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "zstd_bench [--level=3] [--threads=0] INPUT OUTPUT\n"
      "Exit codes: 0 ok, 1 compression failed, 2 bad command line.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    fprintf(stderr, "zstd_bench: expected INPUT and OUTPUT (see --help)\n");
    return 2;
  }
  imagegraph::ZstdOptions options;
  options.level = absl::GetFlag(FLAGS_level);
  options.threads = absl::GetFlag(FLAGS_threads);
  auto start = std::chrono::steady_clock::now();
  auto stats = imagegraph::CompressFileZstd(args[1], args[2], options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!stats.ok()) {
    fprintf(stderr, "zstd_bench: %s\n",
            std::string(stats.status().message()).c_str());
    return 1;
  }
  printf("%llu %llu %.3f %.1f\n",
         static_cast<unsigned long long>(stats->input_bytes),
         static_cast<unsigned long long>(stats->output_bytes), seconds,
         stats->input_bytes / seconds / 1e6);
  return 0;
}
