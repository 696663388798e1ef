#!/usr/bin/env bash
# The README's test command: install, build, run every test (unit and integration,
# against a real Mosquitto over TLS on loopback). .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ulimit -n 65536 2>/dev/null || true
cd build && ctest --output-on-failure "$@"
