#!/usr/bin/env bash
# test-all.sh — the whole pdva test suite, from a clean checkout:
#   1. dependencies (Debian packages),
#   2. the normal build with warnings as errors, and its tests (ctest),
#   3. the same tests in an AddressSanitizer + UndefinedBehaviorSanitizer build,
#   4. a libFuzzer build (clang) and a short fuzz run of every target.
# Ends with "N passed, N failed" and exits non-zero when anything failed.
# Environment: PDVA_FUZZ_SECONDS (per target, default 45), PDVA_SKIP_SANITIZE=1, PDVA_SKIP_FUZZ=1,
# PDVA_JOBS (default: number of cores).
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${PDVA_JOBS:-$(nproc)}
fuzz_seconds=${PDVA_FUZZ_SECONDS:-45}
passed=0
failed=0
failures=()

stage() { printf '\n=== %s ===\n' "$*"; }
record() { # record NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "--- PASS: $1";
    else failed=$((failed + 1)); failures+=("$1"); echo "--- FAIL: $1 (exit $2)"; fi
}

stage "dependencies"
./scripts/install-deps.sh || { echo "0 passed, 1 failed"; echo "FAIL: could not install dependencies"; exit 1; }

build_and_test() { # build_and_test NAME DIR CMAKE-ARGS...
    local name=$1 dir=$2; shift 2
    stage "$name: configure and build ($dir)"
    if ! cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1; then
        tail -30 "$dir.configure.log"; record "$name build" 1; return
    fi
    if ! cmake --build "$dir" -j "$jobs"; then record "$name build" 1; return; fi
    record "$name build" 0
    stage "$name: tests"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 1800
    record "$name tests" $?
}

build_and_test "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPDVA_WERROR=ON

if [ "${PDVA_SKIP_SANITIZE:-0}" != 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    build_and_test "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug -DPDVA_SANITIZE=ON -DPDVA_WERROR=ON
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${PDVA_SKIP_FUZZ:-0}" != 1 ]; then
    stage "fuzz: build (clang, libFuzzer)"
    if CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DPDVA_FUZZ=ON >build-fuzz.configure.log 2>&1 && cmake --build build-fuzz -j "$jobs"; then
        record "fuzz build" 0
        for target in build-fuzz/tests/fuzz/fuzz_*; do
            [ -x "$target" ] || continue
            name=$(basename "$target")
            stage "fuzz: $name for ${fuzz_seconds}s"
            corpus=$(mktemp -d)
            cp -r tests/fuzz/corpus/"${name#fuzz_}"/. "$corpus"/ 2>/dev/null || true
            "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=20 \
                -max_len=262144 -print_final_stats=1 "$corpus" ../shared/dicom-samples \
                2>&1 | tail -15
            record "fuzz $name" "${PIPESTATUS[0]}"
            rm -rf "$corpus"
        done
    else
        tail -30 build-fuzz.configure.log
        record "fuzz build" 1
    fi
fi

stage "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then echo "PASS: the whole pdva test suite"; exit 0; fi
echo "FAIL: see the stages above"
exit 1
