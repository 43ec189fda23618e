#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The validator's seq2seq chain check (oxp_validator_validate_chain()): the
# exporter and `oxport validate OUTDIR` run encoder → decoder →
# decoder-with-past (its past the decoder's presents) and the merged file on
# both branches, at two shape sets, and report "chain" rows in the table and
# the JSON.  A with-past file whose cross-attention ignores the encoder past
# passes every check of its own but fails the chain.  Prints TAP.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
case_dir=$G_TEST_SRCDIR/data/t5_decoder-with-past

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-seq2seq-chain-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# chain_rows JSON: "PASSED FAILED FIRST_FAILURE" over the chain rows, then
# the number of failed rows of the other reports.
chain_rows () {
  "$py" - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
reports = doc.get("reports") or doc.get("validation", {}).get("reports") or []
rows = [c for r in reports for c in r["checks"] if c["check"] == "chain"]
other = [c for r in reports for c in r["checks"] if c["check"] != "chain" and not c["passed"]]
bad = [c for c in rows if not c["passed"]]
first = "%s: %s" % (bad[0]["name"], bad[0]["reason"]) if bad else "-"
print(len(rows) - len(bad), len(bad), len(other), first.replace(" ", "_"))
PY
}

# The export validates the chain; its JSON has the rows.
if "$OXPORT" export --model "$case_dir" --json "$tmp/good" >"$tmp/export.json" 2>"$tmp/log"; then
  set -- $(chain_rows "$tmp/export.json")
  if [ "$1" = 8 ] && [ "$2" = 0 ]; then
    ok "export: 8 chain checks passed (4 at each shape set)"
  else
    not_ok "export: chain rows passed/failed $1/$2 ($4)"
  fi
else
  not_ok "export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# `oxport validate OUTDIR` does the same and shows them in its table.
if "$OXPORT" validate "$tmp/good" >"$tmp/table" 2>&1 &&
   [ "$(grep -c ' chain ' "$tmp/table")" = 8 ] &&
   grep -q 'decoder_with_past_model.onnx logits *chain .* ok' "$tmp/table"; then
  ok "validate OUTDIR: the table has the 8 chain rows, all ok"
else
  not_ok "validate OUTDIR: $(grep ' chain \|error' "$tmp/table" | head -n 3 | tr '\n' ' ')"
fi

# A broken chain: decoder_with_past_model.onnx's cross-attention reads zeros
# instead of past_key_values.*.encoder.value.
cp -R "$tmp/good" "$tmp/broken"
if ! "$py" - "$tmp/broken/decoder_with_past_model.onnx" >"$tmp/edit.log" 2>&1 <<'PY'
import sys
import onnx
from onnx import helper
path = sys.argv[1]
model = onnx.load(path, load_external_data=False)
g = model.graph
zero = helper.make_tensor("chain_test_zero", onnx.TensorProto.FLOAT, [], [0.0])
g.initializer.append(zero)
for inp in list(g.input):
    if not (inp.name.startswith("past_key_values.") and inp.name.endswith(".encoder.value")):
        continue
    cut = inp.name + "/ignored"
    for node in g.node:
        node.input[:] = [cut if x == inp.name else x for x in node.input]
    g.node.insert(0, helper.make_node("Mul", [inp.name, "chain_test_zero"], [cut]))
onnx.save(model, path)
PY
then
  not_ok "could not edit decoder_with_past_model.onnx: $(tail -n 2 "$tmp/edit.log" | tr '\n' ' ')"
else
  "$OXPORT" validate "$tmp/broken" --json >"$tmp/broken.json" 2>"$tmp/log"
  status=$?
  set -- $(chain_rows "$tmp/broken.json")
  case $4 in
    decoder_with_past_model.onnx_logits:_differs_by*) first_ok=1 ;;
    *) first_ok=0 ;;
  esac
  if [ "$status" -ne 0 ] && [ "$3" = 0 ] && [ "$2" -ge 2 ] && [ "$first_ok" = 1 ]; then
    ok "broken cross-attention: every per-file check passes, $2 chain checks fail (exit $status): $(echo "$4" | tr '_' ' ')"
  else
    not_ok "broken cross-attention: exit $status, chain passed/failed $1/$2, other failures $3, first $4"
  fi
fi

# An fp16 export: `oxport validate OUTDIR` compares the chain at the
# half-precision tolerance, as the export itself does.
if "$OXPORT" export --model "$case_dir" --dtype fp16 --no-validate "$tmp/half" >"$tmp/log" 2>&1; then
  if "$OXPORT" validate "$tmp/half" --json >"$tmp/half.json" 2>"$tmp/log"; then
    set -- $(chain_rows "$tmp/half.json")
    if [ "$1" = 8 ] && [ "$2" = 0 ]; then
      ok "validate OUTDIR of an fp16 export: 8 chain checks pass at the fp16 tolerance"
    else
      not_ok "validate OUTDIR of an fp16 export: chain passed/failed $1/$2 ($4)"
    fi
  else
    set -- $(chain_rows "$tmp/half.json")
    not_ok "validate OUTDIR of an fp16 export failed: chain passed/failed $1/$2 ($4)"
  fi
else
  not_ok "fp16 export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

echo "1..$n"
exit $failed
