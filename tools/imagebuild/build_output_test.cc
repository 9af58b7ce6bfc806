#include "tools/imagebuild/build_output.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/dockerfile/dockerfile.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(BuildFailureTest, NamesLineStepReasonAndOutputInOrder) {
  auto dockerfile =
      ParseDockerfile("x/Dockerfile", "FROM scratch\nCOPY a /a\nRUN make\n");
  ASSERT_TRUE(dockerfile.ok()) << dockerfile.status();
  BuildOutputTracker tracker("x");
  for (const char* line :
       {"STEP 1/3: FROM scratch", "STEP 2/3: COPY a /a", "STEP 3/3: RUN make",
        "out 1", "err 1", "out 2", "subprocess exited with status 2",
        "Error: building at STEP \"RUN make\": exit status 2"}) {
    tracker.OnLine(line);
  }
  absl::Status failure =
      BuildFailure(tracker, *dockerfile, "x/Dockerfile", 1, "");
  EXPECT_THAT(failure.message(),
              HasSubstr("x/Dockerfile:3: STEP 3/3: RUN make failed (exit "
                        "status 2); last lines of its output:\n  out 1\n  "
                        "err 1\n  out 2"));
}

TEST(BuildFailureTest, SourceOutsideTheContextSaysWhatIsAllowed) {
  auto dockerfile =
      ParseDockerfile("x/Dockerfile", "FROM scratch\n\nCOPY ../secret /s\n");
  ASSERT_TRUE(dockerfile.ok()) << dockerfile.status();
  BuildOutputTracker tracker("x");
  for (const char* line :
       {"STEP 1/2: FROM scratch", "STEP 2/2: COPY ../secret /s",
        "Error: building at STEP \"COPY ../secret /s\": checking on sources "
        "under \"/tmp/c\": possible escaping context directory error: "
        "copier: stat: \"/secret\": no such file or directory"}) {
    tracker.OnLine(line);
  }
  absl::Status failure =
      BuildFailure(tracker, *dockerfile, "x/Dockerfile", 1, "");
  EXPECT_EQ(failure.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(failure.message(),
              HasSubstr("x/Dockerfile:3: COPY ../secret /s names a source "
                        "outside the build context"));
  EXPECT_THAT(failure.message(), HasSubstr("`topsrcdir/...`"));
}

TEST(StepLineTest, KeywordMustAgree) {
  auto dockerfile =
      ParseDockerfile("x/Dockerfile", "ARG V=1\nFROM scratch\n\nCOPY a /a\n");
  ASSERT_TRUE(dockerfile.ok()) << dockerfile.status();
  EXPECT_EQ(StepLine(*dockerfile, "STEP 2/2: COPY a /a"), 4);
  EXPECT_EQ(StepLine(*dockerfile, "STEP 2/2: RUN a"), 0);
  EXPECT_EQ(StepLine(*dockerfile, "not a step"), 0);
}

}  // namespace
}  // namespace imagegraph
