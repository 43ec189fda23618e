# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tests/test-cli*.sh scripts that drive `oxport` and speak
# TAP, after `set -u` and a check of $G_TEST_SRCDIR (where this file is):
#
#   : "${G_TEST_SRCDIR:?}"
#   . "$G_TEST_SRCDIR/tap.sh"
#   ...
#   tap_done
#
# Needs $OXPORT, the oxport program.  Sets PYTHON3 (default
# /usr/bin/python3), data (the reference cases, $G_TEST_SRCDIR/data) and tmp,
# a scratch folder named after the script (oxp-test-cli-layout.XXXXXX for
# test-cli-layout.sh) removed on exit, and defines:
#   ok DESCRIPTION, not_ok DESCRIPTION  one TAP point; not_ok also shows
#                      the start of $tmp/out and $tmp/err as comments
#   check DESCRIPTION SHELL-CODE  ok when SHELL-CODE (eval'd) succeeds
#   run EXPECTED_STATUS ARGS...  runs oxport ARGS with no stdin, stdout and
#                      stderr in $tmp/out and $tmp/err; fails (saying so in
#                      $tmp/err) when its exit status is not EXPECTED_STATUS
#   json EXPR        the Python expression EXPR on d = the JSON of $tmp/out
#   tap_done         the plan line; succeeds when no point failed (the
#                    script's last command, so its exit status)

: "${OXPORT:?OXPORT must name the oxport program}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
data=$G_TEST_SRCDIR/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  for f in "$tmp/out" "$tmp/err"; do
    [ -s "$f" ] && sed 's/^/#   /' "$f" | head -n 20
  done
  return 0
}
check () { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

run () {
  expected=$1; shift
  "$OXPORT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  [ "$status" -eq "$expected" ] || { echo "#   oxport $*: exit $status, expected $expected" >>"$tmp/err"; return 1; }
}
json () { "$PYTHON3" -c "import json,sys; d=json.load(open('$tmp/out')); sys.exit(0 if ($1) else 1)" 2>>"$tmp/err"; }

tap_done () {
  echo "1..$n"
  [ "$failed" -eq 0 ]
}
