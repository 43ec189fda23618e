#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every public symbol of liboxport-1.0 is documented: reads the built
Oxp-1.0.gir (g-ir-scanner copies each gi-docgen comment into a <doc>
element) and fails for each function, method, constructor, virtual method,
class, record, enum, enum value, property, signal, callback, constant,
macro or struct field that has none, and for each documented callable whose
parameters or return value are left undescribed.  What the API reference
and the bindings show a plugin author is exactly this text.  Speaks TAP."""

import os
import sys
import xml.etree.ElementTree as ET

CORE = "{http://www.gtk.org/introspection/core/1.0}"
C = "{http://www.gtk.org/introspection/c/1.0}"
GLIB = "{http://www.gtk.org/introspection/glib/1.0}"

gir = os.path.join(os.environ.get("OXP_TOP_BUILDDIR", "."), "Oxp-1.0.gir")
if not os.path.exists(gir):
    print("1..0 # SKIP %s not built (configure without introspection)" % gir)
    sys.exit(0)

root = ET.parse(gir).getroot()

# The elements a reader looks up, by what they are.
SYMBOLS = {
    "function": "functions",
    "function-macro": "functions",
    "method": "methods",
    "constructor": "constructors",
    "virtual-method": "virtual methods",
    "class": "types",
    "interface": "types",
    "record": "types",
    "union": "types",
    "enumeration": "types",
    "bitfield": "types",
    "callback": "types",
    "member": "enum values",
    "property": "properties",
    "glib:signal": "signals",
    "constant": "constants",
    "field": "struct fields",
}
CONTAINERS = {"namespace", "class", "interface", "record", "union",
              "enumeration", "bitfield"}
CALLABLES = {"function", "method", "constructor", "virtual-method",
             "callback", "glib:signal"}


def tag_of(el):
    return el.tag.replace(CORE, "").replace(GLIB, "glib:")


def has_doc(el):
    return el.find(CORE + "doc") is not None


def generated_class_struct(record):
    """G_DECLARE_FINAL_TYPE's class struct: no comment can name it and
    gi-docgen does not show it."""
    fields = record.findall(CORE + "field")
    return (record.get(GLIB + "is-gtype-struct-for") is not None
            and [f.get("name") for f in fields] == ["parent_class"])


def exempt_field(field):
    # Private fields, and the embedded parent (parent_instance,
    # parent_class), which the type's hierarchy already documents.
    return field.get("private") == "1" or field.get("name") in ("parent_instance", "parent_class")


missing = {kind: [] for kind in SYMBOLS.values()}
undescribed = []


def walk(el, path):
    for child in el:
        tag = tag_of(child)
        name = child.get("name") or ""
        where = path + "." + name if name else path
        if tag in SYMBOLS:
            if tag == "record" and generated_class_struct(child):
                continue
            if tag == "field" and exempt_field(child):
                continue
            if tag == "field" and child.find(CORE + "callback") is not None:
                # A vfunc slot: documented as the virtual method.
                continue
            if not has_doc(child):
                missing[SYMBOLS[tag]].append("%s %s" % (tag, child.get(C + "identifier") or where))
            elif tag in CALLABLES:
                check_callable(child, where)
        if tag in CONTAINERS:
            walk(child, where)


def check_callable(fn, where):
    bad = []
    params = fn.find(CORE + "parameters")
    if params is not None:
        for p in params:
            if not has_doc(p):
                bad.append("@" + (p.get("name") or "?"))
    ret = fn.find(CORE + "return-value")
    if ret is not None:
        t = ret.find(CORE + "type")
        void = t is not None and t.get("name") == "none"
        if not void and not has_doc(ret):
            bad.append("Returns:")
    if bad:
        undescribed.append("%s: %s" % (fn.get(C + "identifier") or where, ", ".join(bad)))


for ns in root.findall(CORE + "namespace"):
    walk(ns, ns.get("name"))

kinds = sorted(missing)
print("1..%d" % (len(kinds) + 1))
n = 0
failed = False
for kind in kinds:
    n += 1
    if missing[kind]:
        failed = True
        print("not ok %d - every one of the %s has a gi-docgen comment (%d lack one)"
              % (n, kind, len(missing[kind])))
        for what in missing[kind]:
            print("# " + what)
    else:
        print("ok %d - every one of the %s has a gi-docgen comment" % (n, kind))
n += 1
if undescribed:
    failed = True
    print("not ok %d - documented callables describe every parameter and the return value" % n)
    for what in undescribed:
        print("# " + what)
else:
    print("ok %d - documented callables describe every parameter and the return value" % n)

sys.exit(1 if failed else 0)
