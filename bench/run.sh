#!/usr/bin/env bash
# mailwarden benchmark: bench/run.sh [--quick] [--auth]
# Installs what it needs (idempotent), builds the Release server and the bench tools, then runs
# bench/bench.py. Results: bench/out/results.md and bench/out/results.json. See bench/README.md.
# Full run: about 5 minutes; --quick: about 1-2 minutes (plus the first Release build).
# --auth: runs bench/auth.sh instead (authenticated submission over TLS, CPU cost of AUTH).
set -euo pipefail

QUICK=""
AUTH=""
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK="--quick" ;;
    --auth) AUTH=1 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick] [--auth]" >&2; exit 2 ;;
  esac
done
if [[ -n "$AUTH" ]]; then exec "$(dirname "${BASH_SOURCE[0]}")/auth.sh" $QUICK; fi

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="$REPO/build/bench-release"
TOOLS="$REPO/build/bench-tools"
# Same disk as the repository (the data disk of the server in these runs).
DATA_ROOT="${MW_BENCH_DATA:-$REPO/build/bench-data}"
OUT="$BENCH_DIR/out"

# --- dependencies (only what is missing) ---------------------------------------------------
need=()
[[ -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink ]] || need+=(postfix)
command -v strace >/dev/null || need+=(strace)
command -v g++ >/dev/null || need+=(g++)
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v ccache >/dev/null || need+=(ccache)
command -v python3 >/dev/null || need+=(python3)
command -v findmnt >/dev/null || need+=(util-linux)
command -v pgrep >/dev/null || need+=(procps)
if ((${#need[@]})); then
  echo "[bench] installing: ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  # No postfix daemon: "No configuration" leaves main.cf absent and nothing listening.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# --- build -----------------------------------------------------------------------------------
# -Wno-error=restrict: g++ 12 at -O3 reports a false -Wrestrict in std::string operator+
# (GCC bug 105329) in src/config/*.cpp; with -Werror the Release build would stop there.
echo "[bench] building Release mailwarden in $BUILD"
cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMW_BUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
  "-DCMAKE_CXX_FLAGS=-Wno-error=restrict" >/dev/null
cmake --build "$BUILD" -j2 --target mailwarden
mkdir -p "$TOOLS"
g++ -O2 -std=c++20 -pthread -Wall -Wextra -o "$TOOLS/loadgen" "$BENCH_DIR/loadgen.cpp" -lssl -lcrypto
g++ -O2 -std=c++20 -Wall -Wextra -o "$TOOLS/fsync_ceiling" "$BENCH_DIR/fsync_ceiling.cpp"

# 5,000 idle connections: the loadgen and the server (a child of this shell) need the fds.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 12000)); then ulimit -n 12000 2>/dev/null || echo "[bench] warning: ulimit -n is $(ulimit -n)"; fi

exec timeout 900 python3 "$BENCH_DIR/bench.py" $QUICK --binary "$BUILD/mailwarden" --tools "$TOOLS" \
  --data-root "$DATA_ROOT" --out "$OUT"
