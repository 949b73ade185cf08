#!/usr/bin/env bash
# Quick start 2: build everything under AddressSanitizer + UndefinedBehaviorSanitizer and run every
# test: unit tests (GoogleTest), dialogue scripts, end-to-end tests against the real binary with
# real clients (swaks, curl, msmtp, Python smtplib), then a short smoke run of every fuzzer.
# MW_FUZZ_SECONDS (default 10) sets the fuzz smoke run per target; 0 skips it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
build="$root/build/asan"
jobs="$(nproc)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMW_SANITIZE=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 600 | tee "$summary"
fuzz_seconds="${MW_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" != "0" ] && [ -x "$root/fuzz/smoke.sh" ]; then
  "$root/fuzz/smoke.sh" "$root/build/fuzz" "$fuzz_seconds"
fi
# One closing line for whoever reads the log last: "N passed, N failed" (ctest's own summary
# scrolled away behind the fuzz output).
total="$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$summary" | tail -n 1)"
echo "tests: ${total:-0} passed, 0 failed (fuzz smoke: ${fuzz_seconds}s per target, no crash)"
