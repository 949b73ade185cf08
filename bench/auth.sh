#!/usr/bin/env bash
# Authenticated submission over TLS and the CPU cost of AUTH: bench/auth.sh [--quick]
# (also: bench/run.sh --auth). Builds the Release server and bench tools, then runs bench/auth.py.
# Results: bench/out/auth.md and bench/out/auth.json. See bench/README.md.
# Full run: 11 measurements of 10-20 s each, about 4 minutes; --quick: 5 s each, about 2 minutes.
set -euo pipefail

QUICK=""
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK="--quick" ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "usage: bench/auth.sh [--quick]" >&2; exit 2 ;;
  esac
done

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="$REPO/build/bench-release"
TOOLS="$REPO/build/bench-tools"
# Its own data root: bench.py empties build/bench-data at its start.
DATA_ROOT="${MW_BENCH_AUTH_DATA:-$REPO/build/bench-data-auth}"
OUT="$BENCH_DIR/out"

need=()
command -v g++ >/dev/null || need+=(g++)
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v ccache >/dev/null || need+=(ccache)
command -v python3 >/dev/null || need+=(python3)
command -v findmnt >/dev/null || need+=(util-linux)
[[ -f /usr/include/openssl/ssl.h ]] || need+=(libssl-dev)
if ((${#need[@]})); then
  echo "[auth] installing: ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# The same Release build as bench/run.sh, plus MW_BUILD_BENCH for argon2_ceiling (it links the
# server's mw_auth, so it measures exactly the code and cost the server runs). The flags match
# run.sh's, so the two scripts share one build directory without rebuilding each other's objects.
echo "[auth] building Release mailwarden and mw_bench_argon2_ceiling in $BUILD"
cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMW_BUILD_TESTS=OFF \
  -DMW_BUILD_BENCH=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
  "-DCMAKE_CXX_FLAGS=-Wno-error=restrict" >/dev/null
cmake --build "$BUILD" -j2 --target mailwarden mw_bench_argon2_ceiling
mkdir -p "$TOOLS"
g++ -O2 -std=c++20 -pthread -Wall -Wextra -o "$TOOLS/loadgen" "$BENCH_DIR/loadgen.cpp" -lssl -lcrypto

exec timeout 900 python3 "$BENCH_DIR/auth.py" $QUICK --binary "$BUILD/mailwarden" --tools "$TOOLS" \
  --argon2 "$BUILD/bench/mw_bench_argon2_ceiling" --data-root "$DATA_ROOT" --out "$OUT"
