#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `oxport export --quantize int8|int4` (weight-only MatMulNBits).
#  - Every decoder reference case exported quantized (int8 and int4; the
#    export validates it in ONNX Runtime: dummy shapes and the cache check),
#    then its outputs compared with the case's reference, which the fp32
#    export matches within the case's atol (1e-4): the max abs difference of
#    the logits is printed.  The tolerance is a fraction of the largest
#    reference logit: $OXP_INT8_RTOL (default 0.05) for int8 and
#    $OXP_INT4_RTOL (default 0.5) for int4.  These tiny random models
#    (hidden size 32: one block a row, Gaussian weights, logits up to ~27)
#    measured up to 2.4 % (int8) and 33 % (int4) of it at the default
#    accuracy level 4 (int8 activations; 1.6 % for int8 at level 0);
#    realistic shapes are what bench-quantize.sh's greedy agreement measures.
#  - tests/check-quantized.py unpacks the codes, scales and zero points
#    from a file and checks every weight against the checkpoint's to half a
#    quantization step, over block sizes, both schemes, GPT-2's [in, out]
#    Conv1D weights, --dtype fp16 scales and --quantize-scales (fp16 scales
#    in an fp32 export reach MatMulNBits through a Cast, as it takes them in
#    its activations' type; fp32 scales in an fp16 export are refused).
#  - --quantize-exclude leaves the chosen layers as MatMul; bad settings are
#    refused naming the value, before anything is written.
# Under the sanitizers (-fsanitize in the build's CFLAGS) the per-case loop
# runs 3 cases (the writer's and the blocks' paths are the same for all;
# an instrumented validation takes seconds).

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
"$py" -c 'import numpy, onnx' 2>/dev/null || skip_all "python3 numpy/onnx missing"
data=$G_TEST_SRCDIR/data
checker=$G_TEST_SRCDIR/check-quantized.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-quantize-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

field () {
  "$py" -c 'import json,sys; c=json.load(open(sys.argv[1]+"/case.json")); print(eval(sys.argv[2]))' "$1" "$2"
}

# check NAME MODEL REFERENCE ATOL
check () {
  name=$1 model=$2 ref=$3 atol=$4
  "$OXPORT" validate "$model" --reference "$ref" --atol "$atol" --json >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" "$G_TEST_SRCDIR/validate-summary.py" --headline logits "$tmp/v.json")
  case $summary in
    *"max abs diff"*) [ "$status" -eq 0 ] && { ok "$name: $summary (atol $atol)"; return; } ;;
  esac
  not_ok "$name: exit $status: $summary $(head -c 300 "$tmp/v.err")"
}

# ---- every decoder case, int8 and int4 ------------------------------------
for dir in "$data"/*; do
  [ -f "$dir/case.json" ] || continue
  task=$(field "$dir" 'c["optimum"]["task"]')
  case $task in text-generation*) ;; *) continue ;; esac
  case_name=$(basename "$dir")
  case "${OXP_BUILD_CFLAGS:-}" in
    *-fsanitize=*)
      case $case_name in
        llama_decoder-with-past|gpt2_decoder|llama-gqa_text-generation) ;;
        *) continue ;;
      esac ;;
  esac
  ref=$dir/vectors.safetensors
  [ -f "$dir/vectors-model.safetensors" ] && ref=$dir/vectors-model.safetensors
  peak=$("$py" - "$ref" <<'PY'
import json, struct, sys
import numpy as np
with open(sys.argv[1], "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    info = json.loads(f.read(n))["logits"]
    f.seek(8 + n + info["data_offsets"][0])
    a = np.frombuffer(f.read(info["data_offsets"][1] - info["data_offsets"][0]), dtype=np.float32)
print(float(np.abs(a).max()))
PY
)
  for q in int8 int4; do
    rtol=${OXP_INT8_RTOL:-0.05}
    [ $q = int4 ] && rtol=${OXP_INT4_RTOL:-0.5}
    atol=$("$py" -c 'import sys; print("%.3g" % (float(sys.argv[1]) * float(sys.argv[2])))' "$peak" "$rtol")
    out=$tmp/$case_name-$q
    if "$OXPORT" export -q --quantize $q --model "$dir" --task "$task" "$out" >"$tmp/e.log" 2>&1; then
      check "$case_name --quantize $q" "$out/model.onnx" "$ref" "$atol"
    else
      not_ok "$case_name --quantize $q: export or its validation failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    fi
    rm -rf "$out"
  done
done

# ---- the packing, unpacked independently ----------------------------------
# CASE BITS BLOCK SCHEME [EXTRA OPTIONS]
while read -r case_name bits block scheme extra; do
  out=$tmp/pack
  rm -rf "$out"
  opt=--quantize-symmetric
  [ "$scheme" = asym ] && opt=--quantize-asymmetric
  # shellcheck disable=SC2086
  if ! "$OXPORT" export -q --quantize "int$bits" --quantize-block-size "$block" $opt $extra \
      --model "$data/$case_name" "$out" >"$tmp/e.log" 2>&1; then
    not_ok "packing $case_name int$bits/$block/$scheme $extra: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    continue
  fi
  scales=
  case $extra in
    *"--quantize-scales fp16"*) scales=float16 ;;
    *"--quantize-scales fp32"*) scales=float32 ;;
  esac
  # shellcheck disable=SC2086
  if facts=$("$py" "$checker" "$out/model.onnx" "$data/$case_name" "$bits" "$block" "$scheme" $scales); then
    ok "packing $case_name int$bits block $block $scheme $extra: $facts"
  else
    not_ok "packing $case_name int$bits block $block $scheme $extra: $facts"
  fi
done <<'EOF_CASES'
llama_text-generation 4 32 sym
llama_text-generation 4 32 asym
llama_text-generation 8 32 sym
llama_text-generation 8 64 asym
llama-gqa_text-generation 4 128 asym
gpt2_text-generation 4 32 asym
gpt2_text-generation 8 32 sym
llama_text-generation 4 64 asym --dtype fp16 --atol 1
llama_text-generation 4 32 sym --quantize-scales fp16
gpt2_text-generation 8 32 asym --quantize-scales fp16
llama_text-generation 8 32 sym --quantize-scales fp32
llama_text-generation 4 32 asym --dtype fp16 --quantize-scales fp16 --atol 1
EOF_CASES

# ---- metadata and exclusions ---------------------------------------------
# count MODEL OP: how many OP nodes MODEL has.
count () {
  "$py" -c 'import onnx,sys; m=onnx.load(sys.argv[1]); print(sum(n.op_type == sys.argv[2] for n in m.graph.node))' "$1" "$2"
}
meta () {
  "$py" -c 'import onnx,sys; m=onnx.load(sys.argv[1]); print({p.key: p.value for p in m.metadata_props}.get(sys.argv[2]))' "$1" "$2"
}
llama=$data/llama_text-generation
"$OXPORT" export -q --no-validate --quantize int4 --optimize O2 --model "$llama" "$tmp/all" >/dev/null 2>&1
all=$(count "$tmp/all/model.onnx" MatMulNBits)
m=$(meta "$tmp/all/model.onnx" oxport_optimize),$(meta "$tmp/all/model.onnx" oxport_quantize),$(meta "$tmp/all/model.onnx" oxport_quantize_exclude)
if [ "$m" = "O2,int4,none" ]; then ok "metadata_props record --optimize O2 and --quantize int4 ($m)"
else not_ok "metadata_props: $m, expected O2,int4,none"; fi
# The llama case: 2 layers of 7 linear layers, and lm_head.
while read -r exclude expected; do
  rm -rf "$tmp/ex"
  "$OXPORT" export -q --no-validate --quantize int4 --quantize-exclude "$exclude" --model "$llama" "$tmp/ex" >"$tmp/e.log" 2>&1
  got=$(count "$tmp/ex/model.onnx" MatMulNBits)
  if [ "$all" = 15 ] && [ "$got" = "$expected" ]; then
    ok "--quantize-exclude $exclude: $got of $all linear layers quantized"
  else
    not_ok "--quantize-exclude $exclude: $got of $all quantized, expected $expected of 15 $(tail -n 2 "$tmp/e.log")"
  fi
done <<'EOF_EX'
lm_head 14
first 8
last 8
first,last 1
lm_head,first,last 0
EOF_EX

# ---- bad settings: a precise error, nothing written ------------------------
# EXPECTED_MESSAGE ("_" for spaces) ARGS
while read -r expect args; do
  rm -rf "$tmp/bad"
  # shellcheck disable=SC2086
  "$OXPORT" export --model "$llama" $args "$tmp/bad" >"$tmp/bad.out" 2>"$tmp/bad.err"
  status=$?
  expect=$(echo "$expect" | tr _ ' ')
  if [ "$status" -ne 0 ] && grep -qF -- "$expect" "$tmp/bad.err" && [ ! -e "$tmp/bad" ]; then
    ok "refused: $args: $(head -n 1 "$tmp/bad.err")"
  else
    not_ok "$args: exit $status, stderr $(head -c 300 "$tmp/bad.err"), $(ls "$tmp/bad" 2>/dev/null | wc -l) files written"
  fi
done <<'EOF_BAD'
must_be_32,_64_or_128,_not_48 --quantize int4 --quantize-block-size 48
unknown_layer_set_“embeddings” --quantize int4 --quantize-exclude lm_head,embeddings
must_be_int8_or_int4,_not_“int3” --quantize int3
need_--quantize --quantize-block-size 64
needs_--dtype_fp32_or_fp16 --quantize int8 --dtype bf16
contradict --quantize int8 --quantize-symmetric --quantize-asymmetric
--quantize-scales_fp32_needs_--dtype_fp32 --quantize int4 --dtype fp16 --quantize-scales fp32
must_be_fp16_or_fp32,_not_“bf16” --quantize int4 --quantize-scales bf16
need_--quantize --quantize-scales fp16
EOF_BAD

echo "1..$n"
exit $failed
