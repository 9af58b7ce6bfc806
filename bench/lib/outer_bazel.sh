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

# opt_bazel_bin TARGET...: builds TARGETs with -c opt and prints the bazel-bin
# that holds them, then stops the server (an idle server still collects
# garbage now and then, which shows in timings on 2 cores). No convenience
# symlinks: with another output base they would point away from the
# checkout's own build.
opt_bazel_bin() {
  outer_bazel build -c opt --experimental_convenience_symlinks=ignore "$@" >&2 || return
  local bin
  bin="$(outer_bazel info -c opt bazel-bin 2>/dev/null)" || return
  outer_bazel shutdown 2>/dev/null || true
  echo "${bin}"
}
