#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion, sourced into bash and asked what a user would ask:
# commands, a command's options, task names and model types from the
# loaded plugins, --dtype values.  TAP.
set -u
command -v bash >/dev/null 2>&1 || { echo "1..0 # SKIP no bash"; exit 0; }
exec bash -c '
set -u
. "$OXP_COMPLETION"
n=0 failed=0
# complete WORDS…: COMP_WORDS as typed, the cursor on the last word.
complete_words () {
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _oxport
  printf "%s\n" "${COMPREPLY[@]}"
}
expect () {  # what, expected word, words…
  local what=$1 want=$2; shift 2
  n=$((n + 1))
  if complete_words "$@" | grep -qx -- "$want"; then echo "ok $n - $what"
  else failed=$((failed + 1)); echo "not ok $n - $what"; complete_words "$@" | sed "s/^/# got: /"; fi
}
reject () {
  local what=$1 bad=$2; shift 2
  n=$((n + 1))
  if complete_words "$@" | grep -qx -- "$bad"; then failed=$((failed + 1)); echo "not ok $n - $what"
  else echo "ok $n - $what"; fi
}
o=$OXPORT
expect "commands: ex → export" export "$o" ex
reject "commands: ex does not offer validate" validate "$o" ex
expect "export options: --le → --legacy" --legacy "$o" export --le
expect "validate options include --reference" --reference "$o" validate --re
reject "inspect options: no --legacy" --legacy "$o" inspect --le
expect "task names from the plugins: text-c → text-classification" text-classification "$o" export --task text-c
expect "--task after -m DIR too" feature-extraction "$o" export -m /tmp -t feat
expect "model types from the plugins: be → bert" bert "$o" tasks be
expect "model types: gp → gpt2" gpt2 "$o" tasks gp
expect "--dtype values" bf16 "$o" export --dtype b
expect "help COMMAND" validate "$o" help va
expect "optimum underscore options: --batch → --batch_size" --batch_size "$o" export --batch
expect "--layout values" transformers.js "$o" export --layout tr
echo "1..$n"
[ "$failed" -eq 0 ]
'
