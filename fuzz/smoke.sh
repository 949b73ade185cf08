#!/usr/bin/env bash
# fuzz/smoke.sh BUILD_DIR SECONDS: build the libFuzzer targets with clang-14 into BUILD_DIR and
# run each one for SECONDS on a copy of its seed corpus (fuzz/corpus/<target>/) with
# fuzz/smtp.dict. Exits non-zero if the build fails or any target finds a crash, leak, timeout
# or sanitizer report; the offending input is left in BUILD_DIR/fuzz/artifacts/.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build_dir=$1
seconds=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
targets=(fuzz_parse_command fuzz_parse_path fuzz_data_decoder fuzz_sasl fuzz_reply_parser
         fuzz_smtp_client)

# No CMAKE_BUILD_TYPE: fuzz/CMakeLists.txt sets -O1 -g and keeps assertions (no NDEBUG).
CC=clang-14 CXX=clang++-14 cmake -S "$src_dir" -B "$build_dir" -G Ninja \
    -DMW_BUILD_FUZZERS=ON -DMW_BUILD_TESTS=OFF -DMW_SANITIZE=OFF -DCMAKE_BUILD_TYPE= >/dev/null
cmake --build "$build_dir" --target "${targets[@]}"

artifacts="$build_dir/fuzz/artifacts"
mkdir -p "$artifacts"
status=0
for target in "${targets[@]}"; do
    # Work on a copy so the committed seed corpus only changes by hand.
    corpus=$(mktemp -d)
    cp "$src_dir/fuzz/corpus/$target/"* "$corpus/"
    echo "== $target: ${seconds}s"
    if ! "$build_dir/fuzz/$target" -max_total_time="$seconds" -dict="$src_dir/fuzz/smtp.dict" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" "$corpus" 2>"$build_dir/fuzz/$target.log"; then
        echo "!! $target failed; see $build_dir/fuzz/$target.log and $artifacts/" >&2
        tail -n 30 "$build_dir/fuzz/$target.log" >&2
        status=1
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
            "$build_dir/fuzz/$target.log" || true
        grep -E '^Done [0-9]+ runs' "$build_dir/fuzz/$target.log" || true
    fi
    rm -rf "$corpus"
done
exit $status
