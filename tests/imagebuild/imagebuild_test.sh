#!/usr/bin/env bash
# Builds busybox images with the real tool and buildah: the output loads into
# podman with both tags, its command runs, the metadata matches the archive,
# and in-tree parents (FROM, REGISTRY/NAME:TAG, $DOCKER_IMAGE_PARENT,
# COPY --from, RUN --mount=from) and a pinned external base (FROM, COPY
# --from, RUN --mount=from) resolve, through the references given, to the
# loaded images.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

out="${WORK}/out"
mkdir -p "${out}"

# --- a base image ---------------------------------------------------------
make_busybox_context "${WORK}/bb" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo "hello from bb" > /hello.txt
CMD ["/bin/cat", "/hello.txt"]
DOCKERFILE
make_context_tar "${WORK}/bb" "${WORK}/bb.tar"
run_imagebuild --name=bb --context_tar="${WORK}/bb.tar" \
  --context_hash_file="${WORK}/bb.hash" --registry=registry.test/ig \
  --version=1.0 \
  --output="${out}/bb.tar.zst" --metadata="${out}/bb.image.json" ||
  fail "building bb: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "STEP 3/5: RUN ["
expect_no_temp_left
bb_hash="$(cat "${WORK}/bb.hash")"

# The metadata agrees with the files and with an independent reader.
meta="${out}/bb.image.json"
[[ "$(jq -r .name "${meta}")" == bb ]] || fail "name"
[[ "$(jq -r .context_hash "${meta}")" == "${bb_hash}" ]] || fail "context_hash"
[[ "$(jq -r '.tags | join(" ")' "${meta}")" == "registry.test/ig/bb:1.0 registry.test/ig/bb:${bb_hash}" ]] ||
  fail "tags: $(jq -c .tags "${meta}")"
[[ "$(jq -r .tarball_sha256 "${meta}")" == "$(sha256sum "${out}/bb.tar.zst" | cut -c1-64)" ]] ||
  fail "tarball_sha256"
[[ "$(jq -r .tarball_size "${meta}")" == "$(stat -c %s "${out}/bb.tar.zst")" ]] || fail "tarball_size"
[[ "$(jq -r '.layers | length' "${meta}")" == 1 ]] || fail "one layer expected"
[[ "$(jq -r '[.layers[].size] | add' "${meta}")" == "$(jq -r .size "${meta}")" ]] || fail "size"
[[ "$(jq -r .manifest_digest "${meta}")" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "manifest_digest"
bb_id="$(jq -r .image_id "${meta}")"

# A registry without a host part ("ig"): buildah and skopeo would read the
# tag ig/bb:1.0 as different names, so the image is exported by ID.
run_imagebuild --name=bb --context_tar="${WORK}/bb.tar" \
  --context_hash_file="${WORK}/bb.hash" --registry=ig --version=1.0 \
  --output="${out}/bb-ig.tar.zst" --metadata="${out}/bb-ig.image.json" ||
  fail "building bb for registry ig: $(cat "${WORK}/stderr")"
[[ "$(jq -r .image_id "${out}/bb-ig.image.json")" == "${bb_id}" ]] ||
  fail "registry ig: another image than ${bb_id}"
[[ "$(jq -r '.tags[0]' "${out}/bb-ig.image.json")" == ig/bb:1.0 ]] ||
  fail "registry ig: tags $(jq -c .tags "${out}/bb-ig.image.json")"
rm "${out}/bb-ig.tar.zst" "${out}/bb-ig.image.json"

# The archive is zstd over a docker-archive that names both tags and whose
# layer is the one the metadata records.
zstd -q -d -c "${out}/bb.tar.zst" >"${WORK}/bb.docker.tar"
tar -xOf "${WORK}/bb.docker.tar" manifest.json >"${WORK}/bb.manifest.json"
[[ "$(jq -r '.[0].RepoTags | sort | join(" ")' "${WORK}/bb.manifest.json")" == "registry.test/ig/bb:1.0 registry.test/ig/bb:${bb_hash}" ]] ||
  fail "RepoTags: $(cat "${WORK}/bb.manifest.json")"
[[ "sha256:$(jq -r '.[0].Config' "${WORK}/bb.manifest.json" | sed 's/\.json$//')" == "${bb_id}" ]] ||
  fail "config digest differs from image_id"

# podman loads it with both tags; buildah runs its command.
private_podman load load -i "${WORK}/bb.docker.tar" >"${WORK}/load.out"
private_podman load images --format '{{.Repository}}:{{.Tag}} {{.ID}}' >"${WORK}/images.out"
expect_file_contains "${WORK}/images.out" "registry.test/ig/bb:1.0 ${bb_id:7:12}"
expect_file_contains "${WORK}/images.out" "registry.test/ig/bb:${bb_hash} ${bb_id:7:12}"
run_in_image load registry.test/ig/bb:1.0 /bin/cat /hello.txt >"${WORK}/run.out"
[[ "$(cat "${WORK}/run.out")" == "hello from bb" ]] || fail "run: $(cat "${WORK}/run.out")"

# --- a child: FROM an in-tree parent, COPY --from another ------------------
make_busybox_context "${WORK}/child" <<'DOCKERFILE'
# syntax=docker/dockerfile:1
ARG FLAVOR=plain
FROM registry.test/ig/bb:1.0 AS tools
FROM bb
ARG FLAVOR
COPY --from=bb /hello.txt /copied.txt
RUN echo "child ${FLAVOR}" > /child.txt && cat /hello.txt >> /child.txt
CMD ["/bin/cat", "/child.txt", "/copied.txt"]
DOCKERFILE
make_context_tar "${WORK}/child" "${WORK}/child.tar"
run_imagebuild --name=child --context_tar="${WORK}/child.tar" \
  --context_hash_file="${WORK}/child.hash" --registry=registry.test/ig \
  --parent=bb="${out}/bb.tar.zst" --parent_metadata=bb="${out}/bb.image.json" \
  --reference=registry.test/ig/bb:1.0=:bb --reference=bb=:bb \
  --build_arg=FLAVOR=salty \
  --output="${out}/child.tar.zst" --metadata="${out}/child.image.json" ||
  fail "building child: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "loading parent bb"
expect_no_temp_left
# Without --version the tag is "latest"; the parent's layer is shared.
[[ "$(jq -r '.tags[0]' "${out}/child.image.json")" == registry.test/ig/child:latest ]] ||
  fail "child tags: $(jq -c .tags "${out}/child.image.json")"
[[ "$(jq -r '.layers[0].digest' "${out}/child.image.json")" == "$(jq -r '.layers[0].digest' "${meta}")" ]] ||
  fail "child does not start from bb's layer"
[[ "$(jq -r '.layers | length' "${out}/child.image.json")" == 2 ]] || fail "child layers"

zstd -q -d -c "${out}/child.tar.zst" >"${WORK}/child.docker.tar"
private_podman load load -i "${WORK}/child.docker.tar" >/dev/null
run_in_image load registry.test/ig/child:latest /bin/cat /child.txt /copied.txt >"${WORK}/run.out"
printf 'child salty\nhello from bb\nhello from bb\n' | diff - "${WORK}/run.out" ||
  fail "child's files differ"
# bb's layer is the very frame of bb's tarball, copied, not compressed
# again; skopeo reads the archive and verifies every blob's digest.
frame_bytes() { # TARBALL METADATA INDEX
  jq -r ".layers[$3].frame | \"\(.offset) \(.size)\"" "$2" | {
    read -r offset size
    tail -c "+$((offset + 1))" "$1" | head -c "${size}"
  }
}
cmp <(frame_bytes "${out}/bb.tar.zst" "${meta}" 0) \
  <(frame_bytes "${out}/child.tar.zst" "${out}/child.image.json" 0) ||
  fail "child's copy of bb's layer differs from bb's frame"
[[ "$(jq -r '.layers[0].frame.size' "${meta}")" -gt 0 ]] || fail "bb has no frames"
skopeo copy -q "docker-archive:${WORK}/child.docker.tar" "dir:${WORK}/child.dir" ||
  fail "skopeo cannot read the child's archive"
[[ -f "${WORK}/child.dir/$(jq -r '.layers[1].digest[7:]' "${out}/child.image.json")" ]] ||
  fail "skopeo did not find the child's own layer"

# --- $DOCKER_IMAGE_PARENT, a pinned external base, RUN --mount=from ---------
# The external base is bb's archive under another name, pinned by image ID
# (which a docker-archive carries, so the tool can verify it).
ext_ref="mirror.test/library/busybox@${bb_id}"
make_busybox_context "${WORK}/grandchild" <<DOCKERFILE
FROM ${ext_ref} AS external
FROM \$DOCKER_IMAGE_PARENT
COPY --from=${ext_ref} /hello.txt /from-external.txt
COPY --from=external /hello.txt /from-stage.txt
RUN --mount=type=bind,from=${ext_ref},target=/ext \\
    --mount=type=bind,from=child,target=/parent \\
    cat /child.txt /from-external.txt /from-stage.txt /ext/hello.txt \\
      /parent/child.txt > /all.txt
DOCKERFILE
make_context_tar "${WORK}/grandchild" "${WORK}/grandchild.tar"
run_imagebuild --name=grandchild --context_tar="${WORK}/grandchild.tar" \
  --context_hash_file="${WORK}/grandchild.hash" --registry=registry.test/ig \
  --version=2 --parent=child="${out}/child.tar.zst" \
  --parent_metadata=child="${out}/child.image.json" \
  --docker_image_parent=child '--reference=$DOCKER_IMAGE_PARENT=:child' \
  --reference=child=:child \
  --base="${ext_ref}=${WORK}/bb.docker.tar" --reference="${ext_ref}=${ext_ref}" \
  --output="${out}/grandchild.tar.zst" --metadata="${out}/grandchild.image.json" ||
  fail "building grandchild: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "verified base ${ext_ref}"
expect_no_temp_left
zstd -q -d -c "${out}/grandchild.tar.zst" >"${WORK}/grandchild.docker.tar"
private_podman load load -i "${WORK}/grandchild.docker.tar" >/dev/null
run_in_image load registry.test/ig/grandchild:2 /bin/cat /all.txt >"${WORK}/run.out"
printf 'child salty\nhello from bb\nhello from bb\nhello from bb\nhello from bb\nchild salty\nhello from bb\n' |
  diff - "${WORK}/run.out" ||
  fail "grandchild's files differ"

# A base whose pinned digest the archive cannot show (a registry manifest
# digest) still builds, with a note.
other_digest="sha256:$(printf other | sha256sum | cut -c1-64)"
make_busybox_context "${WORK}/ext" <<DOCKERFILE
FROM mirror.test/busybox@${other_digest}
RUN test -f /hello.txt
DOCKERFILE
make_context_tar "${WORK}/ext" "${WORK}/ext.tar"
run_imagebuild --name=ext --context_tar="${WORK}/ext.tar" \
  --context_hash_file="${WORK}/ext.hash" \
  --base="mirror.test/busybox@${other_digest}=${out}/bb.tar.zst" \
  --reference="mirror.test/busybox@${other_digest}=mirror.test/busybox@${other_digest}" \
  --output="${out}/ext.tar.zst" --metadata="${out}/ext.image.json" ||
  fail "building ext: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "does not carry the registry manifest"
[[ "$(jq -r '.tags[0]' "${out}/ext.image.json")" == localhost/ext:latest ]] ||
  fail "ext tags: $(jq -c .tags "${out}/ext.image.json")"

echo "PASS"
