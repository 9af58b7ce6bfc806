#!/usr/bin/env bash
# An `index insert` stopped while it copies its artifact into the store (the
# artifact is a FIFO the test feeds, so the copy is caught in the middle):
# SIGTERM, SIGINT and SIGHUP stop it with its temporary file removed and
# nothing recorded; after kill -9 the temporary file stays until the next
# insert, which removes it.
set -euo pipefail

readonly INDEX_BIN="$1"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/interrupted.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
idx=(--index="${work}/index")
store="${work}/index/cas/sha256"
hash_for() { printf '%s' "$1" | sha256sum | cut -c1-64; }

temporaries() { find "${store}" -maxdepth 1 -name '.*.tmp.*' 2>/dev/null || true; }

# start_insert NAME: starts inserting NAME from a FIFO, feeds it 1 MiB and
# waits until the copy's temporary file holds it. Sets pid.
start_insert() {
  rm -f "${work}/fifo"
  mkfifo "${work}/fifo"
  "${INDEX_BIN}" "${idx[@]}" insert --name="$1" --context_hash="$(hash_for "$1")" \
    --image_id=sha256:1 "${work}/fifo" >"${work}/out" 2>"${work}/err" &
  pid=$!
  exec 3>"${work}/fifo"
  head -c 1048576 /dev/zero >&3
  local _ temp
  for _ in $(seq 1 100); do
    temp="$(temporaries)"
    [[ -n "${temp}" && "$(stat -c %s "${temp}")" == 1048576 ]] && return 0
    sleep 0.1
  done
  fail "the insert of $1 did not copy 1 MiB into a temporary file: $(ls -la "${store}")"
}

expect_not_indexed() {
  run "${INDEX_BIN}" "${idx[@]}" find "docker.images.v2.level-1.$1.latest"
  expect_rc 3 "$2: an entry of the stopped insert of $1"
}

echo seed >"${work}/seed"
"${INDEX_BIN}" "${idx[@]}" insert --name=seed --context_hash="$(hash_for seed)" \
  --image_id=sha256:1 "${work}/seed" >/dev/null 2>&1

for signal in TERM INT HUP; do
  start_insert "by-${signal,,}"
  kill "-${signal}" "${pid}"
  status=0
  wait "${pid}" || status=$?
  exec 3>&-
  expect_eq "${status}" 1 "SIG${signal}: exit code ($(cat "${work}/err"))"
  expect_file_contains "${work}/err" "interrupted by signal $(kill -l "${signal}") while copying ${work}/fifo; nothing was stored"
  expect_eq "$(temporaries)" "" "SIG${signal}: temporary files left"
  expect_not_indexed "by-${signal,,}" "SIG${signal}"
  echo "ok: SIG${signal} stopped the insert and removed its temporary file"
done

start_insert killed
kill -KILL "${pid}"
wait "${pid}" 2>/dev/null || true
exec 3>&-
left="$(temporaries)"
[[ -n "${left}" ]] || fail "kill -9: no temporary file left (the test did not catch the copy)"
expect_not_indexed killed "kill -9"
echo "after" >"${work}/after"
"${INDEX_BIN}" "${idx[@]}" insert --name=after --context_hash="$(hash_for after)" \
  --image_id=sha256:1 "${work}/after" >/dev/null 2>"${work}/err" ||
  fail "the insert after kill -9 failed: $(cat "${work}/err")"
expect_eq "$(temporaries)" "" "the next insert after kill -9: temporary files left"
echo "ok: kill -9 left ${left##*/}; the next insert removed it"
echo "PASS"
