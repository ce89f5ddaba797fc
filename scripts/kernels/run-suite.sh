#!/usr/bin/env bash
# One row of the kernel matrix, on whatever kernel runs it: the system tests (JUnit XML + log) and the
# demo, into OUT_DIR. Usage: run-suite.sh BUILD_DIR OUT_DIR [ctest args...]
set -uo pipefail
build=$1 out=$2
shift 2
uname -r > "$out/kernel"
cd "$build"
CI=true ctest -L system -j2 --output-on-failure --output-junit "$out/junit.xml" "$@" > "$out/ctest.log" 2>&1
echo $? > "$out/ctest.rc"
"$build/tuntap" demo > "$out/demo.log" 2>&1
echo $? > "$out/demo.rc"
