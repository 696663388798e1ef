#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) into build-fuzz/ and runs each
# for SECONDS (default 20) on a copy of its seed corpus in fuzz/corpus/. Fails if any
# target finds a crash, leak, sanitizer report or broken round trip; the reproducer is
# then in build-fuzz/findings/TARGET/. .ci/run calls this; fuzz/README.md explains it.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. bash scripts/fuzz.sh 600 payloads
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
bash scripts/install-deps.sh

build=build-fuzz
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_FUZZ=ON \
  -DBUILD_TESTING=OFF > "$build.log" 2>&1 || { cat "$build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target herald_fuzz_all >> "$build.log" 2>&1 ||
  { grep -E "error|Error" -A3 "$build.log" | head -60; exit 1; }
rm -f "$build.log"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

# UB already aborts (-fno-sanitize-recover); the stack trace says where.
export UBSAN_OPTIONS=print_stacktrace=1
failed=0
for t in "${targets[@]}"; do
  bin="$build/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target fuzz_$t (fuzz/CMakeLists.txt)"; exit 1; }
  # The policy file is the one large input (acl/examples/library-policy.json is 3 KB).
  max_len=4096
  [ "$t" = policy ] && max_len=16384
  # A rule that can never match (FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=1) makes libical
  # search up to the year 2582 before it says so: about a second, and several under
  # ASan on a loaded machine. That is slow, not wrong (schedule.cpp says so), so the
  # schedule target gets a longer limit per input than the others.
  timeout=10
  [ "$t" = schedule ] && timeout=60
  # A fresh copy each run: what the fuzzer adds stays out of the repo unless copied in.
  work="$build/corpus/$t" findings="$build/findings/$t" log="$build/logs/$t.log"
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  cp fuzz/corpus/"$t"/* "$work"/
  rc=0
  "$bin" "$work" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout="$timeout" \
    -print_final_stats=1 -artifact_prefix="$findings/" > "$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    printf 'fuzz %-10s %10s runs  ok\n' "$t" "${runs:-?}"
  else
    failed=1
    printf 'fuzz %-10s %10s runs  FAILED (exit %s): %s\n' "$t" "${runs:-?}" "$rc" "$(ls "$findings" | head -3 | tr '\n' ' ')"
    grep -E "ERROR|FUZZ FINDING|runtime error|SUMMARY|Test unit written" -A2 "$log" | head -40 | sed 's/^/    /'
    echo "    full log: $log"
  fi
done
exit "$failed"
