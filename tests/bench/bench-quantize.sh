#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test) of `oxport export --quantize`, on a llama-1b
# (Llama 3.2 1B) shaped random checkpoint with grouped-query attention
# (hidden 2048, 32 heads, 8 key/value heads, intermediate 8192, fp32):
#   - the export of plain fp32, O2, O2+int4 and O2+int8: wall time against
#     `cp` of the checkpoint (page cache warm) and peak RSS (GNU time);
#   - ONNX Runtime CPU latency, median of $runs runs after warm-up, the four
#     files alternating in one process (tests/bench/bench-optimize): one new
#     token after a past of 128, and a 128-token prompt;
#   - greedy agreement over 16 new tokens (4 prompts) of each file with the
#     plain fp32 export (tests/bench/bench-quantize-greedy).
# $OXP_BENCH_LLAMA_LAYERS layers (default 4 of the 16) and a 32000-token
# vocabulary keep the sessions within a few GB; the per-layer work is the
# 1b model's.  OXP_BENCH_QUANTIZE_FULL=1 exports the whole 1b shape instead
# (see below: the int4 export's time and peak RSS only).
#
# Usage: tests/bench/bench-quantize.sh [BUILDDIR]   (or `make bench-quantize`)
# Scratch files (~3 GB; ~10 GB with OXP_BENCH_QUANTIZE_FULL=1) go to $TMPDIR.

set -eu

builddir=$(cd "${1:-.}" && pwd)
oxport="$builddir/oxport"
gen="$builddir/tests/tools/oxp-gen-checkpoint"
driver="$builddir/tests/bench/bench-optimize"
greedy="$builddir/tests/bench/bench-quantize-greedy"
for tool in "$oxport" "$gen" "$driver" "$greedy"; do
  [ -x "$tool" ] || { echo "bench-quantize.sh: $tool is not built" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-quantize.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
OXPORT_PLUGIN_PATH=$(make -s -C "$builddir" oxp-print-plugin-path)
export OXPORT_PLUGIN_PATH
if [ -z "${OXPORT_ONNXRUNTIME:-}" ]; then
  ort=$(sed -n 's/^ONNXRUNTIME_LIBRARY = //p' "$builddir/Makefile")
  [ -n "$ort" ] && export OXPORT_ONNXRUNTIME="$ort"
fi
runs=${OXP_BENCH_RUNS:-10}
# shellcheck source=tests/bench/llama-1b.sh
. "$(dirname "$0")/llama-1b.sh"
# OXP_BENCH_QUANTIZE_FULL=1: the whole Llama 3.2 1B shape (16 layers,
# vocabulary 128256, tied embeddings: 4.9 GB in fp32, 2.5 GB with
# OXP_BENCH_LLAMA_DTYPE=BF16), exported --optimize O2 --quantize int4 only:
# time against cp and peak RSS, no ONNX Runtime (its fp32 session of the
# plain file would not fit a small machine).
full=${OXP_BENCH_QUANTIZE_FULL:-}
ckpt_dtype=${OXP_BENCH_LLAMA_DTYPE:-F32}
if [ -n "$full" ]; then
  layers=${OXP_BENCH_LLAMA_LAYERS:-16}
  vocab=128256
  tied=tied
else
  layers=${OXP_BENCH_LLAMA_LAYERS:-4}
  vocab=32000
  tied=
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oxp-bench-quantize-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir -p "$work/llama"
llama_1b_config "$layers" "$vocab" "$tied" >"$work/llama/config.json"
llama_1b_tensors "$layers" "$ckpt_dtype" "$vocab" "$tied" >"$work/llama/tensors.txt"
"$gen" --quiet --seed 1 --config "$work/llama/config.json" --tensors "$work/llama/tensors.txt" \
  "$work/llama/model"
ckpt=$work/llama/model
# Warm the page cache, then time cp as the floor.  Each timed step starts
# with no dirty pages (sync), so one's writeback does not slow the next.
cat "$ckpt"/*.safetensors >/dev/null
sync
/usr/bin/time -f "%e %M" -o "$work/cp.time" cp "$ckpt/model.safetensors" "$work/copy.safetensors"
rm -f "$work/copy.safetensors"

# export NAME [OPTIONS]
export_to () {
  name=$1
  shift
  sync
  /usr/bin/time -f "%e %M" -o "$work/$name.time" \
    "$oxport" export -q --model "$ckpt" --task text-generation-with-past --no-validate "$@" \
    "$work/$name" >"$work/$name.log" 2>&1 ||
    { echo "bench-quantize.sh: export $name failed:" >&2; tail -n 5 "$work/$name.log" >&2; exit 1; }
}
if [ -n "$full" ]; then
  export_to O2-int4 --optimize O2 --quantize int4
  awk -v layers="$layers" -v vocab="$vocab" -v dtype="$ckpt_dtype" -v cpus="$(nproc)" \
      -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v cp="$(cat "$work/cp.time")" \
      -v ckpt_size="$(du -b "$ckpt/model.safetensors" | cut -f1)" \
      -v t="$(cat "$work/O2-int4.time")" -v size="$(du -b "$work/O2-int4" | cut -f1)" 'BEGIN {
    printf "llama-1b-shaped GQA decoder, %d layers, vocabulary %d, tied embeddings, %s checkpoint %.0f MB\n", layers, vocab, dtype, ckpt_size / 1e6
    printf "%d CPUs, load average %s at the end (shared machine)\n\n", cpus, load
    split(cp, c, " "); split(t, a, " ")
    printf "export (page cache warm; cp of the checkpoint: %.2f s, peak RSS %.0f MB)\n", c[1], c[2] / 1024
    printf "%-10s %10s %10s %12s %12s\n", "file", "time s", "x cp", "peak RSS MB", "size MB"
    printf "%-10s %10.2f %10.2f %12.0f %12.0f\n", "O2+int4", a[1], a[1] / c[1], a[2] / 1024, size / 1e6
  }'
  exit 0
fi
export_to plain
export_to O2 --optimize O2
export_to O2-int4 --optimize O2 --quantize int4
export_to O2-int8 --optimize O2 --quantize int8

files="$work/plain/model.onnx $work/O2/model.onnx $work/O2-int4/model.onnx $work/O2-int8/model.onnx"
# shellcheck disable=SC2086
decode=$("$driver" 1 1 128 "$runs" $files | tr '\n' ' ')
# shellcheck disable=SC2086
prompt=$("$driver" 1 128 0 "$runs" $files | tr '\n' ' ')
# shellcheck disable=SC2086
agree=$("$greedy" 16 $files | tr '\n' ' ')

size () { du -b "$work/$1" | cut -f1; }
awk -v dec="$decode" -v pr="$prompt" -v agree="$agree" -v runs="$runs" -v layers="$layers" \
    -v cpus="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v cp="$(cat "$work/cp.time")" -v ckpt_size="$(du -b "$ckpt/model.safetensors" | cut -f1)" \
    -v t1="$(cat "$work/plain.time")" -v t2="$(cat "$work/O2.time")" \
    -v t3="$(cat "$work/O2-int4.time")" -v t4="$(cat "$work/O2-int8.time")" \
    -v s1="$(size plain)" -v s2="$(size O2)" -v s3="$(size O2-int4)" -v s4="$(size O2-int8)" 'BEGIN {
  printf "llama-1b-shaped GQA decoder, %d layers, vocabulary 32000, fp32 checkpoint %.0f MB\n", layers, ckpt_size / 1e6
  printf "%d CPUs, load average %s at the end (shared machine: compare ratios within a table)\n\n", cpus, load
  split(cp, c, " ")
  printf "export (page cache warm; cp of the checkpoint: %.2f s)\n", c[1]
  printf "%-10s %10s %10s %12s %12s\n", "file", "time s", "x cp", "peak RSS MB", "size MB"
  n = split("plain O2 O2+int4 O2+int8", names, " ")
  split(t1, a, " "); printf "%-10s %10.2f %10.2f %12.0f %12.0f\n", names[1], a[1], a[1] / c[1], a[2] / 1024, s1 / 1e6
  split(t2, a, " "); printf "%-10s %10.2f %10.2f %12.0f %12.0f\n", names[2], a[1], a[1] / c[1], a[2] / 1024, s2 / 1e6
  split(t3, a, " "); printf "%-10s %10.2f %10.2f %12.0f %12.0f\n", names[3], a[1], a[1] / c[1], a[2] / 1024, s3 / 1e6
  split(t4, a, " "); printf "%-10s %10.2f %10.2f %12.0f %12.0f\n", names[4], a[1], a[1] / c[1], a[2] / 1024, s4 / 1e6
  printf "\nONNX Runtime CPU latency, median of %d runs after warm-up, files alternating (ms)\n", runs
  printf "%-28s %9s %9s %9s %9s %11s %11s %11s\n", "input", "plain", "O2", "O2+int4", "O2+int8", "plain/O2", "plain/int4", "plain/int8"
  split(dec, a, " "); printf "%-28s %9.2f %9.2f %9.2f %9.2f %11.2f %11.2f %11.2f\n", "1 token, past 128", a[1], a[2], a[3], a[4], a[1] / a[2], a[1] / a[3], a[1] / a[4]
  split(pr, a, " "); printf "%-28s %9.2f %9.2f %9.2f %9.2f %11.2f %11.2f %11.2f\n", "prompt 128", a[1], a[2], a[3], a[4], a[1] / a[2], a[1] / a[3], a[1] / a[4]
  split(agree, a, " ")
  printf "\ngreedy agreement with plain fp32, 4 prompts x 16 new tokens: O2 %.3f (%d/4 rows), O2+int4 %.3f (%d/4 rows), O2+int8 %.3f (%d/4 rows)\n", a[1], a[2], a[3], a[4], a[5], a[6]
}'
