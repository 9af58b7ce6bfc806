# shellcheck shell=bash
# outer_bazel ARGS...: ./bazelw of the checkout (run from its root), on
# $BAZEL_OUTPUT_BASE when it is set, else on Bazel's own output base. The
# benchmarks build the tools with it before driving a nested Bazel.
outer_bazel() {
  if [[ -n "${BAZEL_OUTPUT_BASE:-}" ]]; then
    ./bazelw --output_base="${BAZEL_OUTPUT_BASE}" "$@"
  else
    ./bazelw "$@"
  fi
}
