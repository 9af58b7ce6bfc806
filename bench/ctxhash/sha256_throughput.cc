// Prints BoringSSL's one-core, in-memory sha256 throughput in MiB/s: the
// ceiling for hashing one file, which cannot be split across cores. Two
// figures, medians over rounds: per second of this thread's CPU time (what
// one core can do, whatever else the machine runs) and per wall-clock second.
//
//   sha256_throughput [MIB=256] [ROUNDS=5]
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "openssl/sha.h"

namespace {

double Seconds(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? static_cast<size_t>(std::atol(argv[1])) : 256;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const size_t size = mib << 20;
  const size_t chunk = 1 << 20;  // the update size ctxhash uses
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[size]);
  for (size_t i = 0; i < size; ++i) buffer[i] = static_cast<uint8_t>(i * 131);
  std::vector<double> cpu_rates, wall_rates;
  uint8_t digest[SHA256_DIGEST_LENGTH] = {};
  for (int r = 0; r < rounds; ++r) {
    const double cpu0 = Seconds(CLOCK_THREAD_CPUTIME_ID);
    const double wall0 = Seconds(CLOCK_MONOTONIC);
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    for (size_t offset = 0; offset < size; offset += chunk) {
      SHA256_Update(&ctx, buffer.get() + offset,
                    std::min(chunk, size - offset));
    }
    SHA256_Final(digest, &ctx);
    cpu_rates.push_back(mib / (Seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0));
    wall_rates.push_back(mib / (Seconds(CLOCK_MONOTONIC) - wall0));
  }
  std::printf("%.1f %.1f\n", Median(cpu_rates), Median(wall_rates));
  return 0;
}
