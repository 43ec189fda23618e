#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The gpt2 plugin:
# - the public gpt2 cases in the default layout (model.onnx) and optimum
#   1.13's (--legacy: the file case.json names, and the merged decoder on
#   both of its branches), max abs diffs printed;
# - bad checkpoints fail with exit status 1, an "oxport: error:" line naming
#   the tensor or config.json key at fault, and nothing written;
# - feature-extraction (GPT2Model names, no "transformer." prefix),
#   text-classification (last non-pad token), OpenAI's unprefixed names and
#   text-generation config variants (untied lm_head,
#   scale_attn_by_inverse_layer_idx, erf GELU, reorder_and_upcast_attn in
#   fp32 and fp16, a bf16 checkpoint in two shards), run in ONNX Runtime
#   against the numpy reference of tests/gpt2-tool.py, which first proves
#   that it reproduces transformers' own vectors;
# - --optimize O2: one GroupQueryAttention per layer for every task, right
#   numbers on unpadded inputs (GQA's branch) and padded ones (the plain);
# - the tied embedding is stored once.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
py=${PYTHON3:-/usr/bin/python3}
"$py" -c 'import numpy' 2>/dev/null || skip_all "no numpy for $py"
tool="$G_TEST_SRCDIR/gpt2-tool.py"
base=$G_TEST_SRCDIR/data/gpt2_decoder

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-gpt2-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# variant NAME ARGS…: a modified copy of gpt2_decoder in $tmp/NAME.
variant () {
  name=$1
  shift
  "$py" "$tool" variant "$base" "$tmp/$name" "$@" || { echo "Bail out! variant $name"; exit 1; }
}

# refuse NAME TASK WORDS…: export of $tmp/NAME fails with status 1, its
# error names every WORD, and OUTDIR does not exist afterwards.
refuse () {
  name=$1 task=$2
  shift 2
  out=$tmp/out-$name
  "$OXPORT" export --model "$tmp/$name" --task "$task" --no-validate "$out" >"$tmp/log" 2>&1
  status=$?
  msg=$(grep 'oxport: error:' "$tmp/log" | head -n 1)
  if [ "$status" -ne 1 ]; then
    not_ok "$name: exit status $status, expected 1: $(tail -n 2 "$tmp/log" | tr '\n' ' ')"
    return
  fi
  for word in "$@"; do
    case $msg in
      *"$word"*) ;;
      *) not_ok "$name: the error does not name '$word': $msg"; return ;;
    esac
  done
  if [ -e "$out" ]; then
    not_ok "$name: $out was left behind"
    return
  fi
  ok "$name: $msg"
}

# inspect_refuses NAME WORDS…: `oxport inspect` fails too (a config
# value is wrong: the config itself is refused, before any graph).
inspect_refuses () {
  name=$1
  shift
  "$OXPORT" inspect "$tmp/$name" --task text-generation >"$tmp/log" 2>&1
  status=$?
  msg=$(grep 'oxport: error:' "$tmp/log" | head -n 1)
  if [ "$status" -ne 1 ]; then
    not_ok "inspect $name: exit status $status, expected 1"
    return
  fi
  for word in "$@"; do
    case $msg in
      *"$word"*) ;;
      *) not_ok "inspect $name: the error does not name '$word': $msg"; return ;;
    esac
  done
  ok "inspect $name refuses the config"
}

variant missing-tensor --drop transformer.h.1.mlp.c_fc.weight
refuse missing-tensor text-generation-with-past transformer.h.1.mlp.c_fc.weight

variant fused-wrong-size --resize transformer.h.0.attn.c_attn.weight=32,90
refuse fused-wrong-size text-generation-with-past transformer.h.0.attn.c_attn.weight \
  '[32, 90]' '[32, 96]'

variant heads-mismatch --config n_embd=30
refuse heads-mismatch text-generation-with-past config.json n_embd 30 n_head 4
inspect_refuses heads-mismatch n_embd n_head

variant bad-activation --config 'activation_function="swishy"'
refuse bad-activation text-generation activation_function swishy
inspect_refuses bad-activation activation_function swishy

variant no-pad --add score.weight=3,32 --config 'pad_token_id=null'
refuse no-pad text-classification pad_token_id

# ---- numbers ----------------------------------------------------------------

# check NAME TASK ATOL [EXPORT ARGS…]: exports $tmp/NAME for TASK, writes
# the numpy reference for the inputs the exported file takes ($ref_args
# passed on to its tool, e.g. --all-valid), and validates the file against it.
ref_args=
check () {
  name=$1 task=$2 atol=$3
  shift 3
  label=$(printf '%s' "$name $task $* $ref_args" | tr -s ' ')
  tag=$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '-')
  out=$tmp/out-$tag
  if ! "$OXPORT" export --model "$tmp/$name" --task "$task" --no-validate "$@" "$out" \
       >"$tmp/log" 2>&1; then
    not_ok "$name: export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
    return
  fi
  model=$(ls "$out"/*.onnx | head -n 1)
  pos=
  "$py" -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False)
sys.exit(0 if "position_ids" in [i.name for i in m.graph.input] else 1)' "$model" && pos=--position-ids
  if ! "$py" "$tool" reference "$tmp/$name" "$tmp/ref-$tag.safetensors" "$task" $pos $ref_args \
       >"$tmp/log" 2>&1; then
    not_ok "$name: reference failed: $(tail -n 2 "$tmp/log" | tr '\n' ' ')"
    return
  fi
  "$OXPORT" validate "$model" --task "$task" --reference "$tmp/ref-$tag.safetensors" \
    --atol "$atol" --json >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" "$G_TEST_SRCDIR/validate-summary.py" --no-count "$tmp/v.json")
  case $summary in
    "max abs diff"*) [ "$status" -eq 0 ] && { ok "${label% } $(basename "$model"): $summary"; return; } ;;
  esac
  not_ok "$label: exit $status: $summary $(head -c 300 "$tmp/v.err")"
}

[ -n "${OXPORT_ONNXRUNTIME:-}" ] || { echo "1..$n # ONNX Runtime checks skipped: OXPORT_ONNXRUNTIME is not set"; exit $failed; }

# file_report JSON FILE: the reference comparison of FILE in the report of
# `oxport export --json`: "max abs diff X (output)" or why it failed.
file_report () {
  "$py" "$G_TEST_SRCDIR/validate-summary.py" --model "$2" "$1"
}

# case_file NAME LAYOUT FILE REFERENCE [EXPORT ARGS…]: exports the reference
# case NAME (validated against REFERENCE) and reports FILE's comparison.
case_file () {
  name=$1 layout=$2 file=$3 ref=$4
  shift 4
  dir=$G_TEST_SRCDIR/data/$name
  task=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"])' "$dir/case.json")
  out=$tmp/case-$name-$layout
  "$OXPORT" export --json --model "$dir" --task "$task" --reference "$ref" "$@" "$out"     >"$tmp/e.json" 2>"$tmp/e.err"
  res=$(file_report "$tmp/e.json" "$file")
  case $res in
    "max abs diff"*) ok "$name $layout $file: $res" ;;
    *) not_ok "$name $layout $file: $res $(head -c 300 "$tmp/e.err")" ;;
  esac
}

# The public cases through both layouts (each file validated in the
# export, which knows the layout; `oxport validate` of a lone file does not).
for name in gpt2_decoder gpt2_decoder-with-past gpt2_text-generation; do
  dir=$G_TEST_SRCDIR/data/$name
  legacy_file=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["optimum"]["onnx_file"])' "$dir/case.json")
  case_file "$name" default model.onnx "$dir/vectors-model.safetensors"
  case_file "$name" legacy "$legacy_file" "$dir/vectors.safetensors" --legacy
  case $name in
    *text-generation) continue ;; # no merged file without -with-past
  esac
  "$py" "$tool" merged "$dir/vectors.safetensors" "$tmp/merged-$name.safetensors"
  case_file "$name" legacy decoder_model_merged.onnx "$tmp/merged-$name.safetensors" --legacy
done

# The reference must reproduce transformers before it judges oxport.
if "$py" "$tool" reference "$base" "$tmp/self.safetensors" text-generation \
     --check "$base/vectors.safetensors" >"$tmp/log" 2>&1; then
  ok "numpy reference: $(cat "$tmp/log")"
else
  not_ok "numpy reference: $(cat "$tmp/log")"
fi

variant base-model --strip-prefix transformer. --config 'architectures=["GPT2Model"]'
check base-model feature-extraction 1e-4

# OpenAI's own gpt2 files: GPT2LMHeadModel without the "transformer."
# prefix, with the attention buffers transformers no longer reads.
variant openai-names --strip-prefix transformer. --add h.0.attn.masked_bias=1,1
check openai-names text-generation 1e-4

variant classify --add score.weight=3,32 --config pad_token_id=0 \
  --config 'id2label={"0":"a","1":"b","2":"c"}' \
  --config 'architectures=["GPT2ForSequenceClassification"]'
check classify text-classification 1e-4

variant untied --add lm_head.weight=320,32 --config tie_word_embeddings=false \
  --config scale_attn_by_inverse_layer_idx=true --config 'activation_function="gelu"'
check untied text-generation 1e-4

variant upcast --config reorder_and_upcast_attn=true
check upcast text-generation 1e-4
check upcast text-generation 5e-2 --dtype fp16

# --optimize O2 runs GPT-2's attention as com.microsoft GroupQueryAttention
# (multi-head: kv_num_heads = num_heads, no rotary) inside the If on an
# all-ones attention_mask: on those inputs the numbers are GQA's (its one
# scale carrying scale_attn_weights and scale_attn_by_inverse_layer_idx),
# on the padded ones the plain branch's.
variant noscale --config scale_attn_weights=false
ref_args=--all-valid
for name in untied upcast noscale; do
  check $name text-generation 1e-4 --optimize O2
done
check classify text-classification 1e-4 --optimize O2
check base-model feature-extraction 1e-4 --optimize O2
ref_args=
check untied text-generation 1e-4 --optimize O2

# gqa_count NAME TASK EXPECTED [EXPORT ARGS…]: the export of $tmp/NAME (or
# a public case) has EXPECTED GroupQueryAttention nodes, If branches included.
gqa_count () {
  name=$1 task=$2 want=$3
  shift 3
  src=$tmp/$name
  [ -d "$src" ] || src=$G_TEST_SRCDIR/data/$name
  out=$tmp/gqa-$(printf '%s' "$name $task $*" | tr -c 'A-Za-z0-9' '-')
  if ! "$OXPORT" export --model "$src" --task "$task" --no-validate "$@" "$out" \
       >"$tmp/log" 2>&1; then
    not_ok "$name $task $*: export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
    return
  fi
  got=$("$py" - "$out/model.onnx" <<'PY'
import onnx, sys
def count(g):
    n = 0
    for node in g.node:
        n += node.op_type == "GroupQueryAttention" and node.domain == "com.microsoft"
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                n += count(a.g)
    return n
print(count(onnx.load(sys.argv[1], load_external_data=False).graph))
PY
)
  if [ "$got" = "$want" ]; then
    ok "$name $task $*: $got GroupQueryAttention"
  else
    not_ok "$name $task $*: $got GroupQueryAttention, expected $want"
  fi
  rm -rf "$out"
}

# Every task the plugin builds, at O2: one per layer (n_layer 2); none in
# the plain export nor in fp16 (ORT's CPU kernel is float32).
gqa_count gpt2_decoder-with-past text-generation-with-past 2 --optimize O2
gqa_count gpt2_decoder text-generation 2 --optimize O2
gqa_count gpt2_decoder text-generation-with-past 2 --optimize O3
gqa_count base-model feature-extraction 2 --optimize O2
gqa_count classify text-classification 2 --optimize O2
gqa_count untied text-generation-with-past 2 --optimize O2
gqa_count gpt2_decoder-with-past text-generation-with-past 0
gqa_count gpt2_decoder-with-past text-generation-with-past 0 --optimize O1
gqa_count gpt2_decoder-with-past text-generation-with-past 0 --optimize O2 --dtype fp16

# A bf16 checkpoint in two shards, as real models ship (random weights
# from oxp-gen-checkpoint), exported to float32.
gen=${OXP_TOP_BUILDDIR:-}/tests/tools/oxp-gen-checkpoint
if [ -x "$gen" ]; then
  "$py" - "$base/config.json" "$tmp/bf16.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["torch_dtype"] = "bfloat16"
json.dump(c, open(sys.argv[2], "w"))
PY
  cat >"$tmp/bf16.tensors" <<'LIST'
transformer.wte.weight BF16 320,32
transformer.wpe.weight BF16 512,32
transformer.h.{0..1}.ln_1.weight BF16 32
transformer.h.{0..1}.ln_1.bias BF16 32
transformer.h.{0..1}.attn.c_attn.weight BF16 32,96
transformer.h.{0..1}.attn.c_attn.bias BF16 96
transformer.h.{0..1}.attn.c_proj.weight BF16 32,32
transformer.h.{0..1}.attn.c_proj.bias BF16 32
transformer.h.{0..1}.ln_2.weight BF16 32
transformer.h.{0..1}.ln_2.bias BF16 32
transformer.h.{0..1}.mlp.c_fc.weight BF16 32,128
transformer.h.{0..1}.mlp.c_fc.bias BF16 128
transformer.h.{0..1}.mlp.c_proj.weight BF16 128,32
transformer.h.{0..1}.mlp.c_proj.bias BF16 32
transformer.ln_f.weight BF16 32
transformer.ln_f.bias BF16 32
LIST
  if "$gen" --quiet --config "$tmp/bf16.json" --tensors "$tmp/bf16.tensors" --shards 2 --seed 3 \
       "$tmp/bf16-sharded"; then
    check bf16-sharded text-generation 1e-4
  else
    not_ok "bf16-sharded: oxp-gen-checkpoint failed"
  fi
else
  ok "# SKIP bf16-sharded: no $gen"
fi

# Tied lm_head: wte [320, 32] is one initializer, no transposed copy.
out=$tmp/out-tied
if "$OXPORT" export --model "$base" --task text-generation --no-validate "$out" >"$tmp/log" 2>&1; then
  res=$("$py" - "$out" <<'PY'
import glob, onnx, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.onnx")):
    m = onnx.load(path, load_external_data=False)
    tables = [i.name for i in m.graph.initializer if sorted(i.dims) == [32, 320]]
    if len(tables) != 1:
        print("%s: %d copies of the embedding: %s" % (path, len(tables), tables)); sys.exit(1)
print("one embedding table (%s)" % tables[0])
PY
)
  [ $? -eq 0 ] && ok "tied lm_head: $res" || not_ok "tied lm_head: $res"
else
  not_ok "tied lm_head: export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

echo "1..$n"
exit $failed
