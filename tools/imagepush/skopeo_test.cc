#include "tools/imagepush/skopeo.h"

#include "gtest/gtest.h"

namespace imagegraph {
namespace {

// Messages as skopeo 1.9 prints them.
TEST(ClassifySkopeoFailureTest, KnownMessages) {
  EXPECT_EQ(ClassifySkopeoFailure(
                "pinging container registry 127.0.0.1:5000: Get "
                "\"http://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: "
                "connect: connection refused"),
            SkopeoFailure::kUnreachable);
  EXPECT_EQ(ClassifySkopeoFailure(
                "trying to reuse blob sha256:89fb at destination: checking "
                "whether a blob sha256:89fb exists in 127.0.0.1:5000/tiny: "
                "unauthorized: authentication required"),
            SkopeoFailure::kUnauthorized);
  EXPECT_EQ(ClassifySkopeoFailure(
                "reading manifest 1 in 127.0.0.1:5000/tiny: manifest unknown: "
                "manifest unknown"),
            SkopeoFailure::kNotFound);
  EXPECT_EQ(ClassifySkopeoFailure(
                "pinging container registry 127.0.0.1:5000: Get "
                "\"https://127.0.0.1:5000/v2/\": http: server gave HTTP "
                "response to HTTPS client"),
            SkopeoFailure::kTlsMismatch);
  EXPECT_EQ(ClassifySkopeoFailure(
                "writing blob: happened during read: Digest did not match, "
                "expected sha256:aa, got sha256:bb"),
            SkopeoFailure::kDigestMismatch);
  EXPECT_EQ(ClassifySkopeoFailure("something else entirely"),
            SkopeoFailure::kOther);
}

TEST(SkopeoMessageTest, ExtractsFatalMessage) {
  EXPECT_EQ(SkopeoMessage("Getting image source signatures\n"
                          "time=\"2026-01-01T00:00:00Z\" level=fatal "
                          "msg=\"Error reading \\\"x\\\": boom\"\n"),
            "Error reading \"x\": boom");
  EXPECT_EQ(SkopeoMessage("plain line one\nplain line two\n\n"),
            "plain line two");
}

TEST(RegistryHostOfTest, StripsTransportAndPath) {
  EXPECT_EQ(RegistryHostOf("docker://127.0.0.1:5000/a/b:1"), "127.0.0.1:5000");
  EXPECT_EQ(RegistryHostOf("host.example.com/x@sha256:00"), "host.example.com");
}

TEST(RepositoryOfTest, StripsHostTagAndDigest) {
  EXPECT_EQ(RepositoryOf("docker://127.0.0.1:5000/team/tiny:1"), "team/tiny");
  EXPECT_EQ(RepositoryOf("docker://127.0.0.1:5000/team/tiny@sha256:00"),
            "team/tiny");
  EXPECT_EQ(RepositoryOf("docker://127.0.0.1:5000/tiny"), "tiny");
  EXPECT_EQ(RepositoryOf("docker://127.0.0.1:5000"), "");
}

}  // namespace
}  // namespace imagegraph
