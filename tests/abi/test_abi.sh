#!/usr/bin/env bash
# test_abi.sh — libpdva as a package: install the build into a temporary prefix, check what is
# installed (header, version.h, library and symlinks, pdva.pc, CMake package) and that the
# library exports pdva_* symbols only, then build tests/abi/host.c against the INSTALLED files
# twice (pkg-config; CMake find_package) and run both on a small generated study (the
# pkg-config build runs the quick subset: version, handshake, report; the CMake build all).
#
#   test_abi.sh BUILD_DIR SOURCE_DIR PHANTOM WORK_DIR "EXTRA_C_FLAGS"
# EXTRA_C_FLAGS: the sanitizer flags of the build, so that the host links the same runtime.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
build=$1 src=$2 phantom=$3 work=$4 extra_flags=${5:-}

fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
libdir=$(cd "$prefix" && ls -d lib* | head -1)
[ -f "$prefix/include/pdva/pdva.h" ] || fail "pdva.h not installed"
[ -f "$prefix/include/pdva/version.h" ] || fail "version.h not installed"
grep -q "PDVA_VERSION_NUMBER" "$prefix/include/pdva/version.h" || fail "version.h incomplete"
for f in libpdva.so libpdva.so.1 pkgconfig/pdva.pc cmake/pdva/pdvaConfig.cmake \
         cmake/pdva/pdvaConfigVersion.cmake cmake/pdva/pdvaTargets.cmake; do
    [ -e "$prefix/$libdir/$f" ] || fail "$libdir/$f not installed"
done
[ -L "$prefix/$libdir/libpdva.so" ] || fail "libpdva.so should be the development symlink"
soname=$(readelf -d "$prefix/$libdir/libpdva.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libpdva.so.1" ] || fail "SONAME is '$soname', expected libpdva.so.1"
# nothing of the build tree leaks into the installed package files
if grep -rl "$build" "$prefix/$libdir/pkgconfig" "$prefix/$libdir/cmake" "$prefix/include"; then
    fail "installed files mention the build tree"
fi

echo "== exported symbols"
# defined dynamic symbols, without the version node (type A)
nm -D --defined-only "$prefix/$libdir/libpdva.so.1" | awk '$2 != "A" {print $3}' | sed 's/@.*//' \
    | sort -u >"$work/exports.txt"
[ -s "$work/exports.txt" ] || fail "no exported symbol"
if grep -v '^pdva_' "$work/exports.txt"; then fail "symbols outside pdva_* are exported"; fi
for sym in pdva_version_number pdva_version_string pdva_status_str pdva_error_status \
           pdva_error_message pdva_error_destroy pdva_limits_init pdva_analysis_options_init \
           pdva_analyze pdva_report_json pdva_report_summary pdva_report_alert_count \
           pdva_report_series_count pdva_report_analyzed_count pdva_report_write \
           pdva_report_destroy; do
    grep -qx "$sym" "$work/exports.txt" || fail "$sym is not exported"
done
echo "   $(wc -l <"$work/exports.txt") symbols, all pdva_*"

echo "== sample study"
"$phantom" --scenario combined --seed 4 --out "$work/study" --size 160 --frames 16 \
    --no-preview >/dev/null
echo "not a DICOM file" >"$work/notes.txt"
series=$work/study/series-1-leg   # one run: keeps the sanitizer build's run short

echo "== host built with pkg-config"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
pkg-config --exact-version="$(sed -n 's/^#define PDVA_VERSION_STRING "\(.*\)"/\1/p' \
    "$prefix/include/pdva/version.h")" pdva || fail "pdva.pc version differs from version.h"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Wextra -Werror $extra_flags -o "$work/host-pkgconfig" "$src/tests/abi/host.c" \
    $(pkg-config --cflags --libs pdva) $(pkg-config --cflags --libs cmocka) -pthread \
    -Wl,-rpath,"$prefix/$libdir"
# (ldd into a variable: grep -q closing the pipe early would fail the pipeline)
deps=$(ldd "$work/host-pkgconfig")
grep -q "libpdva.so.1 => $prefix/$libdir/libpdva.so.1" <<<"$deps" \
    || fail "host-pkgconfig does not load the installed libpdva: $(grep pdva <<<"$deps")"
mkdir -p "$work/run-pkgconfig"
"$work/host-pkgconfig" "$series" "$work/notes.txt" "$work/run-pkgconfig" quick

echo "== host built with CMake find_package(pdva)"
cmake -S "$src/tests/abi/consumer" -B "$work/consumer" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$prefix/$libdir" \
    -DCMAKE_C_FLAGS="$extra_flags" >"$work/consumer.log" 2>&1 \
    || { cat "$work/consumer.log"; fail "configuring the CMake consumer"; }
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 \
    || { cat "$work/consumer.log"; fail "building the CMake consumer"; }
deps=$(ldd "$work/consumer/host")
grep -q "libpdva.so.1 => $prefix/$libdir/libpdva.so.1" <<<"$deps" \
    || fail "the CMake host does not load the installed libpdva"
mkdir -p "$work/run-cmake"
"$work/consumer/host" "$series" "$work/notes.txt" "$work/run-cmake"

echo "PASS: libpdva installed, exports pdva_* only, hosts built with pkg-config and CMake pass"
