#!/usr/bin/env bash
# Builds every Herald target with AddressSanitizer and UBSan (-DHERALD_SANITIZE=ON) into
# build-asan/ and runs the whole ctest suite there, integration tests included: the
# fixture starts the programs of the build dir it was configured in, so heraldd, the
# agents and herald run instrumented too. Extra arguments go to ctest (-R unit).
# .ci/run calls this; README.md ("Fuzzing and sanitizers") explains it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

build=build-asan
# Warnings are the normal build's job (CI builds it with -Werror); under -fsanitize gcc
# reports maybe-uninitialized and similar false positives that are not ours to silence.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_SANITIZE=ON -DHERALD_WERROR=OFF \
  > "$build.log" 2>&1 || { cat "$build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" >> "$build.log" 2>&1 || { grep -E "error|Error" -A3 "$build.log" | head -60; exit 1; }
rm -f "$build.log"

# Reports go to files, one per process: the daemons the integration tests start are
# killed or exit with codes the tests do not read, so a report of theirs would otherwise
# pass unnoticed. Any file here fails the run. LeakSanitizer works in this container
# (ptrace is allowed), so leaks count too; scripts/lsan-suppressions.txt lists the
# libraries' own leaks.
logs="$PWD/$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan:log_exe_name=1"
# print_suppressions=0: LeakSanitizer otherwise writes a "Suppressions used" table, with
# no report in it, into a log file of its own whenever a suppression matched, and that
# file alone would fail the run (a fresh-clone CI run failed so on Paho's own block).
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:log_exe_name=1"
ulimit -n 65536 2>/dev/null || true
rc=0
(cd "$build" && ctest --output-on-failure "$@") || rc=$?
# An empty file (a runtime that opened its log and wrote nothing) is no report.
find "$logs" -type f -empty -delete
reports=("$logs"/*)
if [ -e "${reports[0]}" ]; then
  echo "sanitize: ${#reports[@]} sanitizer report(s):"
  for r in "${reports[@]}"; do
    echo "==== $r"
    head -60 "$r"
  done
  exit 1
fi
[ "$rc" -eq 0 ] && echo "sanitize: every test passed under ASan+UBSan, no sanitizer reports"
exit "$rc"
