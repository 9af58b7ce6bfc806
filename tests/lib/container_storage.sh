# shellcheck shell=bash
# A private container storage for the tests that load or run images.

# private_container_storage DIR: points podman and buildah at a vfs storage
# under DIR, so tests never touch the machine's images.
private_container_storage() {
  local dir="$1"
  mkdir -p "${dir}"
  cat >"${dir}/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "${dir}/graph"
runroot = "${dir}/run"
CONF
  export CONTAINERS_STORAGE_CONF="${dir}/storage.conf"
}

# remove_container_storage DIR: drops every container and image of DIR's storage.
remove_container_storage() {
  local dir="$1"
  buildah rm --all >/dev/null 2>&1 || true
  podman rmi --all --force >/dev/null 2>&1 || true
  rm -rf "${dir}"
}
