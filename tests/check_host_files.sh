#!/usr/bin/env bash
# `ldpin check` over every ELF file of this machine's /usr/bin and
# /usr/lib/x86_64-linux-gnu (run under ASan in the asan preset): it must
# finish with a verdict (0 or 1, and its summary line), never crash. The
# loader model once kept pointers into a vector it went on growing and
# crashed on /usr/bin/appstreamcli.
set -u
ldpin=$1
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$ldpin" check /usr/bin /usr/lib/x86_64-linux-gnu >/dev/null 2>"$err"
rc=$?
if [ "$rc" -gt 1 ] || grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$err"; then
  echo "ldpin check crashed or misbehaved (exit $rc):"
  grep -E -A30 'AddressSanitizer|runtime error|LeakSanitizer' "$err" | head -60
  echo "0 passed, 1 failed"
  exit 1
fi
if ! tail -1 "$err" | grep -qE 'problems? in [0-9]+ files?|no problem'; then
  echo "no summary line: $(tail -1 "$err")"
  exit 1
fi
echo "ldpin check: exit $rc, $(tail -1 "$err")"
