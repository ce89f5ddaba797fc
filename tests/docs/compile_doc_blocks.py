#!/usr/bin/env python3
"""Compiles every ```cpp block of README.md and docs/*.md, so the examples cannot rot.

A block with a main() is a whole program: it is compiled and linked against the library, and run
(in a fresh network namespace, `unshare --net`, with its loopback up) when the line before the
block is `<!-- doc-test: run -->`; it must exit 0. Any other
block is a fragment: its #include, using and namespace-alias lines go to the top of a file, the rest
into the body of a function that is never called (most fragments create devices, so they are
compiled, not run). Both get the same prelude: the standard headers the examples lean on.

Usage: compile_doc_blocks.py --cxx g++ --source-dir DIR --include DIR [--library libtuntap.a]
                             [--link-flag=-lmnl ...]
Exit status 0 when every block compiles; otherwise each failing block is named with its file and
line and the compiler's output.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

PRELUDE = """#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>
"""

TOP_LEVEL = re.compile(r"^\s*(#include\b|using\s+namespace\b|namespace\s+\w+\s*=)")


RUN_MARK = "<!-- doc-test: run -->"


def blocks(path):
    """Yields (first line number, text, marked to run) of each ```cpp block in a Markdown file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    inside, start, body, run = False, 0, [], False
    for number, line in enumerate(lines, 1):
        if not inside and line.strip() == "```cpp":
            inside, start, body = True, number + 1, []
            run = number >= 2 and lines[number - 2].strip() == RUN_MARK
        elif inside and line.strip() == "```":
            inside = False
            yield start, "\n".join(body), run
        elif inside:
            body.append(line)


def translation_unit(text, name):
    if re.search(r"\bint\s+main\s*\(", text):
        return PRELUDE + text + "\n", True
    top, body = [], []
    for line in text.split("\n"):
        (top if TOP_LEVEL.match(line) else body).append(line)
    function = "[[maybe_unused]] static void %s() {\n%s\n}\n" % (name, "\n".join(body))
    return PRELUDE + "\n".join(top) + "\n\n" + function, False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--include", required=True)
    parser.add_argument("--library")
    parser.add_argument("--link-flag", action="append", default=[])
    args = parser.parse_args()

    files = [os.path.join(args.source_dir, "README.md")]
    files += sorted(glob.glob(os.path.join(args.source_dir, "docs", "*.md")))
    failures, count = 0, 0
    with tempfile.TemporaryDirectory() as work:
        for path in files:
            for line, text, run in blocks(path):
                count += 1
                where = "%s:%d" % (os.path.relpath(path, args.source_dir), line)
                source, whole = translation_unit(text, "doc_block_%d" % count)
                cpp = os.path.join(work, "block%d.cpp" % count)
                open(cpp, "w", encoding="utf-8").write(source)
                command = [args.cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-Wno-unused-variable",
                           "-Wno-unused-but-set-variable", "-Wno-missing-field-initializers", "-I", args.include, cpp]
                program = os.path.join(work, "block%d" % count)
                if whole and args.library:
                    command += ["-o", program, args.library] + args.link_flag
                else:
                    command += ["-fsyntax-only"]
                kind = "program" if whole else "fragment"
                result = subprocess.run(command, capture_output=True, text=True)
                if result.returncode != 0:
                    failures += 1
                    print("FAIL %s (%s)\n%s" % (where, kind, result.stderr))
                    continue
                if run and whole and args.library:
                    kind = "program, run"
                    result = subprocess.run(["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$0"', program],
                                            capture_output=True, text=True, timeout=60)
                    if result.returncode != 0:
                        failures += 1
                        print("FAIL %s (%s: exit %d)\n%s%s" % (where, kind, result.returncode, result.stdout,
                                                             result.stderr))
                        continue
                elif run:
                    failures += 1
                    print("FAIL %s: marked to run, but %s" % (where, "no --library" if whole else "it has no main()"))
                    continue
                print("ok   %s (%s)" % (where, kind))
    print("%d of %d C++ blocks compile" % (count - failures, count))
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
