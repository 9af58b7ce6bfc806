#!/usr/bin/env bash
# A NAME.push launcher for an image whose name holds newlines and shell code
# runs none of it: the name reaches imagepush as one argument, which refuses
# it, naming it.
set -uo pipefail

launcher="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/rules/hostile.push.sh"
work="$(mktemp -d "${TEST_TMPDIR}/push.XXXXXX")"
cd "${work}" || exit 1
output="$(RUNFILES_DIR="${TEST_SRCDIR}" "${launcher}" 2>&1)"
status=$?
if [[ -e PWNED || -e "${TEST_TMPDIR}/PWNED" ]]; then
  echo "FAIL: the launcher ran code from the image name" >&2
  exit 1
fi
expected=$'image name "rc-inj\ntouch PWNED\n#" is not a valid repository name'
if ((status == 0)) || [[ "${output}" != *"${expected}"* ]]; then
  echo "FAIL: expected imagepush to refuse the name, got (exit ${status}): ${output}" >&2
  exit 1
fi
echo PASS
