#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""liboxport-1.0 from Python through GObject Introspection (PyGObject):
what a binding user relies on.  Loads the build tree's Oxp-1.0.typelib,
exports tests/data/bert_feature-extraction with validation in ONNX Runtime
and against its reference vectors, and gets an export failure back as a
GLib.Error with oxport's error domain and code.  Speaks TAP."""

import os
import sys
import tempfile

n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)


import gi  # noqa: E402

gi.require_version("Oxp", "1.0")
from gi.repository import GLib, Oxp  # noqa: E402

srcdir = os.environ["OXP_TOP_SRCDIR"]
case = os.path.join(srcdir, "tests", "data", "bert_feature-extraction")
print("1..8")

check(Oxp.get_version() == os.environ.get("OXP_EXPECTED_VERSION", Oxp.get_version()),
      "Oxp.get_version() is the built version")

manager = Oxp.TasksManager.new()
try:
    ok = manager.load_plugins(None, False)
except GLib.Error as e:
    ok = False
    err = e
check(ok and "bert" in manager.list_model_types(), "plugins load; bert is among the model types")

with tempfile.TemporaryDirectory() as tmp:
    outdir = os.path.join(tmp, "out")
    exporter = Oxp.Exporter.new(manager)
    exporter.set_task("feature-extraction")
    exporter.set_reference(os.path.join(case, "vectors.safetensors"))
    stages = []
    exporter.set_progress_func(lambda stage, detail, done, total: stages.append(stage))
    try:
        result = exporter.run(case, outdir)
        error = None
    except GLib.Error as e:
        result = None
        error = e
    check(result is not None, "Exporter.run() exports bert_feature-extraction", error)
    if result is not None:
        check(os.path.getsize(os.path.join(outdir, "model.onnx")) > 0, "model.onnx is written")
        check(result.get_validation() == Oxp.ExportValidation.PASSED,
              "validation against the reference passed",
              "%s: %s" % (result.get_validation(), result.get_validation_message()))
        check(result.get_task() == "feature-extraction" and result.get_model_type() == "bert",
              "the result names the task and model type")
        check(len(stages) > 0 and Oxp.ExportStage.WRITE in stages,
              "the progress callback is called from C", stages)
    else:
        for what in ("model.onnx is written", "validation passed", "result names",
                     "progress callback"):
            check(False, what)

    # A missing folder: a Python exception carrying oxport's domain and code.
    try:
        Oxp.Exporter.new(manager).run(os.path.join(tmp, "no-such-model"), outdir + "2")
        check(False, "a missing model folder raises GLib.Error", "no exception")
    except GLib.Error as e:
        check(e.domain == "oxp-checkpoint-error-quark"
              and e.code == int(Oxp.CheckpointError.NOT_FOUND) and "no-such-model" in e.message,
              "a missing model folder raises GLib.Error with oxport's domain and code",
              "%s %d %s" % (e.domain, e.code, e.message))

sys.exit(1 if failed else 0)
