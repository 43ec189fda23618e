# SPDX-License-Identifier: LGPL-2.1-or-later
"""validate-summary.py [OPTION...] REPORT.json: one line on the reference
comparison in REPORT.json, the output of `oxport validate --json` (or, with
--model, of `oxport export --json`).  Used by the tests/test-*.sh harnesses,
which match the line's text ("max abs diff" when it passed).

The reference checks (check or shapes "reference") give the line:
  "N outputs, max abs diff D (OUTPUT)"  the largest difference, its output
  "A: REASON; B: REASON"                 the first three failed checks
  "no reference output compared"         none had a difference
  "no JSON report (WHY)"                 REPORT.json unreadable
Options change it for one harness each:
  --model FILE     REPORT.json is `oxport export --json`: only the report of
                   the model whose path ends in /FILE; a failed report (or
                   check) gives "FAILED REASONS ERROR", none "no report for
                   FILE"; implies --no-count
  --no-count       "max abs diff D (OUTPUT)", without the output count
  --headline NAME  "NAME max abs diff D, all N outputs D'" and, when NAME was
                   not compared, "no NAME compared"
  --batches        also: where pixel_values is an input, its run checks
                   covered two batch sizes ("pixel_values ran at batch sizes
                   [...] only" otherwise), and the line says which
Always exits 0 (the harness judges the line and oxport's exit status).
"""
import json
import sys


def main(argv):
    model = headline = None
    count = True
    batches_wanted = False
    args = list(argv)
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--model":
            model = args.pop(0)
            count = False
        elif opt == "--headline":
            headline = args.pop(0)
        elif opt == "--no-count":
            count = False
        elif opt == "--batches":
            batches_wanted = True
        else:
            sys.exit("validate-summary.py: unknown option %s" % opt)
    if len(args) != 1:
        sys.exit(__doc__)
    try:
        doc = json.load(open(args[0]))
    except Exception as e:
        return "no JSON report (%s)" % e

    reports = doc.get("reports", [])
    if model is not None:
        reports = [r for r in (doc.get("validation") or {}).get("reports", [])
                   if r.get("model", "").endswith("/" + model)][:1]
        if not reports:
            return "no report for %s" % model

    diffs, bad, batches, has_pixels = [], [], set(), False
    for r in reports:
        for c in r.get("checks", []):
            if c.get("check") == "input" and c.get("name") == "pixel_values":
                has_pixels = True
            if c.get("check") == "run" and c.get("shapes"):
                for item in c["shapes"].split(","):
                    k, _, v = item.partition("=")
                    if k in ("batch_size", "image_batch_size"):
                        batches.add(v)
            if c.get("check") == "reference" or c.get("shapes") == "reference":
                if c.get("max_abs_diff") is not None:
                    diffs.append((c["max_abs_diff"], c["name"]))
                if not c.get("passed"):
                    bad.append("%s: %s" % (c["name"], c.get("reason")))
    has_pixels = has_pixels and batches_wanted

    if model is not None and (bad or not reports[0].get("passed")):
        return "FAILED %s %s" % ("; ".join(bad[:3]), reports[0].get("error") or "")
    if bad:
        return "; ".join(bad[:3])
    if has_pixels and len(batches) < 2:
        return "pixel_values ran at batch sizes %s only" % sorted(batches)
    if headline is not None:
        named = [d for d, w in diffs if w == headline]
        if not named:
            return "no %s compared" % headline
        return "%s max abs diff %.3g, all %d outputs %.3g" % (headline, max(named), len(diffs),
                                                             max(diffs)[0])
    if not diffs:
        return "no reference output compared"
    d, w = max(diffs)
    line = "max abs diff %.3g (%s)" % (d, w)
    if count:
        line = "%d outputs, %s" % (len(diffs), line)
    if has_pixels:
        line += ", pixel_values at batch sizes " + "/".join(sorted(batches))
    return line


if __name__ == "__main__":
    print(main(sys.argv[1:]))
