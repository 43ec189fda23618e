#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-writer.sh [WORKDIR] — the OxpOnnxWriter benchmark (not a test).
#
# Makes a synthetic fp32 checkpoint of about 2.9 GiB (3 shards, BERT-like
# shapes: hidden 2048, FFN 8192, 14 layers, 30522-row embedding) with
# tests/tools/oxp-gen-checkpoint, reads it once so that the page cache is
# warm, then times under /usr/bin/time -v:
#   - cp of the shards (the reference: same bytes, same disk, warm cache);
#   - bench-writer writing every tensor as an initializer (above 2 GiB, so
#     external data in AUTO mode): as they are, with 2-D tensors transposed,
#     and transposed plus converted to fp16.
# Prints wall time, peak RSS and the ratio to the cp of the same round; the
# rounds (BENCH_ROUNDS, default 2) show how much the disk varies.  Nothing is dropped from
# the caches; `sync` runs between measurements (untimed) so that no run pays
# for the previous one's writeback.  Run from the build directory after
# `make`; WORKDIR (default ./bench-writer.tmp) needs about 9 GiB free and is
# removed at the end.
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
if [ "$avail_kb" -lt $((9 * 1024 * 1024)) ]; then
  echo "bench-writer.sh: $work has $((avail_kb / 1024)) MiB free, about 9 GiB are needed" >&2
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
ckpt_bytes=$(cat "$work"/ckpt/*.safetensors | wc -c)

# Warm read: the checkpoint is in the page cache for every run below.
cat "$work"/ckpt/*.safetensors >/dev/null
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
  out_bytes=$(cat "$work"/out/* "$work"/cp/* 2>/dev/null | wc -c)
  case $label in
    cp*) cp_seconds=$wall ;;
  esac
  ratio=$(awk -v a="$wall" -v b="$cp_seconds" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '%-36s %8s %10s %12s %8s   %s\n' "$label" "$wall" "$((rss_kb / 1024))" \
    "$((out_bytes / 1048576))" "${ratio}x" "$(cat "$work/stdout.txt")"
}

printf 'checkpoint: %d MiB of fp32 weights in 3 shards (%s)\n' "$((ckpt_bytes / 1048576))" \
  "$(df -P "$work" | awk 'NR == 2 { print $1 }')"
printf '%-36s %8s %10s %12s %8s   %s\n' "run" "wall s" "peak RSS MB" "written MiB" "vs cp" "notes"
round=1
while [ "$round" -le "${BENCH_ROUNDS:-2}" ]; do
  measure "cp of the shards [$round]" cp "$work"/ckpt/*.safetensors "$work/cp/"
  measure "writer fp32 (auto: external) [$round]" "$driver" "$work/ckpt" "$work/out/model.onnx"
  measure "writer fp32, 2-D transposed [$round]" "$driver" --transpose "$work/ckpt" \
    "$work/out/model.onnx"
  measure "writer fp16, 2-D transposed [$round]" "$driver" --transpose --float-type fp16 \
    "$work/ckpt" "$work/out/model.onnx"
  round=$((round + 1))
done
