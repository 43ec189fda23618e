#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-writer.sh [WORKDIR] — the OxpOnnxWriter benchmark (not a test).
#
# Makes a synthetic fp32 checkpoint of about 2.9 GiB (3 shards, BERT-like
# shapes: hidden 2048, FFN 8192, 14 layers, 30522-row embedding) and the
# same tensors in bf16 (1.5 GiB) with tests/tools/oxp-gen-checkpoint, reads
# them once so that the page cache is warm, then times under
# /usr/bin/time -v:
#   - cp of the fp32 shards (the reference: same bytes, same disk, warm cache);
#   - bench-writer writing every tensor as an initializer (above 2 GiB, so
#     external data in AUTO mode): as they are, with 2-D tensors transposed,
#     and transposed plus converted to fp16;
#   - cp of the bf16 shards, then their 2-D tensors transposed as bf16, and
#     converted to fp16 and to fp32.
# Prints wall time, CPU time (user + system: steadier than wall time on a
# loaded machine), peak RSS and the wall-time ratio to the cp just before (bf16->fp32:
# to the cp of the fp32 shards, the same bytes written); the
# rounds (BENCH_ROUNDS, default 2) show how much the disk varies.  Nothing is dropped from
# the caches; `sync` runs between measurements (untimed) so that no run pays
# for the previous one's writeback.  Run from the build directory after
# `make`; WORKDIR (default ./bench-writer.tmp) needs about 11 GiB free and is
# removed at the end.
#
# BENCH_BASELINE_LIB=DIR also runs every writer row with the liboxport of DIR
# (LD_LIBRARY_PATH; e.g. a copy of .libs/liboxport-1.0.so* of an older
# build), in the same round, to compare two versions on a shared machine.
set -eu

top_builddir=${OXP_TOP_BUILDDIR:-$(pwd)}
gen="$top_builddir/tests/tools/oxp-gen-checkpoint"
driver="$top_builddir/tests/bench/bench-writer"
work=${1:-$top_builddir/bench-writer.tmp}
for prog in "$gen" "$driver" /usr/bin/time; do
  if [ ! -x "$prog" ]; then
    echo "bench-writer.sh: $prog missing (run 'make' in the build directory first)" >&2
    exit 1
  fi
done

mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
avail_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if [ "$avail_kb" -lt $((11 * 1024 * 1024)) ]; then
  echo "bench-writer.sh: $work has $((avail_kb / 1024)) MiB free, about 11 GiB are needed" >&2
  exit 1
fi

mkdir -p "$work/ckpt" "$work/cp" "$work/out"
echo '{"model_type": "bert"}' >"$work/config.json"
{
  echo "embeddings.word_embeddings.weight F32 30522,2048"
  for i in $(seq 0 13); do
    for p in query key value output; do
      echo "encoder.layer.$i.attention.$p.weight F32 2048,2048"
      echo "encoder.layer.$i.attention.$p.bias F32 2048"
    done
    echo "encoder.layer.$i.intermediate.dense.weight F32 8192,2048"
    echo "encoder.layer.$i.intermediate.dense.bias F32 8192"
    echo "encoder.layer.$i.output.dense.weight F32 2048,8192"
    echo "encoder.layer.$i.output.dense.bias F32 2048"
  done
} >"$work/tensors.txt"
"$gen" --quiet --tensors "$work/tensors.txt" --config "$work/config.json" --shards 3 --seed 1 \
  "$work/ckpt"
sed 's/ F32 / BF16 /' "$work/tensors.txt" >"$work/tensors-bf16.txt"
"$gen" --quiet --tensors "$work/tensors-bf16.txt" --config "$work/config.json" --shards 3 \
  --seed 1 "$work/ckpt-bf16"
ckpt_bytes=$(cat "$work"/ckpt/*.safetensors | wc -c)

# Warm read: the checkpoints are in the page cache for every run below.
cat "$work"/ckpt/*.safetensors "$work"/ckpt-bf16/*.safetensors >/dev/null
sync

# measure LABEL COMMAND...: one row of the table.
cp_seconds=
measure () {
  label=$1
  shift
  rm -rf "$work/out" "$work/cp"
  mkdir -p "$work/out" "$work/cp"
  sync
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/stdout.txt"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                     for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$work/time.txt")
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' \
    "$work/time.txt")
  out_bytes=$(cat "$work"/out/* "$work"/cp/* 2>/dev/null | wc -c)
  case $label in
    cp*) cp_seconds=$wall ;;
  esac
  ratio=$(awk -v a="$wall" -v b="$cp_seconds" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '%-42s %8s %6s %10s %12s %8s   %s\n' "$label" "$wall" "$cpu" "$((rss_kb / 1024))" \
    "$((out_bytes / 1048576))" "${ratio}x" "$(cat "$work/stdout.txt")"
}

# writer LABEL ARGS...: a writer row, and the same with the baseline library.
writer () {
  label=$1
  shift
  measure "$label" "$driver" "$@"
  if [ -n "${BENCH_BASELINE_LIB:-}" ]; then
    measure "  (baseline) $label" env LD_LIBRARY_PATH="$BENCH_BASELINE_LIB" "$driver" "$@"
  fi
}

printf 'checkpoint: %d MiB of fp32 weights in 3 shards (%s), and the same in bf16\n' \
  "$((ckpt_bytes / 1048576))" "$(df -P "$work" | awk 'NR == 2 { print $1 }')"
printf '%s CPUs, load average %s (the machine may be shared: compare within a round)\n' \
  "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-42s %8s %6s %10s %12s %8s   %s\n' "run" "wall s" "CPU s" "peak RSS MB" "written MiB" \
  "vs cp" "notes"
round=1
while [ "$round" -le "${BENCH_ROUNDS:-2}" ]; do
  measure "cp of the fp32 shards [$round]" cp "$work"/ckpt/*.safetensors "$work/cp/"
  cp_fp32_seconds=$cp_seconds
  writer "writer fp32 (auto: external) [$round]" "$work/ckpt" "$work/out/model.onnx"
  writer "writer fp32, 2-D transposed [$round]" --transpose "$work/ckpt" "$work/out/model.onnx"
  writer "writer fp32->fp16, 2-D transposed [$round]" --transpose --float-type fp16 \
    "$work/ckpt" "$work/out/model.onnx"
  measure "cp of the bf16 shards [$round]" cp "$work"/ckpt-bf16/*.safetensors "$work/cp/"
  writer "writer bf16, 2-D transposed [$round]" --transpose --float-type bf16 \
    "$work/ckpt-bf16" "$work/out/model.onnx"
  writer "writer bf16->fp16, 2-D transposed [$round]" --transpose --float-type fp16 \
    "$work/ckpt-bf16" "$work/out/model.onnx"
  # It writes as many bytes as the fp32 rows: compared with their cp.
  cp_bf16_seconds=$cp_seconds
  cp_seconds=$cp_fp32_seconds
  writer "writer bf16->fp32, 2-D transposed [$round]" --transpose --float-type fp32 \
    "$work/ckpt-bf16" "$work/out/model.onnx"
  cp_seconds=$cp_bf16_seconds
  round=$((round + 1))
done
