#!/usr/bin/env bash
# Quick start 1: build mailwarden (Release) and run it on the embedded default: data in
# ./mailwarden-data, MX on 127.0.0.1:2525, submission 2587, submissions 2465, demo domain
# example.test with a demo user whose password is printed on first start.
# Extra arguments go to `mailwarden serve` (e.g. --config FILE, --data-dir DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
build="$root/build/release"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMW_BUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$build" --target mailwarden
exec "$build/mailwarden" serve "$@"
