#!/usr/bin/env bash
# testlib.sh: helpers for the imagebuild integration tests. Source it from a
# bash test that lists //tools/imagebuild as data.
#
#   make_busybox_context DIR         a context: busybox-static + a Dockerfile
#                                    read from stdin
#   make_context_tar DIR OUT         a deterministic tar of DIR (as ctxhash
#                                    writes them) and OUT.hash beside it
#   run_imagebuild ARGS...           runs the tool (with PATH=$IMAGEBUILD_PATH
#                                    when set); stderr in $WORK/stderr
#   private_buildah ID ARGS...       buildah on a private vfs storage ID
#   private_podman ID ARGS...        podman on a private vfs storage ID
#   run_in_image ID IMAGE CMD...     the stdout of CMD run in IMAGE
#   expect_file_lacks FILE TEXT      FILE does not contain TEXT
#
# and the checks of tests/lib/checks.sh.
# Every storage lives under $WORK, which is removed on exit.
set -euo pipefail

# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

IMAGEBUILD="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/imagebuild/imagebuild")"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/imagebuild_test.XXXXXX")"
# podman refuses a runroot longer than 50 characters; runroots (small state
# files) go under a short directory of their own.
RUNROOTS="$(mktemp -d /tmp/ig-rr.XXXXXX)"
# The tool's own temporary directories go here, so the tests can check that
# none is left behind. RUN steps run as unprivileged IDs that must reach it,
# so it is not below TEST_TMPDIR (under root's 0700 home).
export TMPDIR="$(mktemp -d /tmp/imagebuild-tmp.XXXXXX)"
chmod 755 "${TMPDIR}"

cleanup_storages() {
  local storage
  for storage in "${WORK}"/storage-*; do
    [[ -d "${storage}" ]] || continue
    buildah --root "${storage}/root" --runroot "${RUNROOTS}/${storage##*/storage-}" \
      --storage-driver vfs rm --all >/dev/null 2>&1 || true
  done
  rm -rf "${WORK}" "${RUNROOTS}" "${TMPDIR}"
}
trap cleanup_storages EXIT

make_busybox_context() {
  local dir="$1"
  mkdir -p "${dir}"
  cp /bin/busybox "${dir}/busybox"
  cat >"${dir}/Dockerfile"
}

make_context_tar() {
  local dir="$1" out="$2"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "${dir}" -cf "${out}" .
  # Any 64-hex value serves as the context hash here; the tar's own digest
  # keeps it tied to the content.
  sha256sum "${out}" | cut -c1-64 >"${out%.tar}.hash"
}

run_imagebuild() {
  PATH="${IMAGEBUILD_PATH:-${PATH}}" "${IMAGEBUILD}" "$@" 2>"${WORK}/stderr"
}

private_buildah() {
  local id="$1"
  shift
  buildah --root "${WORK}/storage-${id}/root" --runroot "${RUNROOTS}/${id}" \
    --storage-driver vfs "$@"
}

private_podman() {
  local id="$1"
  shift
  podman --root "${WORK}/storage-${id}/root" --runroot "${RUNROOTS}/${id}" \
    --storage-driver vfs "$@"
}

# run_in_image ID IMAGE CMD...: runs CMD in a container of IMAGE (storage ID)
# with chroot isolation and prints its stdout. buildah run occasionally
# returns 0 with its output lost (about 1 run in 30 here), so an empty result
# is retried a few times.
run_in_image() {
  local id="$1" image="$2"
  shift 2
  local container output _
  container="$(private_buildah "${id}" from --pull=never "${image}")"
  for _ in 1 2 3 4 5; do
    output="$(private_buildah "${id}" run --isolation chroot "${container}" -- "$@")"
    [[ -z "${output}" ]] || break
  done
  private_buildah "${id}" rm "${container}" >/dev/null
  printf '%s\n' "${output}"
}

expect_file_lacks() {
  ! grep -qF -- "$2" "$1" || fail "$1 contains '$2': $(cat "$1")"
}

expect_no_temp_left() {
  local left
  left="$(ls -A "${TMPDIR}")"
  [[ -z "${left}" ]] || fail "temporary files left in TMPDIR: ${left}"
}
