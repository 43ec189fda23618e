# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the plugin export scripts (tests/test-t5-export.sh,
# test-whisper-export.sh, test-bart-export.sh) after `set -u`.  Skips the
# whole script (TAP plan 1..0) when $OXPORT is not a program.  Sets py (a
# python3), data (the reference cases) and tmp, a scratch folder named after
# the script (oxp-t5-export-XXXXXX) removed on exit, and defines:
#   ok DESCRIPTION, not_ok DESCRIPTION  one TAP point; the script ends with
#                    echo "1..$n"; exit $failed
#   skip_all WHY     the plan 1..0 with WHY, and exit
#   case_variant NAME CASE_DIR PYTHON  $tmp/NAME, a copy of CASE_DIR's
#                    checkpoint whose config.json `c` the Python statement
#                    changes
#   edit_tensors NAME PYTHON  rewrites $tmp/NAME/model.safetensors; the
#                    Python statement changes `t`, a dict name -> (dtype,
#                    shape, bytes)
#   refused NAME DIR WORDS...  one point: the export of DIR fails with a
#                    message holding every word, and leaves no output folder

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
py=${PYTHON3:-/usr/bin/python3}
data=$G_TEST_SRCDIR/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-$(basename "$0" .sh | sed 's/^test-//')-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

case_variant () {
  mkdir "$tmp/$1" && cp "$2/model.safetensors" "$2/generation_config.json" "$tmp/$1/" &&
    "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(c, open(sys.argv[2], "w"))' \
      "$2/config.json" "$tmp/$1/config.json" "$3"
}

edit_tensors () {
  "$py" - "$tmp/$1/model.safetensors" "$2" <<'PY'
import json, struct, sys
path, code = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header, body = json.loads(data[8:8 + n]), data[8 + n:]
meta = header.pop("__metadata__", None)
t = {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
     for k, v in header.items()}
exec(code)
out, blobs, offset = {}, [], 0
if meta is not None:
    out["__metadata__"] = meta
for name, (dtype, shape, blob) in t.items():
    out[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
text = json.dumps(out).encode()
text += b" " * (-len(text) % 8)
open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
PY
}

refused () {
  name=$1 dir=$2
  shift 2
  out=$tmp/out-$name
  "$OXPORT" export --model "$dir" --no-validate "$out" >"$tmp/log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    not_ok "$name: the export succeeded"
    return
  fi
  for word in "$@"; do
    if ! grep -qF -- "$word" "$tmp/log"; then
      not_ok "$name: the message does not name '$word': $(head -c 300 "$tmp/log")"
      return
    fi
  done
  if [ -e "$out" ]; then
    not_ok "$name: $out was written"
    return
  fi
  ok "$name: exit $status, $(grep -m1 error "$tmp/log")"
}
