#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test) of `oxport export --optimize O2` on GPT-2: ONNX
# Runtime latency of the plain export against O2 (GroupQueryAttention,
# multi-head, inside the If on an all-ones attention_mask), median of
# $OXP_BENCH_RUNS runs (default 20) after warm-up, the two files' runs
# alternating in one process (tests/bench/bench-optimize.c), so the ratio
# is comparable on a shared, noisy machine.  gpt2-small shapes (124M: 12
# layers, hidden 768, 12 heads, vocabulary 50257, random fp32 weights from
# tests/tools/oxp-gen-checkpoint), text-generation-with-past:
#   - one new token after a past of 128 (the decode step);
#   - a 128-token prompt, no past.
#
# Usage: tests/bench/bench-optimize-gpt2.sh [BUILDDIR]   (default: the current folder)
# Needs the build's oxport, plugins, tests/tools/oxp-gen-checkpoint and
# tests/bench/bench-optimize (`make -C BUILDDIR all tests/bench/bench-optimize`).
# Scratch files (~1.5 GB) go to $TMPDIR.

set -eu

builddir=$(cd "${1:-.}" && pwd)
oxport="$builddir/oxport"
gen="$builddir/tests/tools/oxp-gen-checkpoint"
driver="$builddir/tests/bench/bench-optimize"
for tool in "$oxport" "$gen" "$driver"; do
  [ -x "$tool" ] || { echo "bench-optimize-gpt2.sh: $tool is not built" >&2; exit 2; }
done
OXPORT_PLUGIN_PATH=$(make -s -C "$builddir" oxp-print-plugin-path)
export OXPORT_PLUGIN_PATH
if [ -z "${OXPORT_ONNXRUNTIME:-}" ]; then
  ort=$(sed -n 's/^ONNXRUNTIME_LIBRARY = //p' "$builddir/Makefile")
  [ -n "$ort" ] && export OXPORT_ONNXRUNTIME="$ort"
fi
runs=${OXP_BENCH_RUNS:-20}

work=$(mktemp -d "${TMPDIR:-/tmp}/oxp-bench-gpt2-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir -p "$work/gpt2"
cat >"$work/gpt2/config.json" <<'EOF'
{
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "bos_token_id": 50256,
  "eos_token_id": 50256,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_inner": null,
  "n_layer": 12,
  "n_positions": 1024,
  "scale_attn_weights": true,
  "torch_dtype": "float32",
  "use_cache": true,
  "vocab_size": 50257
}
EOF
# GPT2LMHeadModel's names: Conv1D weights [in, out], lm_head tied to wte.
p=transformer.h.{0..11}
cat >"$work/gpt2/tensors.txt" <<EOF
transformer.wte.weight F32 50257,768
transformer.wpe.weight F32 1024,768
$p.ln_1.weight F32 768
$p.ln_1.bias F32 768
$p.attn.c_attn.weight F32 768,2304
$p.attn.c_attn.bias F32 2304
$p.attn.c_proj.weight F32 768,768
$p.attn.c_proj.bias F32 768
$p.ln_2.weight F32 768
$p.ln_2.bias F32 768
$p.mlp.c_fc.weight F32 768,3072
$p.mlp.c_fc.bias F32 3072
$p.mlp.c_proj.weight F32 3072,768
$p.mlp.c_proj.bias F32 768
transformer.ln_f.weight F32 768
transformer.ln_f.bias F32 768
EOF
"$gen" --quiet --seed 1 --config "$work/gpt2/config.json" --tensors "$work/gpt2/tensors.txt" \
  "$work/gpt2/model"

# export_to OUT [OPTIONS]
export_to () {
  out=$1
  shift
  "$oxport" export --model "$work/gpt2/model" --task text-generation-with-past --no-validate \
    "$@" "$out" >"$out.log" 2>&1 ||
    { echo "bench-optimize-gpt2.sh: export to $out failed:" >&2; tail -n 5 "$out.log" >&2; exit 1; }
}
export_to "$work/gpt2-plain"
export_to "$work/gpt2-O2" --optimize O2
rm -rf "$work/gpt2/model"

files="$work/gpt2-plain/model.onnx $work/gpt2-O2/model.onnx"
# shellcheck disable=SC2086
decode=$("$driver" 1 1 128 "$runs" $files | tr '\n' ' ')
# shellcheck disable=SC2086
prompt=$("$driver" 1 128 0 "$runs" $files | tr '\n' ' ')

awk -v dec="$decode" -v pr="$prompt" -v runs="$runs" -v cpus="$(nproc)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "ONNX Runtime CPU latency, median of %d runs after warm-up, files alternating (ms)\n", runs
  printf "%d CPUs, load average %s at the end (shared machine: compare ratios within a row)\n", cpus, load
  printf "%-36s %10s %10s %10s\n", "gpt2-small-shaped, input", "plain", "O2", "plain/O2"
  split(dec, a, " "); printf "%-36s %10.2f %10.2f %10.2f\n", "1 token, past 128", a[1], a[2], a[1] / a[2]
  split(pr, a, " "); printf "%-36s %10.2f %10.2f %10.2f\n", "prompt 128, no past", a[1], a[2], a[1] / a[2]
}'
