#!/usr/bin/env bash
# The README's test command: configure, build and run every test (unit and integration).
# BUILD_DIR (default: build) selects the build directory; extra arguments go to ctest
# (e.g. `tools/test.sh -L unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
build="${BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
