#!/usr/bin/env python3
"""Prints the kernel matrix from the rows' result directories (junit.xml, ctest.rc, demo.rc, kernel,
seconds); exits 1 unless every row ran tests, failed none and its demo worked."""
import os
import sys
import xml.etree.ElementTree as ET


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def row(out):
    r = {"kernel": read(os.path.join(out, "kernel"), os.path.basename(out)), "passed": 0, "failed": [],
         "skipped": [], "demo": read(os.path.join(out, "demo.rc")) == "0",
         "seconds": read(os.path.join(out, "seconds"), "?"), "note": ""}
    try:
        cases = ET.parse(os.path.join(out, "junit.xml")).getroot().iter("testcase")
    except (OSError, ET.ParseError):
        r["note"] = "no results (see " + os.path.join(out, "console.log") + ")"
        return r
    for case in cases:
        name = case.get("name")
        if case.find("failure") is not None or case.get("status") == "fail":
            r["failed"].append(name)
        elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
            r["skipped"].append(name)
        else:
            r["passed"] += 1
    if not r["failed"] and read(os.path.join(out, "ctest.rc")) not in ("0", ""):
        r["note"] = "ctest exited " + read(os.path.join(out, "ctest.rc"))
    writes = read(os.path.join(out, "build-writes.txt"))
    if writes:
        r["note"] += " wrote into the build dir: " + ", ".join(writes.split())
    return r


def main():
    rows = [row(out) for out in sys.argv[1:]]
    width = max(len(r["kernel"]) for r in rows)
    print(f"{'kernel':<{width}}  passed  failed  skipped  demo    seconds")
    green = True
    for r in rows:
        ok = r["passed"] > 0 and not r["failed"] and r["demo"] and not r["note"]
        green &= ok
        print(f"{r['kernel']:<{width}}  {r['passed']:>6}  {len(r['failed']):>6}  {len(r['skipped']):>7}  "
              f"{'ok' if r['demo'] else 'FAILED':<6}  {r['seconds']:>7}")
        for name in r["failed"]:
            print(f"    failed: {name}")
        for name in r["skipped"]:
            print(f"    skipped: {name}")
        if r["note"]:
            print(f"    {r['note'].strip()}")
    return 0 if green else 1


if __name__ == "__main__":
    sys.exit(main())
