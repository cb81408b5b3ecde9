#!/usr/bin/env bash
# make-fixtures.sh — regenerate the reader's compressed test fixtures with DCMTK's own tools.
#
# Each file is a 64x64, 8-frame X-Ray Angiographic series whose pixel (frame f, row r, column c)
# is tb_pattern(f, r, c, bits) of tests/dicom-read/builder.c:
#     (r*31 + c*7 + f*97 + (r*c) % 13) masked to `bits` bits,
# so the tests compare every decoded frame with that formula. Frame Time 66.67 ms.
# Run from anywhere; writes next to this script. Needs dcmtk (dump2dcm, dcmcrle, dcmcjpeg,
# dcmcjpls) and python3.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make_base() { # make_base BITS_ALLOCATED BITS_STORED OUT
    local alloc=$1 stored=$2 out=$3
    python3 - "$alloc" "$stored" "$tmp/pixels.raw" <<'PY'
import struct, sys
alloc, stored, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
mask = (1 << stored) - 1
out = bytearray()
for f in range(8):
    for r in range(64):
        for c in range(64):
            v = (r * 31 + c * 7 + f * 97 + (r * c) % 13) & mask
            out += struct.pack('<H', v) if alloc == 16 else struct.pack('<B', v)
open(path, 'wb').write(out)
PY
    local vr=OW
    [ "$alloc" = 8 ] && vr=OB
    cat >"$tmp/base.dump" <<DUMP
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =XRayAngiographicImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.9.7433.10.$alloc.$stored]
(0008,0020) DA [20240102]
(0008,0030) TM [101112]
(0008,0060) CS [XA]
(0010,0010) PN [Fixture^Reader]
(0010,0020) LO [FIXTURE-1]
(0018,1063) DS [66.67]
(0020,000d) UI [1.2.826.0.1.3680043.9.7433.10]
(0020,000e) UI [1.2.826.0.1.3680043.9.7433.10.1]
(0020,0062) CS [L]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0008) IS [8]
(0028,0009) AT (0018,1063)
(0028,0010) US 64
(0028,0011) US 64
(0028,0100) US $alloc
(0028,0101) US $stored
(0028,0102) US $((stored - 1))
(0028,0103) US 0
(7fe0,0010) $vr =$tmp/pixels.raw
DUMP
    dump2dcm -q "$tmp/base.dump" "$out"
}

make_base 16 12 "$tmp/base12.dcm"
make_base 8 8 "$tmp/base8.dcm"

dcmcrle -q "$tmp/base12.dcm" "$here/xa_rle.dcm"
dcmcjpeg -q +e1 "$tmp/base12.dcm" "$here/xa_jpll_sv1.dcm"
dcmcjpeg -q +el +fs 1 -ot "$tmp/base12.dcm" "$here/xa_jpll_p14_fragments_no_bot.dcm"
dcmcjpeg -q +e1 +fs 1 +ot "$tmp/base12.dcm" "$here/xa_jpll_fragments_bot.dcm"
dcmcjpeg -q +ee "$tmp/base12.dcm" "$here/xa_jpeg_extended12.dcm"
dcmcjpeg -q +eb "$tmp/base8.dcm" "$here/xa_jpeg_baseline8.dcm"
dcmcjpls -q +el "$tmp/base12.dcm" "$here/xa_jls.dcm"
dcmcjpls -q +el +fs 1 -ot "$tmp/base12.dcm" "$here/xa_jls_fragments_no_bot.dcm"
dcmcjpls -q +en "$tmp/base12.dcm" "$here/xa_jls_near.dcm"
ls -l "$here"/*.dcm
