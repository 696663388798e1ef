#!/usr/bin/env bash
# Installs the Debian packages (scripts/install-deps.sh) and builds Herald into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
werror=OFF; [ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_WERROR=$werror > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >> build.log 2>&1 || { grep -E "error|Error" -A3 build.log | head -60; exit 1; }
rm -f build.log
