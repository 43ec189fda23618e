#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every decoder-only reference case in tests/data, exported with `oxport
# export` and run in ONNX Runtime on the case's inputs; each output is
# compared with what transformers computed, and the max abs difference is
# printed.
#
# Default layout (current optimum): one model.onnx.  The first-batch cases
# (gpt2, llama, llama-gqa; optimum 1.13 names) are fed through model.onnx
# with vectors-model.safetensors (gen-decoder-vectors.py: position_ids
# past_len + arange(seq), an empty past for the first step).  With --legacy
# (optimum 1.13's split files) the same cases are checked against the file
# their case.json names (decoder_model.onnx / decoder_with_past_model.onnx)
# with the original vectors.
#
# Each case's model.onnx is also exported at the optimize levels in
# $OXP_OPTIMIZE (default "O1 O2 O3"; empty: none) and checked against the
# same reference, and on the all-ones and left-padded masks of
# gen-mask-vectors.py; O3 (FastGelu's approximation) with atol at least
# $OXP_O3_ATOL (default 2e-2, the exporter's own O3 floor).
#
# Every model.onnx (plain and at each level) must also pass
# onnx.checker.check_model with full_check (strict shape inference): the
# files are meant for any ONNX tool, not only ONNX Runtime, so an operator
# in the wrong domain or a type the schema does not allow fails here.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
data=$G_TEST_SRCDIR/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-decoder-cases-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# case_fields: the case.json values of a case, one python3 run per case.
. "$G_TEST_SRCDIR/case-fields.sh"

# check NAME MODEL REFERENCE ATOL [VALIDATE-OPTION...]: validates MODEL
# against REFERENCE and reports the largest difference over the reference
# outputs.
check () {
  # Names of their own: sh has no locals, and the caller's loop reads ref.
  ck_name=$1 ck_model=$2 ck_ref=$3 ck_atol=$4
  shift 4
  if [ ! -f "$ck_model" ]; then
    not_ok "$ck_name: $(basename "$ck_model") was not written"
    return
  fi
  "$OXPORT" validate "$ck_model" --reference "$ck_ref" --atol "$ck_atol" "$@" --json >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" "$G_TEST_SRCDIR/validate-summary.py" "$tmp/v.json")
  case $summary in
    *"max abs diff"*) [ "$status" -eq 0 ] && { ok "$ck_name: $summary"; return; } ;;
  esac
  not_ok "$ck_name: exit $status: $summary $(head -c 300 "$tmp/v.err")"
}

# check_onnx NAME MODEL: MODEL passes the onnx package's checker with
# full_check (skipped, with a note, where python3 has no onnx).
check_onnx () {
  [ -f "$2" ] || return
  if ! "$py" -c 'import onnx' 2>/dev/null; then
    ok "$1: onnx checker # SKIP python3 has no onnx module"
    return
  fi
  if "$py" - "$2" >"$tmp/c.err" 2>&1 <<'PY'
import sys
import onnx
onnx.checker.check_model(sys.argv[1], full_check=True)
PY
  then
    ok "$1: onnx.checker.check_model(full_check=True)"
  else
    not_ok "$1: onnx checker: $(tail -n 2 "$tmp/c.err" | tr '\n' ' ' | head -c 300)"
  fi
}

# check_masks NAME MODEL CASE_DIR ATOL: MODEL on gen-mask-vectors.py's
# other masks: all ones and a left-padded batch (--optimize O2's
# GroupQueryAttention takes both), compared where the mask is 1.
check_masks () {
  if [ -f "$3/vectors-all-valid.safetensors" ]; then
    check "$1 (mask all ones)" "$2" "$3/vectors-all-valid.safetensors" "$4"
  fi
  if [ -f "$3/vectors-left-padded.safetensors" ]; then
    check "$1 (left-padded)" "$2" "$3/vectors-left-padded.safetensors" "$4" \
      --reference-mask attention_mask
  fi
}

# check_ops NAME MODEL CASE_DIR: from --optimize O2 on, the operators a
# decoder is meant to get: one com.microsoft GroupQueryAttention per layer
# for the families on oxp_block_cached_self_attention() (head sizes in
# multiples of 8, ORT's kernels), with two com.microsoft RotaryEmbedding
# per layer (queries and keys) for the rotary ones, and no If anywhere (the
# fused attention must not sit behind a per-layer condition).
check_ops () {
  [ -f "$2" ] || return
  if ! "$py" -c 'import onnx' 2>/dev/null; then
    ok "$1: operator counts # SKIP python3 has no onnx module"
    return
  fi
  if msg=$("$py" - "$2" "$3/config.json" 2>&1 <<'PY'
import json, sys
import onnx
counts = {}
def walk(g):
    for n in g.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                walk(a.g)
            for sub in a.graphs:
                walk(sub)
walk(onnx.load(sys.argv[1], load_external_data=False).graph)
c = json.load(open(sys.argv[2]))
layers = c.get("num_hidden_layers", c.get("n_layer"))
want_rope = 0
if c["model_type"] == "gpt2":
    want = [0, layers]  # its own attention, or the shared one
else:
    head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    fused = c["model_type"] in ("llama", "mistral", "qwen2", "phi3", "gemma", "gpt_neox", "opt")
    want = [layers if fused and head_dim % 8 == 0 else 0]
    if want[0] and c["model_type"] != "opt":
        want_rope = 2 * layers
got, ifs = counts.get("GroupQueryAttention", 0), counts.get("If", 0)
rope = counts.get("RotaryEmbedding", 0)
print("GroupQueryAttention %d (want %s), RotaryEmbedding %d (want %d), If %d (want 0)"
      % (got, " or ".join(map(str, want)), rope, want_rope, ifs))
sys.exit(0 if got in want and rope == want_rope and ifs == 0 else 1)
PY
  ); then
    ok "$1: $msg"
  else
    not_ok "$1: operator counts: $(echo "$msg" | tail -n 2 | tr '\n' ' ' | head -c 300)"
  fi
}

for dir in "$data"/*; do
  [ -f "$dir/case.json" ] || continue
  case_name=$(basename "$dir")
  if ! case_fields "$dir" task='c["optimum"]["task"]' atol='c.get("atol", 1e-4)' \
         onnx_file='c["optimum"]["onnx_file"]' \
         o3_atol='max(float(c.get("atol", 1e-4)), float(os.environ.get("OXP_O3_ATOL") or 2e-2))'; then
    not_ok "$case_name: case.json unreadable"
    continue
  fi
  case $task in text-generation*) ;; *) continue ;; esac

  # Current optimum: one model.onnx.
  ref=$dir/vectors.safetensors
  [ -f "$dir/vectors-model.safetensors" ] && ref=$dir/vectors-model.safetensors
  out=$tmp/$case_name
  if "$OXPORT" export --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    check "$case_name model.onnx" "$out/model.onnx" "$ref" "$atol"
    check_onnx "$case_name model.onnx" "$out/model.onnx"
    check_masks "$case_name model.onnx" "$out/model.onnx" "$dir" "$atol"
  else
    not_ok "$case_name: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  fi

  for level in ${OXP_OPTIMIZE-O1 O2 O3}; do
    out=$tmp/$case_name-$level
    level_atol=$atol
    [ "$level" = O3 ] && level_atol=$o3_atol
    if "$OXPORT" export --optimize "$level" --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
      check "$case_name --optimize $level model.onnx" "$out/model.onnx" "$ref" "$level_atol"
      check_onnx "$case_name --optimize $level model.onnx" "$out/model.onnx"
      check_masks "$case_name --optimize $level model.onnx" "$out/model.onnx" "$dir" "$level_atol"
      [ "$level" = O1 ] || check_ops "$case_name --optimize $level model.onnx" "$out/model.onnx" "$dir"
    else
      not_ok "$case_name --optimize $level: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    fi
    rm -rf "$out"
  done

  # optimum 1.13's split files, for the cases written with those names.
  [ "$onnx_file" = model.onnx ] && continue
  out=$tmp/$case_name-legacy
  if "$OXPORT" export --legacy --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    check "$case_name --legacy $onnx_file" "$out/$onnx_file" "$dir/vectors.safetensors" "$atol"
    # The split decoders share one decoder_model.onnx_data, each tensor
    # stored once; the merged file is self-contained.
    if [ -f "$out/decoder_with_past_model.onnx" ]; then
      if verdict=$("$py" "$G_TEST_SRCDIR/check-shared-data.py" "$out" "$dir" 2>&1); then
        ok "$case_name --legacy storage: $verdict"
      else
        not_ok "$case_name --legacy storage: $(printf '%s' "$verdict" | tail -n 3 | tr '\n' ' ')"
      fi
    fi
  else
    not_ok "$case_name --legacy: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  fi
done

[ "$n" -gt 0 ] || { echo "Bail out! no decoder case in $data"; exit 1; }
echo "1..$n"
exit $failed
