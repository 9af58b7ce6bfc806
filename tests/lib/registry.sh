#!/usr/bin/env bash
# registry.sh: starts real Docker registries (Debian's docker-registry) on
# 127.0.0.1 for tests. Source it from a bash test:
#
#   source tests/lib/registry.sh
#   registry_start plain                 # anonymous registry
#   registry_start secure alice s3cret   # registry requiring htpasswd basic auth
#   echo "${REGISTRY_ADDR[plain]}"       # 127.0.0.1:PORT
#
# Functions:
#   registry_start ID [USER PASSWORD]
#       Starts a registry named ID on a free loopback port with storage in a
#       fresh temporary directory; with USER and PASSWORD it requires basic
#       auth (bcrypt htpasswd from apache2-utils). Waits (at most 20 s) until
#       GET /v2/ answers, else prints the log and returns 1. Sets, keyed by ID:
#         REGISTRY_ADDR[ID]     host:port to push to / pull from
#         REGISTRY_STORAGE[ID]  the storage root (blobs under
#                               docker/registry/v2/blobs/sha256/XX/DIGEST/data)
#         REGISTRY_LOG[ID]      the registry's log, access log included
#         REGISTRY_PID[ID]      its process id
#       All registries are stopped, and their directories removed, when the
#       sourcing shell exits (an EXIT trap; see registry_on_exit).
#   registry_stop ID
#       Stops registry ID and waits for it; its storage stays (for inspection)
#       until exit. Use it to test "registry down".
#   registry_count_requests ID METHOD PATH_REGEX
#       Prints how many access-log lines of registry ID match METHOD and the
#       extended regex PATH_REGEX, e.g.
#         registry_count_requests plain POST '/v2/.*/blobs/uploads/'
#   registry_free_port
#       Prints a TCP port on 127.0.0.1 that was free a moment ago.
#   registry_on_exit CMD
#       Adds CMD to the EXIT cleanup (run before the registries stop), so that
#       callers need not replace the trap.
#
# The temporary directories live under ${TEST_TMPDIR:-${TMPDIR:-/tmp}}.

declare -gA REGISTRY_ADDR=() REGISTRY_STORAGE=() REGISTRY_LOG=() REGISTRY_PID=() REGISTRY_DIR=()
declare -ga _REGISTRY_EXIT_HOOKS=()

registry_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Prints the HTTP status of GET URL, or 000 when nothing answers.
_registry_http_status() {
  python3 - "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=1).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

registry_on_exit() {
  _REGISTRY_EXIT_HOOKS+=("$1")
}

_registry_cleanup() {
  local hook id
  for hook in "${_REGISTRY_EXIT_HOOKS[@]}"; do
    eval "${hook}" || true
  done
  for id in "${!REGISTRY_PID[@]}"; do
    registry_stop "${id}"
  done
  for id in "${!REGISTRY_DIR[@]}"; do
    rm -rf "${REGISTRY_DIR[${id}]}"
  done
}
trap _registry_cleanup EXIT

registry_start() {
  local id="$1" user="${2:-}" password="${3:-}"
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "registry.sh: docker-registry is not installed (Debian package docker-registry; ./bazelw installs it)" >&2
    return 1
  fi
  local dir port
  dir="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/registry.${id}.XXXXXX")"
  port="$(registry_free_port)"
  mkdir -p "${dir}/storage"
  local auth_section=""
  if [[ -n "${user}" ]]; then
    if ! command -v htpasswd >/dev/null 2>&1; then
      echo "registry.sh: htpasswd is not installed (Debian package apache2-utils)" >&2
      return 1
    fi
    htpasswd -Bbn "${user}" "${password}" >"${dir}/htpasswd"
    auth_section="auth:
  htpasswd:
    realm: imagegraph-test
    path: ${dir}/htpasswd"
  fi
  cat >"${dir}/config.yml" <<YAML
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${dir}/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth_section}
YAML
  docker-registry serve "${dir}/config.yml" >"${dir}/registry.log" 2>&1 &
  local pid=$!
  REGISTRY_ADDR[${id}]="127.0.0.1:${port}"
  REGISTRY_STORAGE[${id}]="${dir}/storage"
  REGISTRY_LOG[${id}]="${dir}/registry.log"
  REGISTRY_PID[${id}]="${pid}"
  REGISTRY_DIR[${id}]="${dir}"
  local i code
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      break
    fi
    # 200 (anonymous) or 401 (auth required) both mean it is serving.
    code="$(_registry_http_status "http://127.0.0.1:${port}/v2/")"
    if [[ "${code}" == 200 || "${code}" == 401 ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "registry.sh: registry ${id} did not come up on 127.0.0.1:${port}; its log:" >&2
  cat "${dir}/registry.log" >&2
  return 1
}

registry_stop() {
  local id="$1"
  local pid="${REGISTRY_PID[${id}]:-}"
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
    unset "REGISTRY_PID[${id}]"
  fi
}

registry_count_requests() {
  local id="$1" method="$2" path_regex="$3"
  grep -cE "\"${method} ${path_regex}[^\"]* HTTP/" "${REGISTRY_LOG[${id}]}" || true
}
