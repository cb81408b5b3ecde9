#!/usr/bin/env bash
# make_studies.sh — the studies test_analyze runs the analyzer on, generated with pdva-phantom
# (small frames, so the sanitizer build stays quick):
#   reference/        a combined study (leg and foot runs) as generated
#   saturated-frame/  the same study with one mid-transit frame at the detector's maximum
#   blank-frame/      ... with one mid-transit frame all zero
#   no-contrast/      the same anatomy, no injection reaching the field
#   noise/            pure detector noise
#   two-frames/       a 2-frame acquisition
#   one-frame/        one file copied out of a frame-per-file series: a single image
#   no-spacing/       no Pixel Spacing, no magnification, no distances: spacing unknown
#   two-studies/      the series of two different patients' studies in one folder
#   fault/            a small foot run for the allocation-failure walk
#
#   make_studies.sh PHANTOM OUTDIR
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
phantom=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
gen() { # gen NAME ARGS...
    local name=$1; shift
    "$phantom" --no-preview --out "$out/$name" "$@" >/dev/null
}
common=(--scenario combined --seed 5 --size 384 --encoding xa-explicit-le --spacing pixel)
gen reference "${common[@]}"
gen saturated-frame "${common[@]}" --defect saturated-frame
gen blank-frame "${common[@]}" --defect blank-frame
gen no-contrast "${common[@]}" --defect no-contrast
gen noise "${common[@]}" --defect noise
gen two-frames --scenario combined --seed 5 --size 256 --frames 2 --encoding xa-explicit-le
gen no-spacing --scenario low-flow --seed 8 --size 384 --encoding xrf --spacing none

# one frame: a single file of a frame-per-file series is a one-image series
gen per-file --scenario clean --seed 9 --size 256 --frames 8 --encoding xa-frame-per-file --runs foot
mkdir -p "$out/one-frame"
first=$(find "$out/per-file" -name '*.dcm' | sort | head -1)
[ -n "$first" ] || { echo "make_studies: no frame file in $out/per-file" >&2; exit 1; }
cp "$first" "$out/one-frame/"
rm -rf "$out/per-file"

# two studies in one folder: series 1-2 of one study, then series of another patient's study
gen study-a --scenario clean --seed 11 --size 256 --encoding xa-explicit-le --runs foot
gen study-b --scenario clean --seed 12 --size 256 --encoding xa-explicit-le --runs foot
mkdir -p "$out/two-studies"
mv "$out/study-a" "$out/two-studies/a"
mv "$out/study-b" "$out/two-studies/b"

gen fault --scenario residual-valves --seed 4 --size 192 --frames 12 --encoding xa-explicit-le \
    --runs foot --spacing pixel
echo "make_studies: $(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l) studies in $out"
