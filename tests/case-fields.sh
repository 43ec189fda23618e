# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tests/test-*-cases.sh harnesses (needs $py, a python3).
#
# case_fields CASE_DIR NAME=EXPR...: sets each shell variable NAME to the
# value of EXPR, a Python expression on `c` (the parsed case.json; `os` is
# imported), reading case.json in one python3 run for all of them: one
# start-up per case instead of one per field.  An expression that raises
# (a key the case lacks) gives the empty string and a message on stderr,
# as one python3 run per field did.  Fails when case.json cannot be read.
case_fields () {
  _case_fields_out=$("$py" - "$@" <<'PY'
import json, os, shlex, sys
c = json.load(open(os.path.join(sys.argv[1], "case.json")))
for arg in sys.argv[2:]:
    name, expr = arg.split("=", 1)
    try:
        value = str(eval(expr))
    except Exception as e:
        print("%s/case.json: %s: %r" % (sys.argv[1], expr, e), file=sys.stderr)
        value = ""
    print("%s=%s" % (name, shlex.quote(value)))
PY
) || return 1
  eval "$_case_fields_out"
}
