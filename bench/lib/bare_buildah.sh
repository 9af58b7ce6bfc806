# shellcheck shell=bash
# A bare buildah as its users run it, for the benchmarks to compare with:
# as root, chroot isolation, the determinism flags imagebuild passes, and one
# persistent storage per driver under WORK/buildah-DRIVER, so that a base
# pulled once stays. Source it after setting WORK.
#
#   bare_buildah DRIVER ARGS...   buildah ARGS on DRIVER's storage. DRIVER is
#                                 vfs, overlay (which archives a layer from
#                                 overlay's upper directory), or
#                                 overlay-treediff: overlay computing a layer
#                                 by comparing trees, as vfs does and as
#                                 imagebuild makes it (tools/imagebuild/
#                                 README.md, "Storage driver"), through a run
#                                 directory that says "no native diff"
#   BARE_BUILDAH_BUILD            the `buildah build` arguments before -t

# shellcheck disable=SC2034  # for the scripts that source this
BARE_BUILDAH_BUILD=(build --quiet --isolation chroot --timestamp 0 --identity-label=false
  --pull=never --layers=false)

bare_buildah() {
  local driver="$1" runroot=run
  shift
  if [[ "${driver}" == overlay-treediff ]]; then
    # Shares overlay's storage (a base pulled there is present for both);
    # containers/storage keeps its choice of layer computation per run
    # directory.
    driver=overlay
    runroot=run-treediff
    if [[ ! -e "${WORK}/buildah-overlay/${runroot}/overlay/native-diff()-false" ]]; then
      mkdir -p "${WORK}/buildah-overlay/${runroot}/overlay"
      touch "${WORK}/buildah-overlay/${runroot}/overlay/native-diff()-false"
      local native
      native="$(buildah --root "${WORK}/buildah-overlay/root" \
        --runroot "${WORK}/buildah-overlay/${runroot}" --storage-driver overlay info \
        --format '{{index .store.GraphStatus "Native Overlay Diff"}}')"
      if [[ "${native}" != false ]]; then
        echo "bare_buildah: this buildah ignores the run directory's layer computation (Native Overlay Diff: ${native})" >&2
        return 1
      fi
    fi
  fi
  buildah --root "${WORK}/buildah-${driver}/root" --runroot "${WORK}/buildah-${driver}/${runroot}" \
    --storage-driver "${driver}" "$@"
}
