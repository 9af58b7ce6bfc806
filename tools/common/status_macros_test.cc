#include "tools/common/status_macros.h"

#include "gtest/gtest.h"
#include "openssl/sha.h"
#include "zstd.h"

namespace imagegraph {
namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status Check(int n) {
  IG_ASSIGN_OR_RETURN(int half, Half(n));
  if (half < 0) return absl::OutOfRangeError("negative");
  IG_RETURN_IF_ERROR(half > 100 ? absl::OutOfRangeError("big")
                                : absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagatesErrorsAndValues) {
  EXPECT_TRUE(Check(4).ok());
  EXPECT_EQ(Check(3).message(), "odd");
  EXPECT_EQ(Check(-4).message(), "negative");
  EXPECT_EQ(Check(400).message(), "big");
}

}  // namespace
}  // namespace imagegraph
