#!/usr/bin/env bash
# A NAME.load launcher for an image whose name is shell code runs none of it:
# every substituted value is one quoted word. (Its metadata is empty, so the
# launcher stops at the metadata check, naming the target.)
set -uo pipefail

launcher="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/rules/hostile.load.sh"
work="$(mktemp -d "${TEST_TMPDIR}/load.XXXXXX")"
cd "${work}" || exit 1
output="$(RUNFILES_DIR="${TEST_SRCDIR}" "${launcher}" 2>&1)"
status=$?
if [[ -e PWNED || -e "${TEST_TMPDIR}/PWNED" ]]; then
  echo "FAIL: the launcher ran code from the image name" >&2
  exit 1
fi
if ((status == 0)) || [[ "${output}" != *"//tests/rules:hostile.load: "*"lacks an image_id"* ]]; then
  echo "FAIL: expected the metadata error naming the target, got (exit ${status}): ${output}" >&2
  exit 1
fi
grep -qF " 'rc-inj\$(touch\${IFS}PWNED)' " "${launcher}" ||
  { echo "FAIL: the name is not one quoted word in ${launcher}" >&2; exit 1; }
echo PASS
