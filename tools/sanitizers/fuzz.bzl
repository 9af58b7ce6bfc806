"""Fuzz targets: libFuzzer binaries, and their corpora as ordinary tests.

`fuzz_target(name, srcs, deps)` makes, for a source defining
LLVMFuzzerTestOneInput, with its corpus in `testdata/NAME_corpus/`:
  - `NAME`: the libFuzzer binary (tagged manual: it links with clang's
    -fsanitize=fuzzer, which bench/fuzz/run.sh builds with --config=fuzz);
  - `NAME_corpus_test`: the seed corpus and every crash kept there as a
    regression input, run once through the target;
  - `NAME_corpus_test_asan`: the same with AddressSanitizer and UBSan.
The corpus tests are part of `bazel test //...`, so a target cannot rot.
"""

load("//tools/sanitizers:sanitizers.bzl", "asan_test")

def fuzz_target(name, srcs, deps, **kwargs):
    """A fuzz target and the tests that run its corpus.

    Args:
      name: the libFuzzer binary's name, e.g. "dockerfile_fuzzer".
      srcs: the source defining LLVMFuzzerTestOneInput.
      deps: what it fuzzes.
      **kwargs: passed to the corpus test (size, tags...).
    """
    corpus_dir = "testdata/%s_corpus" % name
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        deps = deps,
        alwayslink = True,
    )
    native.cc_binary(
        name = name,
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":" + name + "_lib"],
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = ["//tools/sanitizers:fuzz_replay_main.cc"],
        data = native.glob([corpus_dir + "/*"]),
        local_defines = [
            'FUZZ_CORPUS_DIR=\\"%s/%s\\"' % (native.package_name(), corpus_dir),
        ],
        deps = [":" + name + "_lib"],
        **kwargs
    )
    asan_test(
        name = name + "_corpus_test_asan",
        test = ":" + name + "_corpus_test",
        tags = kwargs.get("tags", []),
    )
