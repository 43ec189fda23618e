#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `oxport export` as a hostile or unlucky user meets it (issue 11): what was
# in OUTDIR is never touched by a failed or interrupted export, the model
# folder is untrusted, signals and limits end the run cleanly.  Prints TAP.
#
# Test hooks of the library (for deterministic races; not for users):
#   OXP_TEST_PAUSE_BEFORE_WRITE=FILE   the export creates FILE once the
#     checkpoint is mapped and the graph built, just before the writer
#     reads the weights, and waits until FILE is removed
#   OXP_TEST_PAUSE_BEFORE_RENAME=FILE  the same, once every file is complete
#     in the staging folder and before any is moved into OUTDIR

set -u

: "${OXPORT:?OXPORT must name the built oxport program}"
: "${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests source folder}"
PYTHON3="${PYTHON3:-python3}"
DATA="$G_TEST_SRCDIR/data"
CASE="$DATA/bert_feature-extraction"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oxp-export-safety-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
umask 022

n=0
failures=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$TMP/stderr" 2>/dev/null; }
check () { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

# make_model NAME: a copy of the bert case in $TMP/NAME.
make_model () {
  rm -rf "$TMP/$1" && mkdir -p "$TMP/$1" \
    && cp "$CASE/config.json" "$CASE/model.safetensors" "$TMP/$1/"
}

# user_outdir DIR: an OUTDIR holding the user's own files.
user_outdir () {
  rm -rf "$1" && mkdir -p "$1"
  for f in model.onnx config.json tokenizer.json notes.txt; do
    echo "the user's $f" >"$1/$f"
  done
}

# user_files_intact DIR: the files of user_outdir, unchanged, and nothing else.
user_files_intact () {
  for f in model.onnx config.json tokenizer.json notes.txt; do
    [ "$(cat "$1/$f" 2>/dev/null)" = "the user's $f" ] || { echo "# $1/$f changed" >&2; return 1; }
  done
  [ "$(ls -A "$1" | tr '\n' ' ')" = "config.json model.onnx notes.txt tokenizer.json " ]
}

# export_ MODEL OUTDIR [ARGS]: runs oxport export, status in $status.
export_ () {
  model=$1 out=$2
  shift 2
  "$OXPORT" export --model "$model" --no-validate "$@" "$out" >"$TMP/stdout" 2>"$TMP/stderr"
  status=$?
}

err_has () { grep -qF -- "$1" "$TMP/stderr"; }
no_staging_left () { [ -z "$(ls -A "$1" 2>/dev/null | grep '^\.oxport-staging-')" ]; }

# with_default_signals CMD...: runs CMD with SIGINT and SIGHUP at their
# default action (a shell starts background jobs with SIGINT ignored, and
# oxport leaves ignored signals alone, as nohup expects).  Only for a
# background job: it execs, so that $! is the process that gets the signal.
with_default_signals () {
  exec "$PYTHON3" -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# set_config DIR KEY JSON: DIR/config.json with KEY set to the JSON value.
set_config () {
  "$PYTHON3" - "$@" <<'PYEOF'
import json, sys
d, key, value = sys.argv[1:4]
path = d + "/config.json"
config = json.load(open(path))
config[key] = json.loads(value)
json.dump(config, open(path, "w"), indent=2)
PYEOF
}

# hostile_safetensors DIR KIND: rewrites DIR/model.safetensors with a header
# that other readers refuse: an escaped NUL in a dtype or a tensor name, a
# second JSON object after the header, a non-string __metadata__ value.
hostile_safetensors () {
  "$PYTHON3" - "$@" <<'PYEOF'
import json, struct, sys
d, kind = sys.argv[1:3]
path = d + "/model.safetensors"
data = open(path, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header, body = json.loads(data[8:8 + n]), data[8 + n:]
first = sorted(k for k in header if k != "__metadata__")[0]
if kind == "nul-dtype":
    header[first]["dtype"] = "F32\u0000x"
elif kind == "nul-name":
    header[first + "\u0000x"] = header.pop(first)
elif kind == "meta":
    header["__metadata__"] = {"format": "pt", "step": 3}
elif kind == "long-name":
    header["n" * 100000] = dict(header.pop(first), dtype="F33")
raw = json.dumps(header)
if kind == "second-object":
    raw += ' {"a": 1}'
raw = raw.encode()
raw += b" " * (-len(raw) % 8)
open(path, "wb").write(struct.pack("<Q", len(raw)) + raw + body)
PYEOF
}

# wait_for FILE: up to 60 s for a test hook to create FILE.
wait_for () {
  i=0
  while [ ! -e "$1" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
  [ -e "$1" ]
}

echo "1..40"

# --- 1. Never touch what oxport did not write ---------------------------------

# A late failure (the tokenizer cannot be copied under a file size limit,
# after model.onnx was written) into an OUTDIR holding the user's files.
make_model late
head -c 2000000 /dev/zero >"$TMP/late/tokenizer.json"
user_outdir "$TMP/late-out"
# Between model.onnx (178 kB) and tokenizer.json (2 MB) in 512- or 1024-byte blocks.
(ulimit -f 1000; export_ "$TMP/late" "$TMP/late-out"; exit $status)
status=$?
check "late failure into an existing OUTDIR: exit 1, the user's files untouched, no staging left" \
  eval '[ $status -eq 1 ] && user_files_intact "$TMP/late-out" && no_staging_left "$TMP/late-out"'
check "late failure: the message says what was changed, and no \"Nothing was left\"" \
  eval 'err_has "Nothing in $TMP/late-out was changed." && ! err_has "Nothing was left"'

# OUTDIR is the model folder, named another way.
make_model same
cp "$TMP/same/config.json" "$TMP/same-config.json"
export_ "$TMP/same" "$TMP/same/../same/"
check "OUTDIR equal to the model folder is refused, its config.json untouched" \
  eval '[ $status -eq 1 ] && err_has "is the model folder" && cmp -s "$TMP/same/config.json" "$TMP/same-config.json" && [ "$(ls -A "$TMP/same" | tr "\n" " ")" = "config.json model.safetensors " ]'

# Two exports into one OUTDIR: the second is refused while the first holds
# the lock, and the first completes; no lock file is left behind.
make_model lock
user_outdir "$TMP/lock-out"
OXP_TEST_PAUSE_BEFORE_RENAME="$TMP/lock-marker" \
  "$OXPORT" export --model "$TMP/lock" --no-validate "$TMP/lock-out" >"$TMP/lock-stdout" 2>"$TMP/lock-stderr" &
first=$!
if wait_for "$TMP/lock-marker"; then
  export_ "$TMP/lock" "$TMP/lock-out"
  second=$status
  grep -qF "locked by another oxport export" "$TMP/stderr"
  second_said=$?
  rm -f "$TMP/lock-marker"
fi
wait $first
first_status=$?
check "a second export into a locked OUTDIR is refused and says why" \
  eval '[ "${second:-}" = 1 ] && [ "${second_said:-1}" = 0 ]'
check "the first export completes; only its files and the user's other file, no lock file" \
  eval '[ $first_status -eq 0 ] && [ "$(ls -A "$TMP/lock-out" | tr "\n" " ")" = "config.json model.onnx notes.txt tokenizer.json " ] && [ "$(cat "$TMP/lock-out/notes.txt")" = "the user'"'"'s notes.txt" ] && ! grep -q "the user" "$TMP/lock-out/model.onnx"'

# --- 2. Model folders are untrusted ---------------------------------------------

# Side files: a symlink out of the model folder is skipped with a warning;
# a copy keeps its source's permission bits.
make_model side
echo secret >"$TMP/outside-secret" && chmod 600 "$TMP/outside-secret"
ln -s "$TMP/outside-secret" "$TMP/side/tokenizer_config.json"
echo '{"tok": 1}' >"$TMP/side/tokenizer.json" && chmod 600 "$TMP/side/tokenizer.json"
echo 'a b' >"$TMP/side/vocab.txt" && chmod 640 "$TMP/side/vocab.txt"
export_ "$TMP/side" "$TMP/side-out"
check "a side file symlinked out of the model folder is not copied, with a warning naming it" \
  eval '[ $status -eq 0 ] && [ ! -e "$TMP/side-out/tokenizer_config.json" ] && err_has "warning: $TMP/side/tokenizer_config.json: a symbolic link to $TMP/outside-secret, outside the model folder"'
check "copied side files keep their source's mode bits (0600, 0640), never wider" \
  eval '[ "$(stat -c %a "$TMP/side-out/tokenizer.json")" = 600 ] && [ "$(stat -c %a "$TMP/side-out/vocab.txt")" = 640 ]'

# A Hugging Face hub cache snapshot links its files into ../../blobs: that
# stays inside the repository folder, and is copied.
mkdir -p "$TMP/hub/models--org--tiny/blobs" "$TMP/hub/models--org--tiny/snapshots/0123abc"
snap="$TMP/hub/models--org--tiny/snapshots/0123abc"
cp "$CASE/config.json" "$CASE/model.safetensors" "$snap/"
echo '{"tok": 2}' >"$TMP/hub/models--org--tiny/blobs/b1"
ln -s ../../blobs/b1 "$snap/tokenizer.json"
export_ "$snap" "$TMP/hub-out"
check "a hub cache snapshot's side file linked into its blobs/ is copied" \
  eval '[ $status -eq 0 ] && [ "$(cat "$TMP/hub-out/tokenizer.json")" = "{\"tok\": 2}" ]'

# Only regular files are read: FIFOs answer at once, devices are refused,
# config.json and the index are capped.
for what in config.json model.safetensors index; do
  make_model "fifo-$what"
  case $what in
    index) rm "$TMP/fifo-$what/model.safetensors"; mkfifo "$TMP/fifo-$what/model.safetensors.index.json" ;;
    *) rm "$TMP/fifo-$what/$what"; mkfifo "$TMP/fifo-$what/$what" ;;
  esac
  timeout 20 "$OXPORT" export --model "$TMP/fifo-$what" --no-validate "$TMP/fifo-out" >"$TMP/stdout" 2>"$TMP/stderr"
  status=$?
  check "a FIFO as $what: exit 1 at once, \"not a regular file\"" \
    eval '[ $status -eq 1 ] && err_has "not a regular file (a named pipe)" && [ ! -e "$TMP/fifo-out" ]'
done
make_model zero
rm "$TMP/zero/config.json" && ln -s /dev/zero "$TMP/zero/config.json"
timeout 20 "$OXPORT" export --model "$TMP/zero" --no-validate "$TMP/zero-out" >"$TMP/stdout" 2>"$TMP/stderr"
status=$?
check "config.json -> /dev/zero: exit 1, \"not a regular file\"" \
  eval '[ $status -eq 1 ] && err_has "config.json: not a regular file (a character device)"'
make_model huge
"$PYTHON3" -c 'import json, sys
c = json.load(open(sys.argv[1])); c["padding"] = "x" * (17 << 20); json.dump(c, open(sys.argv[1], "w"))' "$TMP/huge/config.json"
export_ "$TMP/huge" "$TMP/huge-out"
check "a 17 MiB config.json is refused naming the 16 MiB limit" \
  eval '[ $status -eq 1 ] && err_has "above the limit of 16 MiB"'

# config.json values are checked before any graph is built.
for kv in 'num_hidden_layers 0' 'num_hidden_layers -1' 'num_hidden_layers 100000' \
          'num_hidden_layers "2"' 'layer_norm_eps -1e-12' 'layer_norm_eps "1e-12"' \
          'hidden_act 3' 'type_vocab_size 0' 'hidden_size 0'; do
  key=${kv%% *} value=${kv#* }
  make_model cfg
  set_config "$TMP/cfg" "$key" "$value"
  rm -rf "$TMP/cfg-out"
  export_ "$TMP/cfg" "$TMP/cfg-out"
  check "config.json with $key: $value is refused, naming the file and the key" \
    eval '[ $status -eq 1 ] && err_has "config.json" && err_has "\"$key\"" && [ ! -e "$TMP/cfg-out" ]'
done

# Fewer layers in config.json than in the weights: the unused tensors are
# reported (a warning), and --strict makes it an error.
make_model unused
set_config "$TMP/unused" num_hidden_layers 1
export_ "$TMP/unused" "$TMP/unused-out"
check "unused checkpoint tensors are reported by name (warning, exit 0)" \
  eval '[ $status -eq 0 ] && err_has "warning: " && err_has "checkpoint tensors are not used" && err_has "encoder.layer.1."'
export_ "$TMP/unused" "$TMP/unused-strict" --strict
check "unused checkpoint tensors with --strict: exit 1, nothing written" \
  eval '[ $status -eq 1 ] && err_has "encoder.layer.1." && [ ! -e "$TMP/unused-strict" ]'

# safetensors headers other readers refuse.
for kind in nul-dtype nul-name second-object meta; do
  make_model "st-$kind"
  hostile_safetensors "$TMP/st-$kind" "$kind"
  rm -rf "$TMP/st-out"
  export_ "$TMP/st-$kind" "$TMP/st-out"
  check "safetensors header with $kind is refused naming the file" \
    eval '[ $status -eq 1 ] && err_has "$TMP/st-$kind/model.safetensors: " && [ ! -e "$TMP/st-out" ]'
done

# Echoed input is truncated: a 1 MiB model_type, a 100 kB --task.
make_model long
"$PYTHON3" -c 'import json, sys
c = json.load(open(sys.argv[1])); c["model_type"] = "b" * (1 << 20); json.dump(c, open(sys.argv[1], "w"))' "$TMP/long/config.json"
export_ "$TMP/long" "$TMP/long-out"
check "a 1 MiB model_type: exit 1, the message is short" \
  eval '[ $status -eq 1 ] && err_has "model_type" && [ $(wc -c <"$TMP/stderr") -lt 4096 ]'
make_model longname
hostile_safetensors "$TMP/longname" long-name
export_ "$TMP/longname" "$TMP/long-out"
check "a 100 kB tensor name in an error: exit 1, the message is cut to its head and tail" \
  eval '[ $status -eq 1 ] && err_has "bytes left out" && err_has "F33" && [ $(wc -c <"$TMP/stderr") -lt 4096 ]'
make_model longtask
export_ "$TMP/longtask" "$TMP/long-out" --task "$(head -c 100000 /dev/zero | tr "\0" t)"
check "a 100 kB --task: exit 1, the message is short" \
  eval '[ $status -eq 1 ] && err_has "Unknown task" && [ $(wc -c <"$TMP/stderr") -lt 4096 ]'

# --- 3. Signals ----------------------------------------------------------------

# SIGINT, SIGTERM, SIGHUP while every file is staged: the run's files go,
# the user's stay, a folder the run created goes; exit status 128+N.
make_model sig
for sig in INT TERM HUP; do
  case $sig in INT) num=2 ;; TERM) num=15 ;; HUP) num=1 ;; esac
  user_outdir "$TMP/sig-$sig-existing"
  rm -rf "$TMP/sig-$sig-new"
  all=0
  for out in "$TMP/sig-$sig-existing" "$TMP/sig-$sig-new"; do
    rm -f "$TMP/sig-marker"
    OXP_TEST_PAUSE_BEFORE_RENAME="$TMP/sig-marker" \
      with_default_signals "$OXPORT" export --model "$TMP/sig" --no-validate "$out" >/dev/null 2>&1 &
    pid=$!
    wait_for "$TMP/sig-marker" && kill -s $sig $pid
    wait $pid
    st=$?
    rm -f "$TMP/sig-marker"
    [ $st -eq $((128 + num)) ] || { echo "# SIG$sig: exit status $st" >&2; all=1; }
  done
  check "SIG$sig during an export: exit $((128 + num)), the user's files intact, a created OUTDIR removed" \
    eval '[ $all -eq 0 ] && user_files_intact "$TMP/sig-$sig-existing" && [ ! -e "$TMP/sig-$sig-new" ]'
done

# A run killed outright (SIGKILL) leaves its staging folder; the next export
# into the same OUTDIR recognises it as stale and removes it.
user_outdir "$TMP/stale-out"
rm -f "$TMP/stale-marker"
OXP_TEST_PAUSE_BEFORE_RENAME="$TMP/stale-marker" \
  "$OXPORT" export --model "$TMP/sig" --no-validate "$TMP/stale-out" >/dev/null 2>&1 &
pid=$!
wait_for "$TMP/stale-marker" && kill -s KILL $pid
wait $pid
rm -f "$TMP/stale-marker"
left=$(ls -A "$TMP/stale-out" | grep -c '^\.oxport-staging-')
export_ "$TMP/sig" "$TMP/stale-out"
check "a killed run's staging folder is removed by the next export into the same OUTDIR" \
  eval '[ "$left" = 1 ] && [ $status -eq 0 ] && no_staging_left "$TMP/stale-out" && [ "$(cat "$TMP/stale-out/notes.txt")" = "the user'"'"'s notes.txt" ]'

# The writer of earlier oxport versions left ".model.onnx.tmp-XXXXXXXX" in
# OUTDIR when killed: the next export removes such leftovers, nothing else.
user_outdir "$TMP/oldtmp-out"
echo partial >"$TMP/oldtmp-out/.model.onnx.tmp-1a2b3c4d"
echo mine >"$TMP/oldtmp-out/.notes.tmp-1a2b3c4d"
export_ "$TMP/sig" "$TMP/oldtmp-out"
check "an old writer temporary is removed by the next export, a look-alike of the user's is not" \
  eval '[ $status -eq 0 ] && [ ! -e "$TMP/oldtmp-out/.model.onnx.tmp-1a2b3c4d" ] && [ -e "$TMP/oldtmp-out/.notes.tmp-1a2b3c4d" ]'

# A file size limit: SIGXFSZ is ignored, so the writer's EFBIG message is
# what the user sees.
user_outdir "$TMP/fsize-out"
(ulimit -f 100; export_ "$TMP/sig" "$TMP/fsize-out"; exit $status)
status=$?
check "ulimit -f: exit 1 with the file size message (not killed by SIGXFSZ), the user's files intact" \
  eval '[ $status -eq 1 ] && err_has "file size limit" && user_files_intact "$TMP/fsize-out" && no_staging_left "$TMP/fsize-out"'

# The checkpoint shrinks while it is mapped (another process truncates it):
# a message naming the file, not SIGBUS.
make_model bus
rm -f "$TMP/bus-marker"
OXP_TEST_PAUSE_BEFORE_WRITE="$TMP/bus-marker" \
  "$OXPORT" export --model "$TMP/bus" --no-validate "$TMP/bus-out" >"$TMP/stdout" 2>"$TMP/stderr" &
pid=$!
wait_for "$TMP/bus-marker" && : >"$TMP/bus/model.safetensors"
rm -f "$TMP/bus-marker"
wait $pid
status=$?
check "checkpoint truncated while mapped: exit 1, \"changed while it was being read\", nothing left" \
  eval '[ $status -eq 1 ] && err_has "model.safetensors changed while it was being read" && [ ! -e "$TMP/bus-out" ]'

# An opset newer than any oxport knows is refused before anything is written.
export_ "$TMP/sig" "$TMP/opset-out" --opset 99999
check "--opset 99999: exit 1 naming the newest known opset, OUTDIR not created" \
  eval '[ $status -eq 1 ] && err_has "newest is" && [ ! -e "$TMP/opset-out" ]'

# nohup: an ignored SIGHUP stays ignored, the export goes on.
rm -f "$TMP/hup-marker"
OXP_TEST_PAUSE_BEFORE_RENAME="$TMP/hup-marker" \
  nohup "$OXPORT" export --model "$TMP/sig" --no-validate "$TMP/hup-out" >/dev/null 2>&1 &
pid=$!
wait_for "$TMP/hup-marker" && kill -s HUP $pid
sleep 0.2
rm -f "$TMP/hup-marker"
wait $pid
status=$?
check "under nohup SIGHUP stays ignored: the export completes" \
  eval '[ $status -eq 0 ] && [ -f "$TMP/hup-out/model.onnx" ]'

[ "$failures" -eq 0 ]
