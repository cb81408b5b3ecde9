#!/usr/bin/env bash
# bench/accuracy/run.sh — pdva's accuracy against ground truth on a set of generated studies:
# generate the set (sample-studies/recipes/accuracy.tsv by default: 60 studies, seeds never used
# in development), analyze every study with the `pdva` runner, score the reports with
# tools/score/pdva_score.py and print its table (and the floors it is held to).
#
#   bench/accuracy/run.sh [--recipes FILE] [--work DIR] [--build DIR] [--json OUT]
#                         [--floors FILE | --no-floors]
#
# The floors are tools/score/floors.json's; --floors FILE lays a file's floors over them (a figure
# it names is held to its floor instead), --no-floors drops them all.
# Exit status: that of the scorer (1 when a figure is below its floor), 2 on set-up errors.
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
recipes=$top/sample-studies/recipes/accuracy.tsv
work=$top/build/bench-accuracy
build=$top/build
json=""
floors=(--floors "$top/tools/score/floors.json")
while [ $# -gt 0 ]; do
    case "$1" in
        --recipes) recipes=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --floors) floors+=(--floors "$2"); shift 2 ;;
        --no-floors) floors=(); shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
phantom=$build/tools/phantom/pdva-phantom
runner=$build/plugin/runner/pdva
for tool in "$phantom" "$runner"; do
    [ -x "$tool" ] || { echo "run.sh: $tool is missing: build first (cmake --build $build)" >&2; exit 2; }
done
studies=$work/studies
mkdir -p "$studies"
echo "== generating $(grep -cv '^#\|^name' "$recipes") studies from $(basename "$recipes") into $studies"
start=$(date +%s)
"$top/sample-studies/generate.sh" "$recipes" "$studies" "$phantom" || echo "run.sh: some studies failed to generate"
echo "   $(( $(date +%s) - start )) s"

echo "== analyzing"
start=$(date +%s)
analyzed=0 failed=0
# baselines before their controls: a control's context names ../baseline/report.json
for truth in $(find "$studies" -name truth.json | sort); do
    d=$(dirname "$truth")
    if "$runner" analyze --quiet --context "$d/context.json" --out "$d" "$d" > "$d/analyze.log" 2>&1; then
        analyzed=$((analyzed + 1))
    else
        rc=$?
        failed=$((failed + 1))
        echo "   analysis of ${d#$studies/} exited $rc (see $d/analyze.log)"
    fi
done
secs=$(( $(date +%s) - start ))
echo "   $analyzed analyzed, $failed failed in $secs s ($(( secs / (analyzed + failed > 0 ? analyzed + failed : 1) )) s per study)"

echo "== scoring"
args=(--set "$studies" "${floors[@]}")
[ -n "$json" ] && args+=(--json "$json")
/usr/bin/python3 "$top/tools/score/pdva_score.py" "${args[@]}"
