#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A broken plugin never takes oxport down: next to modules that crash in
# init, abort, exit(0), loop for ever, crash in an ELF constructor, reuse
# another plugin's GType name, or are a FIFO named .so, every command keeps
# working and names the bad file; a crash in a plugin's build_graph names
# the plugin.  Then the registry cache: hit, miss after a touch, disabled,
# damaged.  Speaks TAP.

set -u

: "${OXPORT:?OXPORT must name the oxport program}"
: "${OXP_TOP_BUILDDIR:?}"
: "${G_TEST_SRCDIR:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-test-scanner.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Own cache, short timeout: each test below says which it relies on.
XDG_CACHE_HOME=$tmp/cache
OXPORT_PLUGIN_SCAN_TIMEOUT=1
export XDG_CACHE_HOME OXPORT_PLUGIN_SCAN_TIMEOUT
unset OXPORT_SCAN_IN_PROCESS OXPORT_REGISTRY_CACHE
# In a sanitizer build the crashes must still be crashes (not ASan's exit
# status 1), and exit(0) must stay 0 (no leak check at exit).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:detect_leaks=0"
export ASAN_OPTIONS
cache=$XDG_CACHE_HOME/oxport-1.0/registry.cache

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  for f in "$tmp/out" "$tmp/err"; do
    [ -s "$f" ] && sed 's/^/#   /' "$f" | head -n 30
  done
  return 0
}
check () { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# run EXPECTED_STATUS ARGS...: stdout/stderr in $tmp/out, $tmp/err; the
# time it took, in ms, in $elapsed.
run () {
  expected=$1; shift
  start=$(date +%s%N)
  "$OXPORT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  elapsed=$((($(date +%s%N) - start) / 1000000))
  if [ "$status" -ne "$expected" ]; then
    echo "#   oxport $*: exit $status, expected $expected" >>"$tmp/err"
    return 1
  fi
  return 0
}
out_has () { grep -q -e "$1" "$tmp/out"; }
err_has () { grep -q -e "$1" "$tmp/err"; }

broken=$OXP_TOP_BUILDDIR/tests/plugins/broken/.libs
for m in segv abort exit hang ctor duptype dup crashgraph chatty; do
  if [ ! -f "$broken/oxport-$m.so" ]; then
    echo "1..0 # SKIP tests/plugins/broken not built"
    exit 0
  fi
done
fifo_dir=$tmp/fifo
mkdir -p "$fifo_dir"
mkfifo "$fifo_dir/oxport-fifo.so"
dirs="--plugin-dir $broken --plugin-dir $fifo_dir"
bert_case=$G_TEST_SRCDIR/data/bert_feature-extraction

echo "1..27"

# --- every bad file is named, with its reason --------------------------------------
# shellcheck disable=SC2086
run 0 plugins $dirs
check "oxport plugins survives the broken plugins and still lists the good ones" \
  'out_has "^  bert " && out_has "^  crashgraph " && out_has "^Rejected ("'
check "a SIGSEGV in init is named" \
  'out_has "oxport-segv.so: loading the plugin crashed the plugin scanner with signal 11"'
check "an abort() in init is named" 'out_has "oxport-abort.so: .* signal 6"'
check "an exit(0) in init is named" 'out_has "oxport-exit.so: .*exit status 0"'
check "an endless init is named after the timeout" \
  'out_has "oxport-hang.so: loading the plugin did not finish within 1 s"'
check "a crash in an ELF constructor is named" 'out_has "oxport-ctor.so: .* signal 11"'
check "a GType name another plugin registered is named" \
  'out_has "oxport-duptype.so: .*OxpTestDupConfig" && ! out_has "^    oxptest-duptype"'
check "a FIFO named .so is refused without being opened as a module" \
  'out_has "oxport-fifo.so: not a loadable module: a FIFO, not a regular file"'
check "a plugin writing to stdout in init does not garble the scanner's reply" \
  'out_has "^    oxptest-chatty: feature-extraction" && ! out_has "hello from init"'
check "the warnings name the files that would have crashed the command" \
  'err_has "skipped plugin .*oxport-segv.so" && err_has "skipped plugin .*oxport-hang.so"'

# shellcheck disable=SC2086
run 0 plugins $dirs --json
check "oxport plugins --json lists them, from the cache this time" \
  'grep -q "oxport-segv.so" "$tmp/out" && grep -q "oxport-fifo.so" "$tmp/out" && [ "$elapsed" -lt 1000 ]'

# shellcheck disable=SC2086
run 0 tasks $dirs bert
check "oxport tasks works next to them and names the bad file" \
  'out_has "feature-extraction" && err_has "oxport-segv.so"'
# shellcheck disable=SC2086
run 0 inspect $dirs "$bert_case"
check "oxport inspect works next to them and names the bad file" \
  'out_has "^Model type: *bert" && err_has "oxport-abort.so"'
# shellcheck disable=SC2086
run 0 export $dirs --model "$bert_case" --no-validate "$tmp/out-bert"
check "oxport export works next to them and names the bad file" \
  '[ -f "$tmp/out-bert/model.onnx" ] && err_has "oxport-exit.so"'
if [ -n "${OXPORT_ONNXRUNTIME:-}" ] && [ -r "${OXPORT_ONNXRUNTIME:-}" ]; then
  # shellcheck disable=SC2086
  run 0 validate $dirs "$tmp/out-bert/model.onnx" --reference "$bert_case/vectors.safetensors"
  check "oxport validate works next to them" 'out_has "passed"'
else
  ok "oxport validate works next to them # SKIP no ONNX Runtime"
fi

# --- a crash in build_graph names the plugin ------------------------------------
mkdir -p "$tmp/crash-model"
cp "$bert_case/model.safetensors" "$tmp/crash-model/"
sed -e 's/"model_type": *"bert"/"model_type": "oxptest-crashgraph"/' \
    -e 's/"BertModel"/"OxpTestCrashGraphModel"/' "$bert_case/config.json" >"$tmp/crash-model/config.json"
run 139 export --plugin-dir "$broken" --model "$tmp/crash-model" --task feature-extraction \
  --no-validate "$tmp/out-crash"
check "a SIGSEGV in build_graph ends the export by that signal, naming the plugin" \
  'err_has "fatal SIGSEGV .* plugin '"'"'crashgraph'"'"' ($broken/oxport-crashgraph.so)"'
check "the crashed export left nothing on disk (no OUTDIR, no staging folder)" \
  '[ ! -e "$tmp/out-crash" ]'
mkdir -p "$tmp/out-crash-existing"
echo notes >"$tmp/out-crash-existing/notes.txt"
run 139 export --plugin-dir "$broken" --model "$tmp/crash-model" --task feature-extraction \
  --no-validate "$tmp/out-crash-existing"
check "a crash into an existing OUTDIR keeps what was there and removes the staging folder" \
  '[ "$(ls -A "$tmp/out-crash-existing")" = notes.txt ] && err_has "fatal SIGSEGV"'
run 0 inspect --plugin-dir "$broken" "$tmp/crash-model"
check "inspect of that plugin's model works: only an export builds its graph" \
  'out_has "oxptest-crashgraph (plugin crashgraph)"'

# --- in-process loading, for debugging ----------------------------------------------
mkdir -p "$tmp/segv-only"
ln -s "$broken/oxport-segv.so" "$tmp/segv-only/oxport-segv.so"
OXPORT_SCAN_IN_PROCESS=1 run 139 plugins --plugin-dir "$tmp/segv-only"
check "OXPORT_SCAN_IN_PROCESS=1 loads in the process (and the crash names the plugin)" \
  'err_has "fatal SIGSEGV .* plugin '"'"'segv'"'"'"'

# --- the registry cache ------------------------------------------------------------------
hang_dir=$tmp/hang
mkdir -p "$hang_dir"
cp "$broken/oxport-hang.so" "$hang_dir/"
run 0 plugins --plugin-dir "$hang_dir"
first=$elapsed
check "cache miss: the hanging plugin costs the timeout" \
  '[ "$first" -ge 1000 ] && out_has "oxport-hang.so: loading the plugin did not finish" && [ -f "$cache" ]'
run 0 plugins --plugin-dir "$hang_dir"
check "cache hit: the next run does not scan it again, and still lists it" \
  '[ "$elapsed" -lt 1000 ] && out_has "oxport-hang.so: loading the plugin did not finish"'
touch "$hang_dir/oxport-hang.so"
run 0 plugins --plugin-dir "$hang_dir"
check "a touched file is scanned again" '[ "$elapsed" -ge 1000 ]'
cp "$cache" "$tmp/cache-before"
OXPORT_REGISTRY_CACHE=0 run 0 plugins --plugin-dir "$hang_dir"
check "OXPORT_REGISTRY_CACHE=0 neither reads nor writes the cache" \
  '[ "$elapsed" -ge 1000 ] && cmp -s "$cache" "$tmp/cache-before"'
printf '[oxport registry]\nformat=1\nabi=\001\002garbage\n[plugin 0\n' >"$cache"
run 0 plugins --plugin-dir "$hang_dir"
check "a damaged cache is ignored and rewritten" \
  '[ "$elapsed" -ge 1000 ] && head -n 1 "$cache" | grep -q "^\[oxport registry\]" && grep -q "oxport-hang.so" "$cache"'
run 0 plugins --plugin-dir "$hang_dir"
check "the rewritten cache is used" '[ "$elapsed" -lt 1000 ]'
rm -f "$hang_dir/oxport-hang.so"
cp "$broken/oxport-segv.so" "$hang_dir/oxport-hang.so"
run 0 plugins --plugin-dir "$hang_dir"
check "another file under the same name is scanned again" \
  'out_has "oxport-hang.so: .*signal 11\|oxport-hang.so: no symbol"'

[ "$failed" -eq 0 ]
