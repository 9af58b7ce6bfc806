#!/usr/bin/env bash
# `index gc` while real inserts and fetches run on the same local index:
# writers re-insert their image many times (most of their artifacts end up
# unreferenced, some entries expire within a second), gc runs in a loop,
# readers fetch. Nothing may break while it runs (a fetch either verifies or
# says the image must be built), and afterwards, with one last gc, every
# entry's artifact is there and intact, no artifact is unreferenced and no
# temporary file is left.
set -euo pipefail

readonly INDEX_BIN="$1"
readonly WRITERS=4
readonly INSERTS=25

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/gc.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
idx=(--index="${work}/index")

hash_for() { printf '%s' "$1" | sha256sum | cut -c1-64; }

writer() {
  local w="$1" i hash expires
  for ((i = 0; i < INSERTS; i++)); do
    echo "writer ${w} insert ${i}" >"${work}/artifact.${w}.${i}"
    # Half the inserts re-insert the same context hash (the previous
    # artifact loses its hash and latest entries); every fourth expires at
    # once. The last one stays, so each writer's latest is known.
    if ((i % 2 == 0)); then hash="$(hash_for "w${w}")"; else hash="$(hash_for "w${w}-${i}")"; fi
    expires=()
    if ((i % 4 == 1 && i + 1 < INSERTS)); then expires=(--expires_in=1s); fi
    "${INDEX_BIN}" "${idx[@]}" insert --name="w${w}" --context_hash="${hash}" \
      --image_id="sha256:$(hash_for "id-${w}-${i}")" "${expires[@]}" \
      "${work}/artifact.${w}.${i}" >/dev/null 2>"${work}/writer.${w}.err" || {
      echo "writer ${w} insert ${i} failed:" >&2
      cat "${work}/writer.${w}.err" >&2
      return 1
    }
  done
}

collector() {
  local runs=0
  while [[ ! -e "${work}/writers-done" ]]; do
    "${INDEX_BIN}" "${idx[@]}" gc >>"${work}/gc.out" 2>"${work}/gc.err" || {
      echo "gc failed while writers ran:" >&2
      cat "${work}/gc.err" >&2
      return 1
    }
    runs=$((runs + 1))
  done
  echo "${runs}" >"${work}/gc.runs"
}

# A fetch that succeeds has verified the artifact against its digest; one
# that cannot (the entry moved on, or expired, under it) says the image
# must be built (exit 3). Exit 1, a broken index, must never happen.
reader() {
  local w code
  while [[ ! -e "${work}/writers-done" ]]; do
    for ((w = 0; w < WRITERS; w++)); do
      code=0
      "${INDEX_BIN}" "${idx[@]}" lookup --name="w${w}" --context_hash="$(hash_for "w${w}")" \
        "${work}/read.${w}" >/dev/null 2>"${work}/reader.err" || code=$?
      if ((code != 0 && code != 3)); then
        echo "a reader saw a broken index:" >&2
        cat "${work}/reader.err" >&2
        return 1
      fi
      if ((code == 0)) && ! grep -qx "writer ${w} insert [0-9]*" "${work}/read.${w}"; then
        fail "a reader got $(cat "${work}/read.${w}") for w${w}"
      fi
    done
  done
}

mkdir -p "${work}/index"
collector &
collector_pid=$!
reader &
reader_pid=$!
pids=()
for ((w = 0; w < WRITERS; w++)); do
  writer "${w}" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "${pid}"; done
touch "${work}/writers-done"
wait "${collector_pid}"
wait "${reader_pid}"
echo "gc ran $(cat "${work}/gc.runs") times while $((WRITERS * INSERTS)) inserts ran"
removed="$(awk '{s += $5} END {print s + 0}' "${work}/gc.out")"
((removed > 0)) || fail "gc removed no artifact while the writers ran: $(tail -n 3 "${work}/gc.out")"

sleep 2  # the short-lived entries expire
final="$("${INDEX_BIN}" "${idx[@]}" gc)"
echo "the last gc: ${final}"
again="$("${INDEX_BIN}" "${idx[@]}" gc)"
expect_contains "${again}" "removed 0 expired entries, 0 unreferenced artifacts (0 bytes) and 0 temporary files" \
  "a gc right after the last one"

# Every entry left fetches, verified; every artifact left is referenced.
referenced="${work}/referenced"
: >"${referenced}"
while IFS= read -r ns; do
  "${INDEX_BIN}" "${idx[@]}" fetch "${ns}" "${work}/check" >"${work}/entry" ||
    fail "entry ${ns} does not fetch after gc"
  jq -r '.digest | sub("^sha256:"; "")' <"${work}/entry" >>"${referenced}"
done < <("${INDEX_BIN}" "${idx[@]}" list docker.)
expect_eq "$(ls "${work}/index/cas/sha256" | sort)" "$(sort -u "${referenced}")" \
  "the store holds exactly the referenced artifacts"
leftovers="$(find "${work}/index" -name '.*.tmp.*')"
expect_eq "${leftovers}" "" "temporary files left"
for ((w = 0; w < WRITERS; w++)); do
  "${INDEX_BIN}" "${idx[@]}" fetch "docker.images.v2.level-1.w${w}.latest" "${work}/latest" >/dev/null
  expect_eq "$(cat "${work}/latest")" "writer ${w} insert $((INSERTS - 1))" "w${w}'s latest"
done
echo "PASS"
