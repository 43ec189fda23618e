#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `oxport validate`: exit status and reported reason of each kind of failure,
# against the command-line contract (0 valid; 1 validation failure or bad
# input; errors on stderr as "oxport: error: <message>").  The models have
# the inputs and output of a BERT feature-extraction export (config from
# tests/data/bert_feature-extraction) but made-up weights, so they are
# structurally valid and numerically far from the reference vectors.

set -u

n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
"$OXPORT" validate --help >/dev/null 2>&1 || skip_all "$OXPORT has no validate command"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-cli-validate-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"${PYTHON3:-python3}" "$G_TEST_SRCDIR/gen-test-models.py" "$tmp/models" >/dev/null \
  || { echo "Bail out! gen-test-models.py failed"; exit 1; }
data="$G_TEST_SRCDIR/data/bert_feature-extraction"
models="$tmp/models"

# An export folder: model.onnx next to the checkpoint's config.json.
outdir () {
  mkdir -p "$tmp/$1"
  cp "$data/config.json" "$tmp/$1/config.json"
  cp "$models/$2" "$tmp/$1/model.onnx"
  echo "$tmp/$1"
}

# expect STATUS DESCRIPTION PATTERN ARGS…: runs `oxport validate ARGS…` and
# checks its exit status (a number, or "nonzero") and that PATTERN (a fixed
# string; empty for none) is in what it printed.
expect () {
  want=$1 desc=$2 pattern=$3
  shift 3
  "$OXPORT" validate "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  if [ "$want" = nonzero ] && [ "$status" -eq 0 ] \
     || [ "$want" != nonzero ] && [ "$status" -ne "$want" ]; then
    not_ok "$desc (exit status $status, expected $want)"
    sed 's/^/# /' "$tmp/stdout" "$tmp/stderr"
    return
  fi
  if [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$tmp/stdout" "$tmp/stderr"; then
    not_ok "$desc (\"$pattern\" not in the output)"
    sed 's/^/# /' "$tmp/stdout" "$tmp/stderr"
    return
  fi
  ok "$desc"
}

# The error line of a failure, as the contract spells it.
expect_error_line () {
  if grep -q '^oxport: error: ' "$tmp/stderr"; then
    ok "$1: stderr has an 'oxport: error: ' line"
  else
    not_ok "$1: stderr has no 'oxport: error: ' line"
    sed 's/^/# /' "$tmp/stderr"
  fi
}

echo "1..21"

good=$(outdir good bert-like.onnx)
expect 0 "a passing model (OUTDIR)" "last_hidden_state" "$good" --task feature-extraction
expect 0 "a passing model (MODEL.onnx --model DIR)" "last_hidden_state" \
  "$models/bert-like.onnx" --model "$data" --task feature-extraction

expect 0 "--json prints the report as JSON" "" "$good" --task feature-extraction --json
if "${PYTHON3:-python3}" -c '
import json, sys
report = json.load(open(sys.argv[1]))
# One report, or one per model file.
reports = report if isinstance(report, list) else [report]
assert reports and all(r["passed"] is True for r in reports), report
' "$tmp/stdout" 2>"$tmp/py-err"; then
  ok "--json: the report parses and says passed"
else
  not_ok "--json: the report does not parse or does not say passed"
  sed 's/^/# /' "$tmp/stdout" "$tmp/py-err"
fi

expect 1 "an output outside the tolerance" "last_hidden_state (reference): max abs difference" \
  "$good" --task feature-extraction --reference "$data/vectors.safetensors"
expect_error_line "tolerance"

expect 1 "a wrong output shape" "shape [16,2,32], expected [batch_size,sequence_length,32]" \
  "$(outdir wrong-shape bert-like-wrong-shape.onnx)" --task feature-extraction
expect 1 "a missing output" "output last_hidden_state: missing output" \
  "$(outdir missing-output bert-like-missing-output.onnx)" --task feature-extraction
expect 1 "a dimension frozen at export fails at the second shape set" \
  "last_hidden_state at batch_size=3,sequence_length=11: shape [2,11,32]" \
  "$(outdir frozen bert-like-frozen.onnx)" --task feature-extraction

printf 'not an onnx model\n' >"$tmp/corrupt.onnx"
expect 1 "a corrupt model file" "corrupt.onnx: ONNX Runtime cannot load the model" \
  "$tmp/corrupt.onnx" --model "$data" \
  --task feature-extraction
expect_error_line "corrupt model"

expect 1 "a model file that does not exist" "absent.onnx" "$tmp/absent.onnx" --model "$data" \
  --task feature-extraction

# --optimize O2: validate names the contrib operators and the ORT that ran them.
cls="$G_TEST_SRCDIR/data/bert_text-classification"
if "$OXPORT" export --model "$cls" --optimize O2 --no-validate "$tmp/o2" >"$tmp/e.log" 2>&1 \
   && "$OXPORT" export --model "$cls" --no-validate "$tmp/plain" >>"$tmp/e.log" 2>&1; then
  expect 0 "an O2 export: its contrib operators and the ONNX Runtime version" \
    "contrib operators (run by ONNX Runtime " "$tmp/o2/model.onnx" --model "$cls" \
    --reference "$cls/vectors.safetensors"
  if grep -q 'com.microsoft.Attention' "$tmp/stdout" && grep -q 'com.microsoft.Gelu' "$tmp/stdout" \
     && "$OXPORT" validate "$tmp/o2/model.onnx" --model "$cls" --json >"$tmp/o2.json" 2>&1 \
     && "${PYTHON3:-python3}" -c '
import json, sys
ops = json.load(open(sys.argv[1]))["reports"][0]["contrib_operators"]
assert "com.microsoft.Attention" in ops and "com.microsoft.Gelu" in ops, ops
' "$tmp/o2.json"; then
    ok "an O2 export uses Attention and Gelu (text and --json)"
  else
    not_ok "an O2 export does not report Attention and Gelu"
    sed 's/^/# /' "$tmp/stdout" "$tmp/o2.json"
  fi
  "$OXPORT" validate "$tmp/plain/model.onnx" --model "$cls" >"$tmp/stdout" 2>&1
  if grep -q 'contrib operators' "$tmp/stdout"; then
    not_ok "a plain export lists contrib operators"
  else
    ok "a plain export uses no contrib operator"
  fi
else
  not_ok "export --optimize O2 failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  not_ok "export --optimize O2 failed"
  not_ok "export --optimize O2 failed"
fi
# A decoder at O2: each contrib operator with its node count, and the ONNX
# Runtime version, in the table and in --json; the counts and the version
# read independently here (onnx, If branches included; the version from
# OrtGetApiBase()->GetVersionString by ctypes).
gqa="$G_TEST_SRCDIR/data/llama-gqa_text-generation"
ort_version=$("${PYTHON3:-python3}" -c '
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.OrtGetApiBase.restype = ctypes.POINTER(ctypes.c_void_p * 2)
version = ctypes.CFUNCTYPE(ctypes.c_char_p)(lib.OrtGetApiBase().contents[1])
print(version().decode())
' "$OXPORT_ONNXRUNTIME" 2>"$tmp/py-err")
if "$OXPORT" export --model "$gqa" --optimize O2 --no-validate "$tmp/gqa-o2" >"$tmp/e.log" 2>&1 \
   && "$OXPORT" export --model "$gqa" --no-validate "$tmp/gqa-plain" >>"$tmp/e.log" 2>&1 \
   && [ -n "$ort_version" ]; then
  expected=$("${PYTHON3:-python3}" -c '
import collections, onnx, sys
def nodes(g):
    for n in g.node:
        yield n
        for a in n.attribute:
            for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                yield from nodes(sub)
m = onnx.load(sys.argv[1])
c = collections.Counter(n.op_type for n in nodes(m.graph) if n.domain == "com.microsoft")
print(", ".join("com.microsoft.%s (%d)" % (op, c[op]) for op in sorted(c)))
' "$tmp/gqa-o2/model.onnx")
  "$OXPORT" validate "$tmp/gqa-o2/model.onnx" --model "$gqa" >"$tmp/stdout" 2>&1
  line="    contrib operators (run by ONNX Runtime $ort_version): $expected"
  case $expected in
    *"GroupQueryAttention (2)"*"FusedMatMul"*|*"FusedMatMul"*"GroupQueryAttention (2)"*)
      if grep -qxF -- "$line" "$tmp/stdout" \
         && grep -qxF "Validation with ONNX Runtime $ort_version (task text-generation-with-past):" \
              "$tmp/stdout"; then
        ok "an O2 decoder: $expected, run by ONNX Runtime $ort_version"
      else
        not_ok "an O2 decoder: no line \"$line\" or no version line"
        sed 's/^/# /' "$tmp/stdout"
      fi ;;
    *) not_ok "an O2 decoder uses no GroupQueryAttention (2 layers) and FusedMatMul: $expected" ;;
  esac
  if "$OXPORT" validate "$tmp/gqa-o2/model.onnx" --model "$gqa" --json >"$tmp/gqa.json" 2>&1 \
     && "$OXPORT" validate "$tmp/gqa-plain/model.onnx" --model "$gqa" --json >"$tmp/plain.json" 2>&1 \
     && "${PYTHON3:-python3}" -c '
import collections, json, onnx, sys
def nodes(g):
    for n in g.node:
        yield n
        for a in n.attribute:
            for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                yield from nodes(sub)
version = sys.argv[4]
for path, model in ((sys.argv[1], sys.argv[2]), (sys.argv[3], None)):
    doc = json.load(open(path))
    r = doc["reports"][0]
    expected = {}
    if model:
        m = onnx.load(model)
        c = collections.Counter(n.op_type for n in nodes(m.graph) if n.domain == "com.microsoft")
        expected = {"com.microsoft." + op: k for op, k in c.items()}
        assert expected, "no contrib operator in " + model
    assert r["contrib_operator_counts"] == expected, (r["contrib_operator_counts"], expected)
    assert r["contrib_operators"] == sorted(expected), r["contrib_operators"]
    assert doc["runtime_version"] == version and r["runtime_version"] == version, doc
' "$tmp/gqa.json" "$tmp/gqa-o2/model.onnx" "$tmp/plain.json" "$ort_version" 2>"$tmp/py-err"; then
    ok "--json: the O2 decoder's contrib operator counts, none for the plain one, version $ort_version"
  else
    not_ok "--json: contrib operator counts or runtime version wrong"
    sed 's/^/# /' "$tmp/py-err" "$tmp/gqa.json" | head -n 20
  fi
  "$OXPORT" validate "$tmp/gqa-plain/model.onnx" --model "$gqa" >"$tmp/stdout" 2>&1
  if grep -q 'contrib operators' "$tmp/stdout"; then
    not_ok "a plain decoder lists contrib operators"
  else
    ok "a plain decoder uses no contrib operator"
  fi
else
  not_ok "export of $gqa at O2 failed, or no ORT version ($(cat "$tmp/py-err")): $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  not_ok "export of $gqa at O2 failed"
  not_ok "export of $gqa at O2 failed"
fi

"$OXPORT" export --model "$cls" --optimize O4 "$tmp/o4" >"$tmp/stdout" 2>&1
status=$?
if [ "$status" -ne 0 ] && grep -qF -- "--optimize must be O1, O2 or O3" "$tmp/stdout"; then
  ok "export --optimize O4 is a usage error"
else
  not_ok "export --optimize O4: exit $status"
  sed 's/^/# /' "$tmp/stdout"
fi

saved_runtime=$OXPORT_ONNXRUNTIME
export OXPORT_ONNXRUNTIME=/nonexistent
expect nonzero "ONNX Runtime not found" "Set OXPORT_ONNXRUNTIME to the path of" "$good" \
  --task feature-extraction
OXPORT_ONNXRUNTIME=$saved_runtime
expect_error_line "ONNX Runtime not found"

exit $failed
