#!/usr/bin/env bash
# registry.sh: starts real Docker registries (Debian's docker-registry) on
# 127.0.0.1 for tests. Source it from a bash test:
#
#   source tests/lib/registry.sh
#   registry_start plain                 # anonymous registry
#   registry_start secure alice s3cret   # registry requiring htpasswd basic auth
#   registry_start tokens alice s3cret token   # registry requiring a token
#   echo "${REGISTRY_ADDR[plain]}"       # 127.0.0.1:PORT
#
# Functions:
#   registry_start ID [USER PASSWORD [token]]
#       Starts a registry named ID on a free loopback port with storage in a
#       fresh temporary directory; with USER and PASSWORD it requires basic
#       auth (bcrypt htpasswd from apache2-utils), and with "token" after
#       them a Bearer token from a token service (tests/lib/token_server.py,
#       started beside it, which takes USER and PASSWORD). Waits (at most 20 s) until
#       GET /v2/ answers, else prints the log and returns 1. Sets, keyed by ID:
#         REGISTRY_ADDR[ID]     host:port to push to / pull from
#         REGISTRY_STORAGE[ID]  the storage root (blobs under
#                               docker/registry/v2/blobs/sha256/XX/DIGEST/data)
#         REGISTRY_LOG[ID]      the registry's log, access log included
#         REGISTRY_PID[ID]      its process id
#       All registries are stopped, and their directories removed, when the
#       sourcing shell exits (an EXIT trap; see registry_on_exit).
#   registry_token_user ID USER PASSWORD [PATTERN=ACTIONS]...
#       Adds USER (or replaces it) among the users of registry ID's token
#       service (a registry started with "token"). Without grants USER may do
#       anything; with them, only the ACTIONS (comma-separated: pull, push)
#       on the repositories matching each fnmatch PATTERN, e.g.
#         registry_token_user tokens try pw 'team/index/level-3=pull' \
#           'team/index/level-1=pull,push'
#       A token then grants the requested actions the user may do, and the
#       registry refuses the rest (HTTP 401), as a production token service
#       does.
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
declare -gA _REGISTRY_TOKEN_PID=()

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
  local id="$1" user="${2:-}" password="${3:-}" mode="${4:-basic}"
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "registry.sh: docker-registry is not installed (Debian package docker-registry; ./bazelw installs it)" >&2
    return 1
  fi
  local dir port
  dir="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/registry.${id}.XXXXXX")"
  port="$(registry_free_port)"
  mkdir -p "${dir}/storage"
  local auth_section=""
  if [[ -n "${user}" && "${mode}" == token ]]; then
    # Not in $(...): the service's pid must be kept in this shell.
    _registry_start_token_server "${id}" "${dir}" "${user}" "${password}" || return 1
    auth_section="$(cat "${dir}/auth.yml")"
  elif [[ -n "${user}" ]]; then
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

# Starts the token service of registry ID in DIR and writes the registry's
# auth section for it to DIR/auth.yml.
_registry_start_token_server() {
  local id="$1" dir="$2" user="$3" password="$4"
  local server
  server="$(dirname "${BASH_SOURCE[0]}")/token_server.py"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=imagegraph-token \
    -keyout "${dir}/token.key" -out "${dir}/token.crt" >/dev/null 2>&1 || {
    echo "registry.sh: openssl could not make the token signing key" >&2
    return 1
  }
  echo '{}' >"${dir}/token_users.json"
  _registry_write_token_user "${dir}/token_users.json" "${user}" "${password}" || return 1
  python3 "${server}" "${dir}/token.port" "${dir}/token.key" "${dir}/token.crt" \
    imagegraph-test-issuer "${dir}/token_users.json" >"${dir}/token.log" 2>&1 &
  _REGISTRY_TOKEN_PID[${id}]=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "${dir}/token.port" ]] && break
    sleep 0.1
  done
  if [[ ! -s "${dir}/token.port" ]]; then
    echo "registry.sh: the token service of ${id} did not start; its log:" >&2
    cat "${dir}/token.log" >&2
    return 1
  fi
  cat >"${dir}/auth.yml" <<AUTH
auth:
  token:
    realm: http://127.0.0.1:$(cat "${dir}/token.port")/token
    service: imagegraph-registry
    issuer: imagegraph-test-issuer
    rootcertbundle: ${dir}/token.crt
AUTH
}

# Writes USER (PASSWORD, grants PATTERN=ACTIONS...) into the users file FILE.
_registry_write_token_user() {
  local file="$1" user="$2" password="$3"
  shift 3
  python3 - "${file}" "${user}" "${password}" "$@" <<'PY'
import json, os, sys
path, user, password, grants = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(path) as f:
    users = json.load(f)
entry = {"password": password}
if grants:
    entry["grants"] = {}
    for grant in grants:
        pattern, _, actions = grant.partition("=")
        entry["grants"][pattern] = actions.split(",")
users[user] = entry
with open(path + ".tmp", "w") as f:
    json.dump(users, f)
os.rename(path + ".tmp", path)
PY
}

registry_token_user() {
  local id="$1"
  local file="${REGISTRY_DIR[${id}]:-}/token_users.json"
  if [[ ! -f "${file}" ]]; then
    echo "registry.sh: registry ${id} has no token service (start it with USER PASSWORD token)" >&2
    return 1
  fi
  shift
  _registry_write_token_user "${file}" "$@"
}

registry_stop() {
  local id="$1"
  local pid="${REGISTRY_PID[${id}]:-}"
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
    unset "REGISTRY_PID[${id}]"
  fi
  local token_pid="${_REGISTRY_TOKEN_PID[${id}]:-}"
  if [[ -n "${token_pid}" ]]; then
    kill "${token_pid}" 2>/dev/null || true
    wait "${token_pid}" 2>/dev/null || true
    unset "_REGISTRY_TOKEN_PID[${id}]"
  fi
}

registry_count_requests() {
  local id="$1" method="$2" path_regex="$3"
  grep -cE "\"${method} ${path_regex}[^\"]* HTTP/" "${REGISTRY_LOG[${id}]}" || true
}
