#!/usr/bin/env bash
# The same deterministic Dockerfile (with RUN steps) built twice, with
# separate temporary storages, from context tars at different paths and with
# the tool's temporary directory at different paths, gives the same image ID,
# and the same compressed archive byte for byte.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

dockerfile='FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /etc/app && echo "port=8080" > /etc/app/config && ln -s /etc/app/config /config
ENV GREETING=hello
WORKDIR /srv
HEALTHCHECK --interval=30s --retries=3 CMD ["/bin/sh", "-c", "test -f /config"]
SHELL ["/bin/sh", "-ec"]
ONBUILD RUN echo child build
CMD ["/bin/sh", "-c", "cat /config"]'

# The tool's temporary directory goes under TMPDIR (which others may enter,
# as RUN steps run as unprivileged IDs): ROOT is below it, at a path of its
# own.
build_in() {
  local root="${TMPDIR}/$1" out_dir="$2"
  mkdir -p "${root}/checkout/images/app" "${root}/tmp" "${out_dir}"
  make_busybox_context "${root}/checkout/images/app" <<<"${dockerfile}"
  make_context_tar "${root}/checkout/images/app" "${root}/app.tar"
  TMPDIR="${root}/tmp" run_imagebuild --name=app \
    --context_tar="${root}/app.tar" --context_hash_file="${root}/app.hash" \
    --registry=registry.test --version=1 \
    --output="${out_dir}/app.tar.zst" --metadata="${out_dir}/app.image.json" ||
    fail "build in ${root}: $(cat "${WORK}/stderr")"
  [[ -z "$(ls -A "${root}/tmp")" ]] || fail "temporary files left in ${root}/tmp"
  rm -rf "${root}"
}

build_in first "${WORK}/out1"
build_in a/much/longer/second/location "${WORK}/out2"

id1="$(jq -r .image_id "${WORK}/out1/app.image.json")"
id2="$(jq -r .image_id "${WORK}/out2/app.image.json")"
[[ "${id1}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "bad image id ${id1}"
[[ "${id1}" == "${id2}" ]] || fail "image IDs differ: ${id1} vs ${id2}"
cmp "${WORK}/out1/app.tar.zst" "${WORK}/out2/app.tar.zst" ||
  fail "the compressed archives differ"

# The configuration keeps every instruction, and no builder container ID or
# host name (the ID and the file name are its digest).
mkdir -p "${WORK}/extracted"
zstd -dc "${WORK}/out1/app.tar.zst" | tar -x -C "${WORK}/extracted"
config="${WORK}/extracted/${id1#sha256:}.json"
[[ "sha256:$(sha256sum "${config}" | cut -c1-64)" == "${id1}" ]] ||
  fail "the configuration does not hash to the image ID"
[[ "$(jq -c '[.config.Healthcheck.Test, .config.Healthcheck.Interval,
  .config.Healthcheck.Retries, .config.Shell, .config.OnBuild]' "${config}")" == \
  '[["CMD","/bin/sh","-c","test -f /config"],30000000000,3,["/bin/sh","-ec"],["RUN echo child build"]]' ]] ||
  fail "HEALTHCHECK, SHELL or ONBUILD missing from the configuration: $(cat "${config}")"
[[ "$(jq -c '[.container, .config.Hostname, .container_config.Hostname]' "${config}")" == \
  '["","",""]' ]] || fail "builder fields left in the configuration: $(cat "${config}")"

# A changed RUN step changes the ID (the comparison above can fail).
mkdir -p "${WORK}/changed"
make_busybox_context "${WORK}/changed" <<<"${dockerfile/8080/8081}"
make_context_tar "${WORK}/changed" "${WORK}/changed.tar"
run_imagebuild --name=app --context_tar="${WORK}/changed.tar" \
  --context_hash_file="${WORK}/changed.hash" \
  --output="${WORK}/changed.tar.zst" --metadata="${WORK}/changed.image.json" ||
  fail "changed build: $(cat "${WORK}/stderr")"
[[ "$(jq -r .image_id "${WORK}/changed.image.json")" != "${id1}" ]] ||
  fail "a different RUN step gave the same image ID"
echo PASS
