#include "tools/imagebuild/layer_store.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/index/local_backend.h"

namespace imagegraph {
namespace {

using ::testing::HasSubstr;

TEST(ResolveLayerStoreSpecTest, OffAndEmptyNameNoStore) {
  EXPECT_EQ(*ResolveLayerStoreSpec(""), std::nullopt);
  EXPECT_EQ(*ResolveLayerStoreSpec("off"), std::nullopt);
}

TEST(ResolveLayerStoreSpecTest, DefaultSitsBesideTheDefaultIndex) {
  setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
  EXPECT_EQ(**ResolveLayerStoreSpec("default"), "/xdg/cache/imagegraph/layers");
  EXPECT_EQ(*DefaultLocalIndexDirectory(), "/xdg/cache/imagegraph/index");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(*DefaultLayerStoreDirectory(),
            "/home/someone/.cache/imagegraph/layers");
}

TEST(ResolveLayerStoreSpecTest, TakesAbsoluteDirectories) {
  EXPECT_EQ(**ResolveLayerStoreSpec("/srv/layers/"), "/srv/layers");
  EXPECT_EQ(**ResolveLayerStoreSpec("/srv/layers"), "/srv/layers");
}

TEST(ResolveLayerStoreSpecTest, RefusesRelativeDirectories) {
  auto spec = ResolveLayerStoreSpec("cache/layers");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(),
              HasSubstr("--layer_store=cache/layers: a layer store must be an "
                        "absolute directory"));
  EXPECT_THAT(spec.status().message(), HasSubstr("/path/to/layers"));
}

}  // namespace
}  // namespace imagegraph
