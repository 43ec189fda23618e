#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What a command-line user relies on beyond the basics (issue 12): progress
# on a terminal only (a pty from python3's pty module) with --quiet and
# --progress to force; --json errors on stdout with the same exit status and
# oxport_version/schema_version on every document; export and validate
# reporting validation in one shape; "did you mean" for commands, options,
# tasks and model types; optimum's spellings (--fp16, --device cpu,
# --trust-remote-code refused); --model ORG/NAME from the local Hugging
# Face cache; _build/oxport finding the built plugins by itself; the Files
# table aligned in display cells; --layout transformers.js.  Speaks TAP.

set -u

: "${G_TEST_SRCDIR:?}"
. "$G_TEST_SRCDIR/tap.sh"
bert=$data/bert_fill-mask


# --- progress ---------------------------------------------------------------
# on_pty ARGS...: runs oxport with stdout and stderr on a pseudo-terminal,
# everything it printed in $tmp/pty.
on_pty () {
  "$PYTHON3" - "$OXPORT" "$@" >"$tmp/pty" 2>"$tmp/err" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

on_pty export --model "$bert" "$tmp/p1"
check "progress on a terminal: bytes written of the total, rate and time left" \
  "grep -q 'writing model.onnx: .* of .*/s, .* left' '$tmp/pty'"
check "progress on a terminal: each file's writing and validation summed up" \
  "grep -q 'wrote model.onnx: .* in .* s' '$tmp/pty' && grep -q 'validated model.onnx in' '$tmp/pty'"
on_pty export --quiet --model "$bert" "$tmp/p2"
check "--quiet: no progress on a terminal" "! grep -q 'writing model.onnx' '$tmp/pty' && grep -q '^Validation: passed' '$tmp/pty'"
run 0 export --model "$bert" "$tmp/p3"
check "no progress when stdout is not a terminal" "! grep -q 'writing\\|wrote\\|validat' '$tmp/err'"
run 0 export --progress --model "$bert" "$tmp/p4"
check "--progress: progress even when not on a terminal (on stderr)" \
  "grep -q 'wrote model.onnx' '$tmp/err' && ! grep -q 'wrote' '$tmp/out'"
run 1 export --quiet --progress --model "$bert" "$tmp/p5"
check "--quiet with --progress is refused" "grep -q 'contradict' '$tmp/err'"

# --- JSON ---------------------------------------------------------------------
stamped="d['oxport_version'] != '' and d['schema_version'] == 1 and list(d)[:2] == ['oxport_version', 'schema_version']"
run 0 plugins --json && json "$stamped"
check "plugins --json leads with oxport_version and schema_version" "[ \$? -eq 0 ]"
for args in "tasks --json bert" "inspect --json $bert"; do
  run 0 $args && json "$stamped"
  check "${args%% *} --json carries oxport_version and schema_version" "[ \$? -eq 0 ]"
done
run 0 export --json --model "$bert" "$tmp/j1" && json "$stamped and set(d['validation']) == {'status', 'message', 'elapsed_seconds', 'reports'} and d['validation']['status'] == 'passed'" \
  && cp "$tmp/out" "$tmp/export.json"
check "export --json: stamped, validation as {status, message, elapsed_seconds, reports}" "[ \$? -eq 0 ]"
run 0 validate --json "$tmp/j1" && json "$stamped and set(d['validation']) == {'status', 'message', 'elapsed_seconds', 'reports'} and d['validation']['status'] == 'passed' and len(d['validation']['reports']) == 1"
check "validate --json reports validation in the same shape" "[ \$? -eq 0 ]"
"$PYTHON3" -c "
import json, sys
e = json.load(open('$tmp/export.json'))['validation']['reports'][0]
v = json.load(open('$tmp/out'))['validation']['reports'][0]
sys.exit(0 if set(e) == set(v) else 1)"
check "export's and validate's validation reports have the same members" "[ \$? -eq 0 ]"

run 1 export --json --model "$bert" --task fill-mas "$tmp/j2" \
  && json "$stamped and d['error']['domain'] == 'oxp-plugin-error-quark' and isinstance(d['error']['code'], int) and 'fill-mas' in d['error']['message'] and 'fill-mask' in d['error']['hint'] and d['exit_status'] == 1"
check "export --json: an error is JSON on stdout ({error: {domain, code, message, hint}}), exit 1" "[ \$? -eq 0 ]"
run 1 export --json --model "$tmp/absent" "$tmp/j3" && json "d['error']['message'] != '' and d['exit_status'] == 1"
check "export --json: a missing model folder is a JSON error, exit 1" "[ \$? -eq 0 ]"
run 1 export --json --dtype fp8 --model "$bert" "$tmp/j4" && json "d['error']['domain'] == 'g-option-context-error-quark' and 'fp8' in d['error']['message']"
check "export --json: a usage error is JSON too" "[ \$? -eq 0 ]"
run 1 inspect --json --tsk x "$bert" && json "'--task' in d['error']['hint']"
check "inspect --json: an unknown option is JSON with its suggestion" "[ \$? -eq 0 ]"
run 1 export --model "$bert" --task fill-mas "$tmp/j5"
check "without --json an error prints nothing on stdout" "[ ! -s '$tmp/out' ]"

# --- did you mean ---------------------------------------------------------------
run 1 exprot --help
check "unknown command: did you mean “export”" "grep -q 'Did you mean “export”' '$tmp/err'"
run 1 export --mdoel "$bert" "$tmp/d1"
check "unknown option: did you mean “--model”" "grep -q 'Did you mean “--model”' '$tmp/err'"
run 1 export --model "$bert" --task text-clasification "$tmp/d2"
check "unknown task: did you mean “text-classification”, and the model's tasks" \
  "grep -q 'Did you mean “text-classification”' '$tmp/err' && grep -q 'Tasks of model type bert: feature-extraction, fill-mask' '$tmp/err'"
run 1 tasks robreta
check "unknown model type: did you mean “roberta”" "grep -q 'Did you mean “roberta”' '$tmp/err'"
run 1 export --model "$bert" --task zzzzzz "$tmp/d3"
check "no suggestion for a word like no task, but the list" \
  "! grep -q 'Did you mean' '$tmp/err' && grep -q 'Tasks of model type bert' '$tmp/err'"

# --- optimum's spellings -----------------------------------------------------------
run 0 export --json --fp16 --device cpu --no-validate --model "$bert" "$tmp/o1" && json "d['dtype'] == 'float16'"
check "--fp16 is --dtype fp16, --device cpu is accepted" "[ \$? -eq 0 ]"
run 1 export --device cuda --model "$bert" "$tmp/o2"
check "--device cuda is refused" "grep -q 'device must be cpu' '$tmp/err'"
run 1 export --trust-remote-code --model "$bert" "$tmp/o3"
check "--trust-remote-code is refused: oxport runs no model code" "grep -q 'runs no model code' '$tmp/err' && [ ! -e '$tmp/o3' ]"
run 1 export --fp16 --dtype bf16 --model "$bert" "$tmp/o4"
check "--fp16 with --dtype bf16 is refused" "grep -q 'contradicts' '$tmp/err'"

# --- the Hugging Face cache ------------------------------------------------------------
hub=$tmp/hf/hub/models--acme--tiny-bert
mkdir -p "$hub/refs" "$hub/blobs" "$hub/snapshots/c0ffee" "$hub/snapshots/bad"
for f in config.json model.safetensors; do
  cp "$bert/$f" "$hub/blobs/$f.blob"
  ln -s "../../blobs/$f.blob" "$hub/snapshots/c0ffee/$f"
done
echo c0ffee >"$hub/refs/main"
echo '{}' >"$hub/snapshots/bad/config.json"
echo bad >"$hub/refs/v0"
HF_HOME=$tmp/hf run 0 export --json --no-validate --model acme/tiny-bert "$tmp/h1" \
  && json "d['model_dir'].endswith('snapshots/c0ffee') and d['model_type'] == 'bert'"
check "--model ORG/NAME: the snapshot refs/main names in \$HF_HOME/hub" "[ \$? -eq 0 ]"
HF_HOME=$tmp/hf run 1 export --no-validate --model acme/tiny-bert --revision v0 "$tmp/h2"
check "--revision: the snapshot refs/REV names (here an empty config: refused)" "grep -q 'model_type' '$tmp/err'"
HF_HOME=$tmp/hf run 1 export --model acme/absent "$tmp/h3"
check "a model id not in the cache: never downloaded, the message says how" \
  "grep -q 'not in the local Hugging Face cache' '$tmp/err' && grep -q 'hf download acme/absent' '$tmp/err'"

# --- plugins of the build tree ---------------------------------------------------------
# $OXPORT is the build tree's program: without OXPORT_PLUGIN_PATH it finds
# the plugins built beside it.
env -u OXPORT_PLUGIN_PATH -u OXPORT_PLUGIN_PATH_ONLY "$OXPORT" plugins >"$tmp/out" 2>"$tmp/err"
check "the build tree's oxport finds the built plugins without OXPORT_PLUGIN_PATH" \
  "grep -q 'plugins/bert/.libs/oxport-bert.so' '$tmp/out'"

# --- display cells -------------------------------------------------------------------------
run 0 export --no-validate --model "$bert" "$tmp/c1"
"$PYTHON3" -c "
import sys, unicodedata
lines = open('$tmp/out', encoding='utf-8').read().split('Files:\n')[1].split('\n')
rows = [l for l in lines if l.startswith('  ')]
width = lambda s: sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
sys.exit(0 if len(rows) >= 2 and len({width(r) for r in rows}) == 1 and '\u00a0' in rows[0] else 1)"
check "the Files table is aligned in display cells (sizes hold a no-break space)" "[ \$? -eq 0 ]"

# --- --layout transformers.js ------------------------------------------------------------------
run 0 export --json --layout transformers.js --model "$bert" "$tmp/t1" \
  && json "{'config.json', 'onnx/model.onnx'} <= {f['name'] for f in d['files']} and not any(f['name'].endswith('.onnx') and '/' not in f['name'] for f in d['files']) and d['layout'] == 'transformers.js' and d['validation']['status'] == 'passed'"
check "--layout transformers.js: config.json at the top, onnx/model.onnx, validated" \
  "[ \$? -eq 0 ] && [ -f '$tmp/t1/onnx/model.onnx' ] && [ -f '$tmp/t1/config.json' ] && [ ! -e '$tmp/t1/model.onnx' ]"
run 0 export --fp16 --no-validate --layout transformers.js --model "$bert" "$tmp/t2"
check "--layout transformers.js --fp16: onnx/model_fp16.onnx" "[ -f '$tmp/t2/onnx/model_fp16.onnx' ] && grep -q 'onnx/model_fp16.onnx' '$tmp/out'"
run 1 export --dtype bf16 --layout transformers.js --model "$bert" "$tmp/t3"
check "--layout transformers.js refuses bf16 (transformers.js names no bf16 file)" "grep -q 'no bf16' '$tmp/err'"
run 1 export --layout tfjs --model "$bert" "$tmp/t4"
check "an unknown --layout is refused" "grep -q 'layout must be optimum or transformers.js' '$tmp/err'"

tap_done
