#!/usr/bin/env bash
# quickstart.sh — from a fresh Debian 12 machine to a first pdva report, in one command:
#   1. install every dependency (Debian packages; needs root or sudo),
#   2. build pdva (release, into build/),
#   3. generate a sample control angiogram with its ground truth (pdva-phantom, the "combined"
#      scenario: leg and foot runs with several findings) into build/quickstart/study,
#   4. analyze it with the pdva runner, print the summary of the findings, and say where the
#      report went.
# Environment: PDVA_JOBS (build jobs, default: number of cores), PDVA_SCENARIO (default combined),
# PDVA_SEED (default 1).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${PDVA_JOBS:-$(nproc)}
scenario=${PDVA_SCENARIO:-combined}
seed=${PDVA_SEED:-1}

say() { printf '\n== %s\n' "$*"; }

say "dependencies (Debian packages)"
./scripts/install-deps.sh

say "building pdva into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >build.configure.log 2>&1 || {
    tail -30 build.configure.log
    echo "quickstart: configuring the build failed (see build.configure.log)" >&2
    exit 1
}
cmake --build build -j "$jobs" --target pdva-cli pdva-phantom

work=$top/build/quickstart
study=$work/study
report=$work/report
say "generating a sample study: scenario $scenario, seed $seed -> $study"
rm -rf "$study" "$report"
mkdir -p "$work"
build/tools/phantom/pdva-phantom --scenario "$scenario" --seed "$seed" --encoding xa-rle \
    --out "$study"

say "analyzing it"
# the study's context.json names the wound's venosome, as the referring team would
build/plugin/runner/pdva analyze --context "$study/context.json" --out "$report" "$study"

echo
echo "report:        $report/report.json"
echo "maps:          $report/maps/"
echo "ground truth:  $study/truth.json (what the phantom put in the images)"
echo "score it:      /usr/bin/python3 tools/score/pdva_score.py --truth $study/truth.json --report $report/report.json"
