#!/usr/bin/env bash
# make-scenario-images.sh — regenerate docs/images/scenario-<name>.png, the pictures of
# docs/sample-studies.md: one full-size study per scenario of pdva-phantom, its preview.png
# (for the follow-up pair, the control's) scaled down to at most 1200 px wide.
#
#   tools/docs/make-scenario-images.sh [PHANTOM]
#
# PHANTOM defaults to $PDVA_PHANTOM, else build/tools/phantom/pdva-phantom of this repository.
# Needs /usr/bin/python3 with PIL (Debian's python3-pil).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
phantom=${1:-${PDVA_PHANTOM:-$repo/build/tools/phantom/pdva-phantom}}
[ -x "$phantom" ] || { echo "make-scenario-images.sh: no pdva-phantom at $phantom" >&2; exit 2; }
images=$repo/docs/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$images"

# scenario and a seed whose study shows it well (both runs where the scenario allows)
recipes="clean 3
residual-valves 5
donor-restenosis 4
collateral-steal 3
low-flow 3
calibre-mismatch 4
conduit-stenosis 1
occlusion 3
combined 1
followup-pair 3"

export phantom work
echo "$recipes" | xargs -P 2 -L 1 bash -c \
    '"$phantom" --scenario "$0" --seed "$1" --out "$work/$0" --encoding xa-explicit-le'

echo "$recipes" | while read -r scenario seed; do
    src=$work/$scenario/preview.png
    [ "$scenario" = followup-pair ] && src=$work/$scenario/control/preview.png
    /usr/bin/python3 - "$src" "$images/scenario-$scenario.png" <<'PY'
import sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
im = Image.open(src).convert("RGB")
if im.width > 1200:
    im = im.resize((1200, round(im.height * 1200 / im.width)), Image.LANCZOS)
# A noisy angiogram compresses badly as RGB: a palette of the preview's overlay colours (pure, and
# blended toward white and black) plus grey levels keeps each picture well under 400 KB.
overlay = [(230, 40, 40), (250, 140, 40), (40, 150, 250), (220, 60, 220), (60, 200, 90),
           (255, 230, 0)]
pal = []
for c in overlay:
    pal += list(c) + [(v + 255) // 2 for v in c] + [v // 2 for v in c]
greys = 256 - len(pal) // 3
for i in range(greys):
    g = round(i * 255 / (greys - 1))
    pal += [g, g, g]
p = Image.new("P", (1, 1))
p.putpalette(pal)
im.quantize(palette=p, dither=Image.Dither.NONE).save(dst, optimize=True)
PY
    echo "$images/scenario-$scenario.png: $(stat -c %s "$images/scenario-$scenario.png") bytes"
done
