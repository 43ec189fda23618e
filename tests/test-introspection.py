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
from gi.repository import GLib, GObject, Oxp  # noqa: E402



def domain(enum):
    """The GQuark of error enum Oxp.<enum> (0 when it is no error domain)."""
    quark = getattr(getattr(Oxp, enum, None), "quark", None)
    return quark() if quark else 0


srcdir = os.environ["OXP_TOP_SRCDIR"]
case = os.path.join(srcdir, "tests", "data", "bert_feature-extraction")
print("1..12")

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
        check(e.matches(domain("CheckpointError"), Oxp.CheckpointError.NOT_FOUND)
              and e.domain == "oxp-checkpoint-error-quark" and "no-such-model" in e.message,
              "a missing model folder raises GLib.Error matching Oxp.CheckpointError.NOT_FOUND",
              "%s %d %s" % (e.domain, e.code, e.message))

    # A task the model type does not support: the plugin-error domain.
    try:
        exporter = Oxp.Exporter.new(manager)
        exporter.set_task("text-generation")
        exporter.run(case, outdir + "3")
        check(False, "an unsupported task raises GLib.Error", "no exception")
    except GLib.Error as e:
        check(e.matches(domain("PluginError"), Oxp.PluginError.UNSUPPORTED_TASK)
              and not e.matches(domain("CheckpointError"), e.code),
              "an unsupported task raises GLib.Error matching Oxp.PluginError.UNSUPPORTED_TASK",
              "%s %d %s" % (e.domain, e.code, e.message))

# Every error enum is an error domain in the typelib (glib:error-domain in
# the GIR): its quark() is the domain GErrors from C carry, so bindings can
# match errors by enum without spelling the quark string.
expected_domains = {"CheckpointError": "oxp-checkpoint-error-quark",
                    "ConfigError": "oxp-config-error-quark",
                    "ExportError": "oxp-export-error-quark",
                    "PluginError": "oxp-plugin-error-quark",
                    "RuntimeError": "oxp-runtime-error-quark",
                    "ValidationError": "oxp-validation-error-quark"}
wrong = []
for enum, expected in sorted(expected_domains.items()):
    got = GLib.quark_to_string(domain(enum)) if domain(enum) else None
    if got != expected:
        wrong.append("Oxp.%s.quark(): %s, expected %s" % (enum, got, expected))
check(not wrong, "each error enum is an error domain with quark()", "\n".join(wrong))

# The enums are registered GTypes, so the values have nicks for bindings.
check(getattr(Oxp.ValidationError.TOLERANCE, "value_nick", None) == "tolerance"
      and GObject.type_is_a(Oxp.ValidationError.__gtype__, GObject.TYPE_ENUM),
      "Oxp.ValidationError values are GEnum values with nicks")

# Every public enum and flags type of the headers is a registered GType
# naming each of the header's values, so that a value added to a header
# without its registration fails here.
import glob  # noqa: E402
import re  # noqa: E402

wrong = []
seen = 0
for header in sorted(glob.glob(os.path.join(srcdir, "include", "oxport", "*.h"))):
    text = re.sub(r"/\*.*?\*/", "", open(header).read(), flags=re.S)
    for body, name in re.findall(r"typedef enum\s*\{([^{}]*)\}\s*(Oxp\w+);", text):
        seen += 1
        values = re.findall(r"\b(OXP_[A-Z0-9_]+)\s*(?:=[^,]*)?,", body + ",")
        gtype = getattr(getattr(Oxp, name[3:], None), "__gtype__", None)
        if gtype is None or not (GObject.type_is_a(gtype, GObject.TYPE_ENUM)
                                 or GObject.type_is_a(gtype, GObject.TYPE_FLAGS)):
            wrong.append("%s (%s): no GEnum/GFlags type" % (name, os.path.basename(header)))
            continue
        py = getattr(Oxp, name[3:])
        table = getattr(py, "__enum_values__", None) or getattr(py, "__flags_values__", {})
        registered = set()
        for v in table.values():
            registered.update(getattr(v, "value_names", None) or [v.value_name])
        missing = [v for v in values if v not in registered]
        if missing:
            wrong.append("%s: %s not registered" % (name, ", ".join(missing)))
check(seen >= 17 and not wrong,
      "each of the %d public enums and flags is a GType with every header value" % seen,
      "\n".join(wrong))

sys.exit(1 if failed else 0)
