#!/usr/bin/env bash
# generate.sh — generate a set of sample studies from a recipe file with pdva-phantom.
#
#   sample-studies/generate.sh RECIPES OUTDIR [PHANTOM]
#
# RECIPES is a tab-separated file (recipes/fixed.tsv, recipes/accuracy.tsv): a header line, then
# one study per line: name, scenario, seed, encoding, size, extra options ("-" for none); lines
# starting with # are comments. Each study goes to OUTDIR/<name>/ (a follow-up pair holds
# baseline/ and control/). Two studies are generated at a time. A study is skipped when its stamp
# file OUTDIR/<name>/.recipe says it was made by the same recipe line with the same pdva-phantom
# binary; otherwise it is generated into a temporary folder and moved into place, so an
# interrupted run never leaves a half-written study behind a valid stamp.
# PHANTOM defaults to $PDVA_PHANTOM, else build/tools/phantom/pdva-phantom of this repository.
# Exit status: 0 when every study is in place, 1 when any failed (the others are still made),
# 2 on usage errors.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

usage() {
    echo "usage: $0 RECIPES OUTDIR [PHANTOM]" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
recipes=$1
outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
phantom=${3:-${PDVA_PHANTOM:-$here/../build/tools/phantom/pdva-phantom}}
[ -f "$recipes" ] || { echo "generate.sh: no recipe file $recipes" >&2; exit 2; }
if [ ! -x "$phantom" ]; then
    echo "generate.sh: no pdva-phantom at $phantom (build it, or pass its path)" >&2
    exit 2
fi
phantom=$(cd "$(dirname "$phantom")" && pwd)/$(basename "$phantom")
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
binary_hash=$(sha256sum "$phantom" | cut -d' ' -f1)

# One study: $1 is a recipe line. Prints "ok NAME", "skip NAME" or "FAIL NAME: why".
generate_one() {
    local line=$1 name scenario seed encoding size extra
    IFS=$'\t' read -r name scenario seed encoding size extra <<<"$line"
    local dest=$outdir/$name stamp="recipe: $line"$'\n'"pdva-phantom: $binary_hash"
    if [ -f "$dest/.recipe" ] && [ "$(cat "$dest/.recipe")" = "$stamp" ]; then
        echo "skip $name"
        return 0
    fi
    local args=(--scenario "$scenario" --seed "$seed" --size "$size")
    [ "$encoding" = "-" ] || args+=(--encoding "$encoding")
    if [ -n "${extra:-}" ] && [ "$extra" != "-" ]; then
        # extra options are plain words (--spacing pixel --runs foot ...)
        read -r -a words <<<"$extra"
        args+=("${words[@]}")
    fi
    local tmp=$outdir/.tmp-$name
    rm -rf "$tmp"
    local log
    if ! log=$("$phantom" "${args[@]}" --out "$tmp" 2>&1); then
        rm -rf "$tmp"
        echo "FAIL $name: ${log//$'\n'/ }"
        return 0
    fi
    printf '%s\n' "$stamp" >"$tmp/.recipe"
    rm -rf "$dest"
    mv "$tmp" "$dest"
    echo "ok $name"
}
export -f generate_one
export outdir phantom binary_hash

start=$(date +%s)
# the follow-up pairs (two studies each) first, so the last job is not the longest one
results=$(grep -v '^#' "$recipes" | tail -n +2 | grep -v '^[[:space:]]*$' |
    awk -F'\t' '{ print ($2 == "followup-pair" ? 0 : 1) "\t" $0 }' | sort -s -t$'\t' -k1,1n |
    cut -f2- | tr '\n' '\0' | xargs -0 -P 2 -I{} bash -c 'generate_one "$1"' _ {})
echo "$results"
end=$(date +%s)
made=$(grep -c '^ok ' <<<"$results" || true)
skipped=$(grep -c '^skip ' <<<"$results" || true)
failed=$(grep -c '^FAIL ' <<<"$results" || true)
echo "generate.sh: $made generated, $skipped up to date, $failed failed" \
    "in $((end - start)) s -> $outdir"
[ "$failed" -eq 0 ]
