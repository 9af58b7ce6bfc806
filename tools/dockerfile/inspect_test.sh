#!/usr/bin/env bash
# The inspect tool as users run it: its JSON on stdout for a valid
# Dockerfile, `FILE:LINE: message` and exit 1 for one BuildKit refuses, exit
# 2 for a usage error; and the command of tools/dockerfile/README.md on the
# image tree.
# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
set -euo pipefail

inspect="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/dockerfile/inspect"
root="$(dirname "$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")")"
dir="${TEST_TMPDIR}/inspect"
mkdir -p "${dir}"

cat >"${dir}/Dockerfile" <<'DOCKERFILE'
ARG GO=1.22
FROM --platform=$BUILDPLATFORM golang:${GO}-${TARGETARCH} AS Build
RUN --mount=type=cache,target=/root/.cache \
    go build ./...
FROM scratch
COPY --from=build /out /
RUN --mount=from=build,target=/b <<END
ls /b
END
DOCKERFILE

arch="$(uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')"
run "${inspect}" --build_arg=GO=1.23 "${dir}/Dockerfile"
expect_rc 0 "inspect of a valid Dockerfile (stderr: ${err})"
expect_eq "$(jq -c '[.instructions[] | [.keyword, .start_line, .end_line]]' <<<"${out}")" \
  '[["ARG",1,1],["FROM",2,2],["RUN",3,4],["FROM",5,5],["COPY",6,6],["RUN",7,9]]' \
  "instructions with their first and last lines"
expect_eq "$(jq -c '.stages' <<<"${out}")" \
  "[{\"line\":2,\"name\":\"build\",\"base\":\"golang:1.23-${arch}\",\"platform\":\"linux/${arch}\"},{\"line\":5,\"name\":\"\",\"base\":\"scratch\",\"platform\":\"\"}]" \
  "stages: base expanded with the build argument and TARGETARCH"
expect_eq "$(jq -c '[.references[] | [.line, .instruction, .written, .expanded]]' <<<"${out}")" \
  "[[2,\"FROM\",\"golang:\${GO}-\${TARGETARCH}\",\"golang:1.23-${arch}\"],[5,\"FROM\",\"scratch\",\"scratch\"],[6,\"COPY\",\"build\",\"build\"],[7,\"RUN\",\"build\",\"build\"]]" \
  "references: FROM, COPY --from and RUN --mount from"

printf 'FROM scratch\nCOPY --from=$SRC /a /a\n' >"${dir}/Refused"
run "${inspect}" "${dir}/Refused"
expect_rc 1 "inspect of COPY --from=\$SRC"
expect_eq "${out}" "" "no output for a refused Dockerfile"
expect_contains "${err}" "${dir}/Refused:2: COPY --from=\$SRC: BuildKit does not expand variables in --from" \
  "the refusal names the file, the line and the reason"

run "${inspect}" "${dir}/missing"
expect_rc 1 "inspect of a missing file"
expect_contains "${err}" "${dir}/missing" "the missing file is named"

run "${inspect}"
expect_rc 2 "inspect without a file"
expect_contains "${err}" "expected one Dockerfile" "the usage error says what is missing"
run "${inspect}" --build_arg=novalue "${dir}/Dockerfile"
expect_rc 2 "a --build_arg without ="
expect_contains "${err}" "--build_arg=novalue: expected KEY=VALUE" "the bad flag is named"
run "${inspect}" --help
expect_contains "${out}${err}" "Exit codes:" "--help documents the exit codes"

# The README's example, on the image tree.
run "${inspect}" "${root}/images/decision/Dockerfile"
expect_rc 0 "inspect images/decision/Dockerfile (stderr: ${err})"
expect_eq "$(jq -r '.references[] | select(.instruction == "FROM") | .expanded' <<<"${out}")" \
  "base-build" "images/decision pulls base-build"
echo PASS
