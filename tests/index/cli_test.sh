#!/usr/bin/env bash
# The index CLI: exit codes, messages of bad input, and the level rules as a
# user sees them.
set -euo pipefail

readonly INDEX_BIN="$1"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
hash_a="$(printf a | sha256sum | cut -c1-64)"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

# expect CODE SUBSTRING -- COMMAND...: runs COMMAND, checks its exit code and
# that stderr contains SUBSTRING; leaves ${out} and ${err}.
expect() {
  local want_code="$1" want_text="$2"
  shift 3
  run "$@"
  expect_rc "${want_code}" "$*"
  expect_contains "${err}" "${want_text}" "$*: stderr"
}

idx=(--index="${work}/index")
echo "tarball" >"${work}/image.tar.zst"

expect 2 "missing command" -- "${INDEX_BIN}" "${idx[@]}"
expect 2 'unknown command "frobnicate"' -- "${INDEX_BIN}" "${idx[@]}" frobnicate
expect 2 "level 7 is out of range" -- "${INDEX_BIN}" "${idx[@]}" --level=7 list docker.
expect 2 'image name "Bad Name" is invalid' -- "${INDEX_BIN}" "${idx[@]}" insert \
  --name="Bad Name" --context_hash="${hash_a}" --image_id=sha256:1 "${work}/image.tar.zst"
expect 2 'context hash "xyz" is invalid' -- "${INDEX_BIN}" "${idx[@]}" insert \
  --name=base --context_hash=xyz --image_id=sha256:1 "${work}/image.tar.zst"
expect 2 "insert takes exactly one ARTIFACT_PATH" -- "${INDEX_BIN}" "${idx[@]}" insert \
  --name=base --context_hash="${hash_a}" --image_id=sha256:1
expect 1 "missing.tar: cannot open" -- "${INDEX_BIN}" "${idx[@]}" insert \
  --name=base --context_hash="${hash_a}" --image_id=sha256:1 "${work}/missing.tar"
expect 2 "use a directory path or registry://HOST:PORT/REPO" -- \
  "${INDEX_BIN}" --index=s3://bucket/x list docker.

# A level-1 writer cannot write level-3 namespaces, not even as extras...
expect 2 "is not a level-1 namespace: a writer at level 1 may write only namespaces starting with docker.images.v2.level-1." -- \
  "${INDEX_BIN}" "${idx[@]}" --level=1 insert --name=base --context_hash="${hash_a}" \
  --image_id=sha256:1 --namespace="docker.images.v2.level-3.base.hash.${hash_a}" "${work}/image.tar.zst"
[[ ! -e "${work}/index/namespaces" ]] || fail "a refused insert wrote entries"
# ...and what it writes at level 1 is invisible to a level-3 lookup.
echo '{"image_id": "sha256:1"}' >"${work}/image.json"
expect 0 "inserted docker.images.v2.level-1.base.hash.${hash_a}" -- \
  "${INDEX_BIN}" "${idx[@]}" --level=1 insert --name=base --context_hash="${hash_a}" \
  --image_id=sha256:1 --revision=r1 --metadata="${work}/image.json" "${work}/image.tar.zst"
expect_eq "$(jq -r .metadata_json <<<"${out}" | jq -r .image_id)" "sha256:1" \
  "the metadata insert stored"
expect 3 "is not indexed at levels 3 down to 3" -- \
  "${INDEX_BIN}" "${idx[@]}" --level=3 lookup --name=base --context_hash="${hash_a}"
expect 0 "" -- "${INDEX_BIN}" "${idx[@]}" --level=1 lookup --name=base --context_hash="${hash_a}"
expect_eq "$(jq -r .namespace <<<"${out}")" "docker.images.v2.level-1.base.hash.${hash_a}" \
  "the namespace lookup found"
expect_eq "$(jq -r .entry.revision <<<"${out}")" "r1" "the revision lookup found"

expect 3 "no entry docker.images.v2.level-1.other.latest" -- \
  "${INDEX_BIN}" "${idx[@]}" find docker.images.v2.level-1.other.latest
expect 2 "has an empty component" -- "${INDEX_BIN}" "${idx[@]}" find "a..b"
expect 0 "" -- "${INDEX_BIN}" "${idx[@]}" list docker.images.v2.level-1.base.
expect_eq "$(wc -l <<<"${out}")" 3 "namespaces listed: ${out}"

# lookup with OUT_PATH fetches the verified tarball.
expect 0 "" -- "${INDEX_BIN}" "${idx[@]}" --level=1 lookup --name=base \
  --context_hash="${hash_a}" "${work}/reused.tar.zst"
cmp "${work}/reused.tar.zst" "${work}/image.tar.zst"

# A corrupted artifact is refused by fetch and leaves no output file.
expect 0 "" -- "${INDEX_BIN}" "${idx[@]}" fetch docker.images.v2.level-1.base.latest "${work}/got"
cmp "${work}/got" "${work}/image.tar.zst"
digest="$(sha256sum "${work}/image.tar.zst" | cut -c1-64)"
echo "tampered" >"${work}/index/cas/sha256/${digest}"
expect 1 "the stored artifact is corrupt" -- \
  "${INDEX_BIN}" "${idx[@]}" fetch docker.images.v2.level-1.base.latest "${work}/got2"
[[ ! -e "${work}/got2" ]] || fail "a failed fetch left ${work}/got2"
# ...and by lookup with OUT_PATH, as a warning: the image must be built.
expect 3 "warning: cannot reuse docker.images.v2.level-1.base.hash.${hash_a}" -- \
  "${INDEX_BIN}" "${idx[@]}" --level=1 lookup --name=base \
  --context_hash="${hash_a}" "${work}/reused2.tar.zst"
expect_contains "${err}" "is not reusable at levels 3 down to 1" "lookup OUT_PATH message"

# The default index lives under XDG_CACHE_HOME.
XDG_CACHE_HOME="${work}/xdg" "${INDEX_BIN}" insert --name=base --context_hash="${hash_a}" \
  --image_id=sha256:1 "${work}/image.tar.zst" >/dev/null 2>&1
[[ -f "${work}/xdg/imagegraph/index/namespaces/docker/images/v2/level-1/base/latest.json" ]] ||
  fail "the default index is not under XDG_CACHE_HOME"
# Without HOME (as in a Bazel action, where builds resolve the default
# index), the default index is the password database's home's: the one
# builds write. The lookup only reads it.
passwd_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
run env -u HOME -u XDG_CACHE_HOME "${INDEX_BIN}" lookup --name=never-built --context_hash="${hash_a}"
expect_rc 3 "lookup in the default index without HOME"
expect_contains "${err}" "in local index ${passwd_home}/.cache/imagegraph/index" \
  "the default index without HOME"

# Levels in a local index hold against a symlink: with level-1/base linked
# to ../level-3/base, a level-1 insert would replace level-3's latest and
# hash entries. It is refused, naming the link, and level 3 keeps its entry.
sym="${work}/sym"
symidx=(--index="${sym}")
echo "trusted" >"${work}/trusted.tar.zst"
echo "untrusted" >"${work}/untrusted.tar.zst"
expect 0 "" -- "${INDEX_BIN}" "${symidx[@]}" --level=3 insert --name=base \
  --context_hash="${hash_a}" --image_id=sha256:3 "${work}/trusted.tar.zst"
levels="${sym}/namespaces/docker/images/v2"
mkdir -p "${levels}/level-1"
ln -s ../level-3/base "${levels}/level-1/base"
expect 1 "${levels}/level-1/base is a symlink: the local index ${sym} refuses symlinks under namespaces/" -- \
  "${INDEX_BIN}" "${symidx[@]}" --level=1 insert --name=base \
  --context_hash="${hash_a}" --image_id=sha256:1 "${work}/untrusted.tar.zst"
expect_contains "${err}" "a level-1 insert would replace level-3 entries" "the symlink refusal says why"
expect 0 "" -- "${INDEX_BIN}" "${symidx[@]}" find docker.images.v2.level-3.base.latest
expect_eq "$(jq -r '"\(.level) \(.image_id)"' <<<"${out}")" "3 sha256:3" "level 3's latest after the refused insert"
expect 1 "${levels}/level-1/base is a symlink" -- \
  "${INDEX_BIN}" "${symidx[@]}" find docker.images.v2.level-1.base.latest
expect 1 "${levels}/level-1/base is a symlink" -- \
  "${INDEX_BIN}" "${symidx[@]}" list docker.images.v2.
rm "${levels}/level-1/base"

# An entry of another level copied (not linked) under a level-3 namespace:
# find warns and ignores it, as lookup does.
expect 0 "" -- "${INDEX_BIN}" "${symidx[@]}" --level=1 insert --name=base \
  --context_hash="${hash_a}" --image_id=sha256:1 "${work}/untrusted.tar.zst"
cp "${levels}/level-1/base/latest.json" "${levels}/level-3/base/latest.json"
expect 3 "warning: local index ${sym}: entry docker.images.v2.level-3.base.latest records name \"base\", level 1" -- \
  "${INDEX_BIN}" "${symidx[@]}" find docker.images.v2.level-3.base.latest
expect_contains "${err}" "which disagree with its namespace; ignored" "find's level warning"
expect_eq "${out}" "null" "find of the misplaced entry"

# Expiry and gc: an entry that expired is ignored, and gc removes it and
# the artifacts nobody references any more.
gcidx=(--index="${work}/gc")
expect 2 "--expires_in=-1h: give a positive duration" -- "${INDEX_BIN}" "${gcidx[@]}" insert \
  --name=base --context_hash="${hash_a}" --image_id=sha256:1 --expires_in=-1h "${work}/image.tar.zst"
expect 0 "" -- "${INDEX_BIN}" "${gcidx[@]}" insert --name=short --context_hash="${hash_a}" \
  --image_id=sha256:1 --expires_in=1s "${work}/untrusted.tar.zst"
expect 0 "" -- "${INDEX_BIN}" "${gcidx[@]}" insert --name=long --context_hash="${hash_a}" \
  --image_id=sha256:1 "${work}/trusted.tar.zst"
expect_eq "$(jq -r '(.expires_at | tonumber) - (.indexed_at | tonumber)' <<<"${out}")" $((365 * 24 * 3600)) \
  "the default expiry (one year)"
sleep 2
expect 3 "expired at" -- "${INDEX_BIN}" "${gcidx[@]}" find docker.images.v2.level-1.short.latest
expect 0 "" -- "${INDEX_BIN}" "${gcidx[@]}" gc
expect_eq "${out}" "removed 3 expired entries, 1 unreferenced artifacts ($(stat -c %s "${work}/untrusted.tar.zst") bytes) and 0 temporary files; kept 3 entries and 1 artifacts" \
  "gc's report"
expect_eq "$(ls "${work}/gc/cas/sha256")" "$(sha256sum "${work}/trusted.tar.zst" | cut -c1-64)" \
  "the store after gc"
expect 2 "gc collects a local index only" -- "${INDEX_BIN}" --index=registry://127.0.0.1:1/x gc

# A read-only index (say, a shared read-only mount) that has no lock file:
# lookups go on without the lock they cannot create; a writer is refused
# with the reason. The mount is private to one command.
# read_only DIR COMMAND...: runs COMMAND with DIR mounted read-only.
read_only() {
  unshare --mount sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' \
    read_only "$@"
}
roidx=(--index="${work}/ro-index" --level=1)
expect 0 "" -- "${INDEX_BIN}" "${roidx[@]}" insert --name=base --context_hash="${hash_a}" \
  --image_id=sha256:1 "${work}/trusted.tar.zst"
rm "${work}/ro-index/.lock"
run read_only "${work}/ro-index" "${INDEX_BIN}" "${roidx[@]}" lookup --name=base --context_hash="${hash_a}"
expect_rc 0 "lookup in a read-only index"
expect_eq "$(jq -r .namespace <<<"${out}")" "docker.images.v2.level-1.base.hash.${hash_a}" \
  "the read-only lookup found"
run read_only "${work}/ro-index" "${INDEX_BIN}" "${roidx[@]}" fetch \
  "docker.images.v2.level-1.base.hash.${hash_a}" "${work}/fetched-ro.tar.zst"
expect_rc 0 "fetch from a read-only index"
cmp "${work}/trusted.tar.zst" "${work}/fetched-ro.tar.zst" || fail "the read-only fetch copied other bytes"
run read_only "${work}/ro-index" "${INDEX_BIN}" "${roidx[@]}" insert --name=other \
  --context_hash="${hash_a}" --image_id=sha256:1 "${work}/trusted.tar.zst"
expect_rc 1 "insert into a read-only index"
expect_contains "${err}" "${work}/ro-index/cas/sha256/artifact: cannot create a temporary file beside it: Read-only file system" \
  "insert into a read-only index: stderr"
run read_only "${work}/ro-index" "${INDEX_BIN}" "${roidx[@]}" gc
expect_rc 1 "gc of a read-only index"
expect_contains "${err}" "${work}/ro-index/.lock: cannot open: Read-only file system" \
  "gc of a read-only index: stderr"
[[ ! -e "${work}/ro-index/.lock" ]] || fail "the read-only index got a lock file"
echo "PASS"
