#!/usr/bin/env bash
# remote_cache.sh: starts a real nginx with WebDAV on 127.0.0.1 as Bazel's
# HTTP remote cache (--remote_cache=http://127.0.0.1:PORT) for tests and
# benchmarks. Source it from bash:
#
#   source tests/lib/remote_cache.sh
#   remote_cache_start                       # sets REMOTE_CACHE_URL
#   bazel build --remote_cache="${REMOTE_CACHE_URL}" //...
#   remote_cache_bytes GET                   # bytes nginx served
#
# Functions:
#   remote_cache_start [USER PASSWORD]
#       Starts nginx on a free loopback port, storing entries under a fresh
#       temporary directory (Bazel's layout: ac/HASH and cas/HASH), and waits
#       (at most 20 s) until it answers. With USER and PASSWORD, anyone may
#       read but only USER may write (HTTP Basic, as a production cache gives
#       trunk workers a write credential and try workers none). Sets REMOTE_CACHE_URL
#       (http://127.0.0.1:PORT), REMOTE_CACHE_DIR (the store),
#       REMOTE_CACHE_LOG (the access log) and REMOTE_CACHE_PID. The server is
#       stopped, and its directory removed, when the sourcing shell exits.
#   remote_cache_mark
#       Remembers the access log's current length: the counting functions
#       below then see only the requests made after the mark.
#   remote_cache_bytes METHOD [PATH_REGEX]
#       Bytes moved by the requests of METHOD since the mark whose path
#       matches the extended regex PATH_REGEX (default: any): the response
#       bodies nginx sent for GET, the request bodies it received for PUT.
#   remote_cache_requests METHOD [PATH_REGEX] [STATUS]
#       How many such requests there were (with STATUS, only those answered
#       with it).
#   remote_cache_get_paths
#       The paths of the successful GETs since the mark, one per line, with
#       the bytes sent: "BYTES /cas/HASH".
#   remote_cache_stop
#       Stops the server now (its store stays until exit).
# It sources tests/lib/registry.sh (beside it) unless the caller did: the
# server stops through registry.sh's EXIT hooks (registry_on_exit), and the
# free port and the readiness check are registry.sh's.
#
# The access log has one line per request: METHOD PATH STATUS BODY_BYTES_SENT
# REQUEST_LENGTH (the request length includes the request line and headers).

if ! declare -F registry_on_exit >/dev/null; then
  source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"
fi

declare -g REMOTE_CACHE_URL="" REMOTE_CACHE_DIR="" REMOTE_CACHE_LOG="" REMOTE_CACHE_PID=""
declare -g _REMOTE_CACHE_ROOT="" _REMOTE_CACHE_MARK=0

remote_cache_stop() {
  if [[ -n "${REMOTE_CACHE_PID}" ]]; then
    kill "${REMOTE_CACHE_PID}" 2>/dev/null || true
    wait "${REMOTE_CACHE_PID}" 2>/dev/null || true
    REMOTE_CACHE_PID=""
  fi
}

_remote_cache_cleanup() {
  remote_cache_stop
  [[ -n "${_REMOTE_CACHE_ROOT}" ]] && rm -rf "${_REMOTE_CACHE_ROOT}"
  return 0
}

remote_cache_start() {
  local user="${1:-}" password="${2:-}"
  if ! command -v nginx >/dev/null 2>&1; then
    echo "remote_cache.sh: nginx is not installed (Debian package nginx; ./bazelw installs it)" >&2
    return 1
  fi
  local root port
  root="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/remote-cache.XXXXXX")"
  _REMOTE_CACHE_ROOT="${root}"
  port="$(registry_free_port)"
  mkdir -p "${root}/store" "${root}/tmp" "${root}/logs"
  # Workers of an nginx started by root would run as nobody and could not
  # write the store; as a user, nginx runs as that user anyway.
  local user_line=""
  [[ "$(id -u)" == 0 ]] && user_line="user root;"
  local write_rule=""
  if [[ -n "${user}" ]]; then
    if ! command -v htpasswd >/dev/null 2>&1; then
      echo "remote_cache.sh: htpasswd is not installed (Debian package apache2-utils)" >&2
      return 1
    fi
    htpasswd -nbm "${user}" "${password}" >"${root}/htpasswd"
    write_rule="limit_except GET HEAD {
        auth_basic imagegraph-cache;
        auth_basic_user_file ${root}/htpasswd;
      }"
  fi
  cat >"${root}/nginx.conf" <<CONF
${user_line}
worker_processes 2;
pid ${root}/nginx.pid;
error_log ${root}/logs/error.log warn;
events { worker_connections 256; }
http {
  log_format cache '\$request_method \$uri \$status \$body_bytes_sent \$request_length';
  access_log ${root}/logs/access.log cache;
  client_body_temp_path ${root}/tmp/body;
  proxy_temp_path ${root}/tmp/proxy;
  fastcgi_temp_path ${root}/tmp/fastcgi;
  uwsgi_temp_path ${root}/tmp/uwsgi;
  scgi_temp_path ${root}/tmp/scgi;
  client_max_body_size 0;
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    location / {
      root ${root}/store;
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      ${write_rule}
    }
  }
}
CONF
  nginx -p "${root}" -c "${root}/nginx.conf" -g 'daemon off;' >"${root}/logs/nginx.out" 2>&1 &
  REMOTE_CACHE_PID=$!
  REMOTE_CACHE_URL="http://127.0.0.1:${port}"
  REMOTE_CACHE_DIR="${root}/store"
  REMOTE_CACHE_LOG="${root}/logs/access.log"
  _REMOTE_CACHE_MARK=0
  local i code
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "${REMOTE_CACHE_PID}" 2>/dev/null; then
      break
    fi
    code="$(_registry_http_status "${REMOTE_CACHE_URL}/ac/0")"
    if [[ "${code}" == 404 ]]; then
      : >"${REMOTE_CACHE_LOG}"
      return 0
    fi
    sleep 0.1
  done
  echo "remote_cache.sh: nginx did not come up on 127.0.0.1:${port}; its logs:" >&2
  cat "${root}/logs/nginx.out" "${root}/logs/error.log" >&2 2>/dev/null
  return 1
}

remote_cache_mark() {
  _REMOTE_CACHE_MARK="$(wc -l <"${REMOTE_CACHE_LOG}")"
}

_remote_cache_since_mark() {
  tail -n "+$((_REMOTE_CACHE_MARK + 1))" "${REMOTE_CACHE_LOG}"
}

remote_cache_bytes() {
  local method="$1" regex="${2:-.}"
  _remote_cache_since_mark | awk -v m="${method}" -v re="${regex}" '
    $1 == m && $2 ~ re { total += (m == "PUT" ? $5 : $4) }
    END { printf "%d\n", total }'
}

remote_cache_requests() {
  local method="$1" regex="${2:-.}" status="${3:-}"
  _remote_cache_since_mark | awk -v m="${method}" -v re="${regex}" -v s="${status}" '
    $1 == m && $2 ~ re && (s == "" || $3 == s) { n++ }
    END { printf "%d\n", n }'
}

remote_cache_get_paths() {
  _remote_cache_since_mark | awk '$1 == "GET" && $3 == 200 { print $4, $2 }'
}

registry_on_exit _remote_cache_cleanup
