#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test): export a random checkpoint shaped like
# bert-base-uncased (hidden 768, 12 layers, 12 heads, intermediate 3072,
# vocab 30522, fp32, ~440 MB) and print one table: export wall time and peak
# RSS (/usr/bin/time -v), the time of cp of the same safetensors file and the
# ratio (medians of 5 runs), and ONNX Runtime latency at batch 1 and 8, sequence 128 (median of
# 20 runs after warm-up).
#
# Usage: tests/bench/bench-bert.sh [BUILDDIR]   (default: the current folder)
# Needs the build's oxport, plugins/bert, tests/tools/oxp-gen-checkpoint and
# tests/bench/bench-bert (`make -C BUILDDIR all tests/bench/bench-bert`).
# Scratch files (~1.4 GB) go to $TMPDIR.

set -eu

builddir=$(cd "${1:-.}" && pwd)
oxport="$builddir/oxport"
gen="$builddir/tests/tools/oxp-gen-checkpoint"
driver="$builddir/tests/bench/bench-bert"
for tool in "$oxport" "$gen" "$driver"; do
  [ -x "$tool" ] || { echo "bench-bert.sh: $tool is not built" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-bert.sh: /usr/bin/time is needed" >&2; exit 2; }

export OXPORT_PLUGIN_PATH="$builddir/plugins/bert/.libs"
export OXPORT_PLUGIN_PATH_ONLY=1
if [ -z "${OXPORT_ONNXRUNTIME:-}" ]; then
  ort=$(sed -n 's/^ONNXRUNTIME_LIBRARY = //p' "$builddir/Makefile")
  [ -n "$ort" ] && export OXPORT_ONNXRUNTIME="$ort"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oxp-bench-bert-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# bert-base-uncased's config, as a BertModel (feature-extraction).
cat >"$work/config.json" <<'EOF'
{
  "architectures": ["BertModel"],
  "attention_probs_dropout_prob": 0.1,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 768,
  "initializer_range": 0.02,
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
} >"$work/tensors.txt"

"$gen" --quiet --seed 1 --config "$work/config.json" --tensors "$work/tensors.txt" "$work/model"
size=$(stat -c %s "$work/model/model.safetensors")

# field FILE LABEL: a value of /usr/bin/time -v's report.
field () { sed -n "s/^[[:space:]]*$2: //p" "$1"; }
# seconds H:MM:SS.ss|M:SS.ss → seconds
seconds () { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }

# cpu_seconds FILE: user + system time of a /usr/bin/time -v report.
cpu_seconds () {
  echo "$(field "$1" 'User time (seconds)') $(field "$1" 'System time (seconds)')" |
    awk '{ printf "%.2f\n", $1 + $2 }'
}
# median FILE: the median of the numbers in FILE, one a line.
median () { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# cp and export alternate, $runs times each, from the same page-cache state
# (the checkpoint was just written); the medians go in the table.
runs=5
: >"$work/cp.list"
: >"$work/export.list"
: >"$work/rss.list"
: >"$work/cp-cpu.list"
: >"$work/export-cpu.list"
i=0
while [ $i -lt $runs ]; do
  /usr/bin/time -v cp "$work/model/model.safetensors" "$work/copy.safetensors" 2>"$work/cp.time"
  seconds "$(field "$work/cp.time" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')" >>"$work/cp.list"
  echo >>"$work/cp.list"
  cpu_seconds "$work/cp.time" >>"$work/cp-cpu.list"
  rm -f "$work/copy.safetensors"
  rm -rf "$work/out"
  /usr/bin/time -v "$oxport" export --model "$work/model" --no-validate "$work/out" \
    >"$work/export.out" 2>"$work/export.time"
  seconds "$(field "$work/export.time" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')" >>"$work/export.list"
  echo >>"$work/export.list"
  cpu_seconds "$work/export.time" >>"$work/export-cpu.list"
  field "$work/export.time" 'Maximum resident set size (kbytes)' >>"$work/rss.list"
  i=$((i + 1))
done
cp_s=$(median "$work/cp.list")
export_s=$(median "$work/export.list")
export_rss_kb=$(sort -n "$work/rss.list" | tail -n 1)
cp_cpu=$(median "$work/cp-cpu.list")
export_cpu=$(median "$work/export-cpu.list")
onnx_size=$(stat -c %s "$work/out/model.onnx")
rm -rf "$work/out"

/usr/bin/time -v "$oxport" export --model "$work/model" "$work/out" \
  >"$work/export-validate.out" 2>"$work/export-validate.time"
validate_s=$(seconds "$(field "$work/export-validate.time" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')")
validate_rss_kb=$(field "$work/export-validate.time" 'Maximum resident set size (kbytes)')

lat1=$("$driver" "$work/out/model.onnx" 1 128 20)
lat8=$("$driver" "$work/out/model.onnx" 8 128 20)

awk -v size="$size" -v onnx="$onnx_size" -v cp="$cp_s" -v ex="$export_s" -v rss="$export_rss_kb" \
    -v vs="$validate_s" -v vrss="$validate_rss_kb" -v l1="$lat1" -v l8="$lat8" -v cpus="$(nproc)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v runs="$runs" \
    -v cpcpu="$cp_cpu" -v excpu="$export_cpu" 'BEGIN {
  mb = 1024 * 1024
  printf "bert-base-uncased shapes, random fp32 weights: %.1f MB safetensors -> %.1f MB model.onnx\n", size / mb, onnx / mb
  printf "%d CPUs, load average %s (timings are shared with whatever else runs)\n", cpus, load
  printf "export and cp: median of %d alternating runs; RSS: the largest\n", runs
  printf "%-44s %12s\n", "measure", "value"
  printf "%-44s %12.2f\n", "oxport export --no-validate, median wall (s)", ex
  printf "%-44s %12.1f\n", "oxport export --no-validate, peak RSS (MB)", rss / 1024
  printf "%-44s %12.2f\n", "cp of model.safetensors, median wall (s)", cp
  printf "%-44s %12.2f\n", "export / cp (wall)", (cp > 0 ? ex / cp : 0)
  printf "%-44s %12.2f\n", "oxport export, median CPU user+sys (s)", excpu
  printf "%-44s %12.2f\n", "cp, median CPU user+sys (s)", cpcpu
  printf "%-44s %12.1f\n", "aim: RSS <= size/4 + 50 MB (MB)", size / 4 / mb + 50
  printf "%-44s %12.2f\n", "oxport export with validation, wall time (s)", vs
  printf "%-44s %12.1f\n", "oxport export with validation, peak RSS (MB)", vrss / 1024
  printf "%-44s %12.2f\n", "ORT latency batch 1 seq 128, median (ms)", l1
  printf "%-44s %12.2f\n", "ORT latency batch 8 seq 128, median (ms)", l8
}'
