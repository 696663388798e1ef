#!/usr/bin/env bash
# The crash drill (drill/README.md): builds if needed, then kills the broker, heraldd
# and agents under traffic for ROUNDS rounds (default 10, CI's short run) and fails if
# anything was lost or duplicated. Further arguments go to herald-drill.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}; shift || true
bash scripts/build.sh   # incremental: a no-op when the build is current
ulimit -n 65536 2>/dev/null || true
exec build/bin/herald-drill --rounds "$rounds" --agents 3 "$@"
