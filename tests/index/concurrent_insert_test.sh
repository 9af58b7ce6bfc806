#!/usr/bin/env bash
# Many processes insert into one local index at once; afterwards every entry
# is present, whole, and points at an intact artifact.
set -euo pipefail

readonly INDEX_BIN="$1"
readonly PROCESSES=8
readonly INSERTS_PER_PROCESS=50
readonly NAMES=(alpha beta gamma delta)

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/concurrent.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
index_dir="${work}/index"

hash_for() { printf '%s' "$1" | sha256sum | cut -c1-64; }

writer() {
  local process="$1" i name artifact
  for ((i = 0; i < INSERTS_PER_PROCESS; i++)); do
    name="${NAMES[$(((process + i) % ${#NAMES[@]}))]}"
    artifact="${work}/artifact.${process}.${i}"
    # Half of the artifacts are shared between processes, to race on the
    # content-addressed store as well.
    if ((i % 2 == 0)); then echo "shared ${i}" >"${artifact}"; else echo "own ${process} ${i}" >"${artifact}"; fi
    "${INDEX_BIN}" --index="${index_dir}" --level=1 insert \
      --name="${name}" --context_hash="$(hash_for "${process}-${i}")" \
      --image_id="sha256:$(hash_for "id-${process}-${i}")" --revision="p${process}" \
      --namespace="docker.images.v2.level-1.${name}.by-writer.p${process}.i${i}" \
      "${artifact}" >/dev/null 2>"${work}/writer.${process}.err" || {
      echo "writer ${process} insert ${i} failed:" >&2
      cat "${work}/writer.${process}.err" >&2
      return 1
    }
  done
}

# While the writers run, a reader keeps reading every .latest: it may find
# none yet (exit 3) but never a partial or corrupt entry (exit 1).
reader() {
  local name code
  while [[ ! -e "${work}/writers-done" ]]; do
    for name in "${NAMES[@]}"; do
      code=0
      "${INDEX_BIN}" --index="${index_dir}" find \
        "docker.images.v2.level-1.${name}.latest" >/dev/null 2>"${work}/reader.err" || code=$?
      if ((code != 0 && code != 3)); then
        echo "reader saw a broken entry:" >&2
        cat "${work}/reader.err" >&2
        return 1
      fi
    done
  done
}
reader &
reader_pid=$!

pids=()
for ((p = 0; p < PROCESSES; p++)); do
  writer "${p}" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "${pid}"; done
touch "${work}/writers-done"
wait "${reader_pid}"

failures=0
# One `find` for every namespace written, checked against what was inserted.
expected="${work}/expected"
namespaces=()
for ((p = 0; p < PROCESSES; p++)); do
  for ((i = 0; i < INSERTS_PER_PROCESS; i++)); do
    name="${NAMES[$(((p + i) % ${#NAMES[@]}))]}"
    hash="$(hash_for "${p}-${i}")"
    image_id="sha256:$(hash_for "id-${p}-${i}")"
    for ns in "docker.images.v2.level-1.${name}.hash.${hash}" \
      "docker.images.v2.level-1.${name}.by-writer.p${p}.i${i}"; do
      namespaces+=("${ns}")
      echo "${hash} ${image_id} ${name} p${p}" >>"${expected}"
    done
  done
done
if ! "${INDEX_BIN}" --index="${index_dir}" find "${namespaces[@]}" >"${work}/found"; then
  echo "some entries are missing" >&2
  failures=$((failures + 1))
fi
jq -r 'if . == null then "missing" else "\(.context_hash) \(.image_id) \(.name) \(.revision)" end' \
  <"${work}/found" >"${work}/actual"
if ! diff "${expected}" "${work}/actual" >&2; then
  echo "entries differ from what was inserted (expected < > found)" >&2
  failures=$((failures + 1))
fi
echo "checked ${#namespaces[@]} entries"

# Artifacts: a sample of fetches, each verified against its digest by fetch
# and compared with what was inserted.
for ((p = 0; p < PROCESSES; p++)); do
  for ((i = p; i < INSERTS_PER_PROCESS; i += 10)); do
    name="${NAMES[$(((p + i) % ${#NAMES[@]}))]}"
    "${INDEX_BIN}" --index="${index_dir}" fetch \
      "docker.images.v2.level-1.${name}.hash.$(hash_for "${p}-${i}")" "${work}/fetched" >/dev/null
    if ((i % 2 == 0)); then want="shared ${i}"; else want="own ${p} ${i}"; fi
    if [[ "$(cat "${work}/fetched")" != "${want}" ]]; then
      echo "artifact of ${p}-${i} is wrong" >&2
      failures=$((failures + 1))
    fi
  done
done

# Every .latest names one of that image's inserts, and the browse lists
# exactly the inserted hashes.
for name in "${NAMES[@]}"; do
  latest_hash="$("${INDEX_BIN}" --index="${index_dir}" find "docker.images.v2.level-1.${name}.latest" | jq -r .context_hash)"
  if ! "${INDEX_BIN}" --index="${index_dir}" find "docker.images.v2.level-1.${name}.hash.${latest_hash}" >/dev/null; then
    echo "latest of ${name} names an unknown hash ${latest_hash}" >&2
    failures=$((failures + 1))
  fi
done
listed="$("${INDEX_BIN}" --index="${index_dir}" list docker.images.v2.level-1. | grep -c '\.hash\.')"
if [[ "${listed}" != $((PROCESSES * INSERTS_PER_PROCESS)) ]]; then
  echo "list found ${listed} hash entries, want $((PROCESSES * INSERTS_PER_PROCESS))" >&2
  failures=$((failures + 1))
fi
leftovers="$(find "${index_dir}" -name '.*.tmp.*' | wc -l)"
if [[ "${leftovers}" != 0 ]]; then
  echo "${leftovers} temporary files left behind" >&2
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "FAIL: ${failures} problems" >&2
  exit 1
fi
echo "PASS: ${PROCESSES} processes x ${INSERTS_PER_PROCESS} inserts, all entries intact"
