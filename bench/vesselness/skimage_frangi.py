#!/usr/bin/python3
"""skimage_frangi.py — time scikit-image's frangi for bench_vesselness (the reference we race).

Usage: skimage_frangi.py IN.raw OUT.raw WIDTH HEIGHT GAMMA SIGMA,SIGMA,... REPEATS

Reads a row-major little-endian float32 image, runs skimage.filters.frangi(black_ridges=False)
with the given scales and gamma REPEATS times, writes the map of the last run as float32 and
prints the fastest wall time and the CPU time of that run, in seconds, on stdout. Only the frangi call is timed: not the
interpreter start, the imports or the file I/O. Must run under Debian's /usr/bin/python3
(python3-skimage).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import sys
import time

import numpy as np
from skimage.filters import frangi


def main(argv):
    if len(argv) != 8:
        sys.stderr.write(__doc__)
        return 2
    src, dst = argv[1], argv[2]
    width, height = int(argv[3]), int(argv[4])
    gamma = float(argv[5])
    sigmas = [float(s) for s in argv[6].split(",")]
    repeats = max(1, int(argv[7]))
    image = np.fromfile(src, dtype="<f4").reshape(height, width)
    # First call on a small crop: lazy imports inside scipy/skimage are not frangi's cost.
    frangi(image[:64, :64], sigmas=sigmas, black_ridges=False, gamma=gamma)
    best, best_cpu = float("inf"), float("inf")
    out = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = frangi(image, sigmas=sigmas, black_ridges=False, gamma=gamma)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, best_cpu = wall, cpu
    out.astype("<f4").tofile(dst)
    print(f"{best:.6f} {best_cpu:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
