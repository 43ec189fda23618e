#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test) of `oxport export --optimize`: ONNX Runtime latency
# of the plain export against the optimized ones, median of 20 runs after
# warm-up, the files' runs alternating in one process (tests/bench/
# bench-optimize.c), so ratios within one table are comparable on a shared,
# noisy machine.
#   - bert-base-uncased shapes (random fp32 weights): plain, O2, O3 at
#     batch 1 and 8, sequence 128;
#   - llama-1b (Llama 3.2 1B) shaped layers with grouped-query attention
#     (hidden 2048, 32 heads, 8 key/value heads, intermediate 8192): plain
#     fp32 and O2, one new token after a past of 128, and a 128-token prompt.
#     $OXP_BENCH_LLAMA_LAYERS layers (default 4 of the 16) and a 32000-token
#     vocabulary keep the two sessions within a few GB; the per-layer work,
#     which --optimize changes, is the 1b model's.
#   With OXP_BENCH_BEFORE=OTHER-BUILDDIR the llama rows also time the O2
#   export of that build's oxport (say, before a change), alternating with
#   the others in the same run.  OXP_BENCH_SKIP_BERT=1 skips bert-base.
#
# Usage: tests/bench/bench-optimize.sh [BUILDDIR]   (default: the current folder)
# OXP_BENCH_SKIP_LLAMA=1: the bert-base rows only.
# Needs the build's oxport, plugins, tests/tools/oxp-gen-checkpoint and
# tests/bench/bench-optimize (`make -C BUILDDIR all tests/bench/bench-optimize`).
# Scratch files (~4 GB) go to $TMPDIR.

set -eu

builddir=$(cd "${1:-.}" && pwd)
oxport="$builddir/oxport"
gen="$builddir/tests/tools/oxp-gen-checkpoint"
driver="$builddir/tests/bench/bench-optimize"
for tool in "$oxport" "$gen" "$driver"; do
  [ -x "$tool" ] || { echo "bench-optimize.sh: $tool is not built" >&2; exit 2; }
done
OXPORT_PLUGIN_PATH=$(make -s -C "$builddir" oxp-print-plugin-path)
export OXPORT_PLUGIN_PATH
if [ -z "${OXPORT_ONNXRUNTIME:-}" ]; then
  ort=$(sed -n 's/^ONNXRUNTIME_LIBRARY = //p' "$builddir/Makefile")
  [ -n "$ort" ] && export OXPORT_ONNXRUNTIME="$ort"
fi
runs=20
layers=${OXP_BENCH_LLAMA_LAYERS:-4}
# shellcheck source=tests/bench/llama-1b.sh
. "$(dirname "$0")/llama-1b.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/oxp-bench-optimize-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# export MODEL OUT [OPTIONS]
export_to () {
  model=$1 out=$2
  shift 2
  "$oxport" export --model "$model" --no-validate "$@" "$out" >"$out.log" 2>&1 ||
    { echo "bench-optimize.sh: export to $out failed:" >&2; tail -n 5 "$out.log" >&2; exit 1; }
}

b1="0 0 0" b8="0 0 0"
if [ -z "${OXP_BENCH_SKIP_BERT:-}" ]; then
# ---- bert-base ----------------------------------------------------------
mkdir -p "$work/bert"
cat >"$work/bert/config.json" <<'EOF'
{
  "architectures": ["BertModel"],
  "hidden_act": "gelu",
  "hidden_size": 768,
  "intermediate_size": 3072,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": 12,
  "num_hidden_layers": 12,
  "pad_token_id": 0,
  "position_embedding_type": "absolute",
  "type_vocab_size": 2,
  "vocab_size": 30522
}
EOF
{
  echo "embeddings.word_embeddings.weight F32 30522,768"
  echo "embeddings.position_embeddings.weight F32 512,768"
  echo "embeddings.token_type_embeddings.weight F32 2,768"
  echo "embeddings.LayerNorm.weight F32 768"
  echo "embeddings.LayerNorm.bias F32 768"
  i=0
  while [ $i -lt 12 ]; do
    p="encoder.layer.$i"
    for m in attention.self.query attention.self.key attention.self.value attention.output.dense; do
      echo "$p.$m.weight F32 768,768"
      echo "$p.$m.bias F32 768"
    done
    echo "$p.attention.output.LayerNorm.weight F32 768"
    echo "$p.attention.output.LayerNorm.bias F32 768"
    echo "$p.intermediate.dense.weight F32 3072,768"
    echo "$p.intermediate.dense.bias F32 3072"
    echo "$p.output.dense.weight F32 768,3072"
    echo "$p.output.dense.bias F32 768"
    echo "$p.output.LayerNorm.weight F32 768"
    echo "$p.output.LayerNorm.bias F32 768"
    i=$((i + 1))
  done
  echo "pooler.dense.weight F32 768,768"
  echo "pooler.dense.bias F32 768"
} >"$work/bert/tensors.txt"
"$gen" --quiet --seed 1 --config "$work/bert/config.json" --tensors "$work/bert/tensors.txt" \
  "$work/bert/model"

export_to "$work/bert/model" "$work/bert-plain" --task feature-extraction
export_to "$work/bert/model" "$work/bert-O2" --task feature-extraction --optimize O2
export_to "$work/bert/model" "$work/bert-O3" --task feature-extraction --optimize O3
rm -rf "$work/bert/model"

bert_files="$work/bert-plain/model.onnx $work/bert-O2/model.onnx $work/bert-O3/model.onnx"
# shellcheck disable=SC2086
b1=$("$driver" 1 128 0 $runs $bert_files | tr '\n' ' ')
# shellcheck disable=SC2086
b8=$("$driver" 8 128 0 $runs $bert_files | tr '\n' ' ')
rm -rf "$work/bert-plain" "$work/bert-O2" "$work/bert-O3"
fi
if [ -n "${OXP_BENCH_SKIP_LLAMA:-}" ]; then
  for row in "b1x128 $b1" "b8x128 $b8"; do
    echo "$row" | awk '{ printf "bert-base %s ms: plain %.2f O2 %.2f O3 %.2f plain/O2 %.2f plain/O3 %.2f\n", $1, $2, $3, $4, $2 / $3, $2 / $4 }'
  done
  exit 0
fi

# ---- llama-1b-shaped decoder ---------------------------------------------
mkdir -p "$work/llama"
llama_1b_config "$layers" >"$work/llama/config.json"
llama_1b_tensors "$layers" >"$work/llama/tensors.txt"
"$gen" --quiet --seed 1 --config "$work/llama/config.json" --tensors "$work/llama/tensors.txt" \
  "$work/llama/model"
export_to "$work/llama/model" "$work/llama-plain" --task text-generation-with-past
export_to "$work/llama/model" "$work/llama-O2" --task text-generation-with-past --optimize O2
llama_files="$work/llama-plain/model.onnx $work/llama-O2/model.onnx"
if [ -n "${OXP_BENCH_BEFORE:-}" ]; then
  before=$(cd "$OXP_BENCH_BEFORE" && pwd)
  OXPORT_PLUGIN_PATH=$(make -s -C "$before" oxp-print-plugin-path) \
    "$before/oxport" export --model "$work/llama/model" --no-validate \
    --task text-generation-with-past --optimize O2 "$work/llama-O2-before" \
    >"$work/llama-O2-before.log" 2>&1 ||
    { echo "bench-optimize.sh: export with $before failed" >&2; exit 1; }
  llama_files="$llama_files $work/llama-O2-before/model.onnx"
fi
rm -rf "$work/llama/model"
# shellcheck disable=SC2086
decode=$("$driver" 1 1 128 $runs $llama_files | tr '\n' ' ')
# shellcheck disable=SC2086
prompt=$("$driver" 1 128 0 $runs $llama_files | tr '\n' ' ')

awk -v b1="$b1" -v b8="$b8" -v dec="$decode" -v pr="$prompt" -v runs="$runs" \
    -v layers="$layers" -v cpus="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "ONNX Runtime CPU latency, median of %d runs after warm-up, files alternating (ms)\n", runs
  printf "%d CPUs, load average %s at the end (shared machine: compare ratios within a row)\n", cpus, load
  printf "%-40s %10s %10s %10s %12s %12s\n", "model, input", "plain", "O2", "O3", "plain/O2", "plain/O3"
  split(b1, a, " "); if (a[1] > 0) printf "%-40s %10.2f %10.2f %10.2f %12.2f %12.2f\n", "bert-base b1x128", a[1], a[2], a[3], a[1] / a[2], a[1] / a[3]
  split(b8, a, " "); if (a[1] > 0) printf "%-40s %10.2f %10.2f %10.2f %12.2f %12.2f\n", "bert-base b8x128", a[1], a[2], a[3], a[1] / a[2], a[1] / a[3]
  split(dec, a, " "); printf "%-40s %10.2f %10.2f %10s %12.2f %12s\n", sprintf("llama-1b-shaped (%d layers) 1 token, past 128", layers), a[1], a[2], "-", a[1] / a[2], "-"
  split(pr, a, " "); printf "%-40s %10.2f %10.2f %10s %12.2f %12s\n", sprintf("llama-1b-shaped (%d layers) prompt 128", layers), a[1], a[2], "-", a[1] / a[2], "-"
  split(dec, a, " "); if (a[3] != "") printf "%-40s %10.2f %10.2f %10.2f (O2 of OXP_BENCH_BEFORE) plain/O2-before %.2f\n", "  decode, with O2 before", a[1], a[2], a[3], a[1] / a[3]
  split(pr, a, " "); if (a[3] != "") printf "%-40s %10.2f %10.2f %10.2f (O2 of OXP_BENCH_BEFORE) plain/O2-before %.2f\n", "  prompt, with O2 before", a[1], a[2], a[3], a[1] / a[3]
}'
