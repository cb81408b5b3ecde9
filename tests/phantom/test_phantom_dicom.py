#!/usr/bin/python3
# test_phantom_dicom.py — the DICOM files of the generator, for every one of its encodings: each
# dciodvfy without an "Error" line, and pdva's own reader (through phantom_readback, a small C
# program on dicom/pdva_dicom.h) reads every series back with the truth's frames, rows, columns,
# frame times (within 1 ms), pixel spacing (within 0.5 %, source matching, null <=> unknown) and
# decodes every frame; all encodings of the same study decode to the same pixel values.
#
#   test_phantom_dicom.py --phantom PATH --readback PATH --work DIR [--dciodvfy PATH]
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import unittest

ARGS = None
ENCODINGS = ("xa-explicit-le", "xa-implicit-le", "xa-big-endian", "xa-jpeg-lossless", "xa-rle",
             "xa-jpeg-ls", "enhanced-xa", "xrf", "xa-frame-per-file")
# Both runs (leg and foot), two mask-free spacing variants and the spacing-unknown one.
STUDY = ("combined", 8)
SPACINGS = ("pixel", "ermf", "distances", "none")


def generate(out_dir, extra):
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    cmd = [ARGS.phantom, "--scenario", STUDY[0], "--seed", str(STUDY[1]), "--out", out_dir,
           "--size", "128", "--frames", "8", "--no-preview"] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stderr


def series_dirs(study):
    return sorted(os.path.join(study, d) for d in os.listdir(study) if d.startswith("series-"))


def readback(paths):
    r = subprocess.run([ARGS.readback] + paths, capture_output=True, text=True)
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r.returncode, rows, r.stderr


class Encodings(unittest.TestCase):
    studies = {}

    @classmethod
    def setUpClass(cls):
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for enc in ENCODINGS:
                d = os.path.join(ARGS.work, enc)
                jobs[enc] = (d, pool.submit(generate, d, ["--encoding", enc, "--spacing", "ermf"]))
            for sp in SPACINGS:
                d = os.path.join(ARGS.work, "spacing-" + sp)
                jobs["spacing-" + sp] = (d, pool.submit(
                    generate, d, ["--encoding", "xa-explicit-le", "--spacing", sp]))
            for key, (d, fut) in jobs.items():
                rc, err = fut.result()
                cls.studies[key] = (d, rc, err)

    def study(self, key):
        d, rc, err = self.studies[key]
        self.assertEqual(rc, 0, "pdva-phantom failed for %s: %s" % (key, err))
        return d

    def test_dciodvfy(self):
        def verify(path):
            r = subprocess.run([ARGS.dciodvfy, path], capture_output=True, text=True)
            return path, [line for line in (r.stdout + r.stderr).splitlines()
                          if line.startswith("Error")]

        for enc in ENCODINGS:
            with self.subTest(encoding=enc):
                d = self.study(enc)
                files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(d) for f in fs
                               if f.endswith(".dcm"))
                self.assertGreater(len(files), 0)
                if enc == "xa-frame-per-file":
                    self.assertEqual(len(files), 16, "8 frames x 2 runs, one file each")
                with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                    bad = [(p, e) for p, e in pool.map(verify, files) if e]
                self.assertEqual(bad, [], "dciodvfy errors: %s" % bad[:3])

    def check_readback(self, d):
        with open(os.path.join(d, "truth.json"), encoding="utf-8") as f:
            truth = json.load(f)
        rc, rows, err = readback(series_dirs(d))
        self.assertEqual(rc, 0, "phantom_readback failed: %s %s" % (err, rows))
        series = {r["series_instance_uid"]: r for r in rows if "series_instance_uid" in r}
        rejected = [r for r in rows if "rejected" in r]
        self.assertEqual(rejected, [])
        self.assertEqual(sorted(series), sorted(s["series_instance_uid"] for s in truth["series"]))
        hashes = []
        for ts in truth["series"]:
            r = series[ts["series_instance_uid"]]
            what = "%s series %s" % (os.path.basename(d), ts["run"])
            self.assertEqual(r["decode_errors"], 0, what)
            self.assertEqual((r["rows"], r["columns"], r["frames"]),
                             (ts["rows"], ts["columns"], ts["frames"]), what)
            self.assertIsNotNone(r["frame_times_s"], what + ": no frame times")
            self.assertEqual(len(r["frame_times_s"]), len(ts["frame_times_s"]))
            for a, b in zip(r["frame_times_s"], ts["frame_times_s"]):
                self.assertAlmostEqual(a, b, delta=1e-3, msg=what + ": frame times")
            self.assertEqual(r["spacing_source"], ts["spacing_source"], what)
            if ts["pixel_spacing_mm"] is None:
                self.assertIsNone(r["pixel_spacing_mm"], what)
            else:
                self.assertIsNotNone(r["pixel_spacing_mm"], what)
                for a, b in zip(r["pixel_spacing_mm"], ts["pixel_spacing_mm"]):
                    self.assertLessEqual(abs(a - b), 0.005 * b, what + ": spacing %s vs %s"
                                         % (r["pixel_spacing_mm"], ts["pixel_spacing_mm"]))
            hashes.append((ts["run"], r["pixel_fnv1a64"]))
        return hashes

    def test_read_back_every_encoding(self):
        hashes = {}
        for enc in ENCODINGS:
            with self.subTest(encoding=enc):
                hashes[enc] = self.check_readback(self.study(enc))
        # the same study in every encoding: the same decoded values
        distinct = {}
        for enc, h in hashes.items():
            distinct.setdefault(tuple(h), []).append(enc)
        self.assertEqual(len(distinct), 1, "decoded pixels differ between encodings: %s"
                         % list(distinct.values()))

    def test_read_back_every_spacing(self):
        sources = set()
        for sp in SPACINGS:
            with self.subTest(spacing=sp):
                d = self.study("spacing-" + sp)
                self.check_readback(d)
                with open(os.path.join(d, "truth.json"), encoding="utf-8") as f:
                    sources.add(json.load(f)["series"][0]["spacing_source"])
        self.assertEqual(sources, {"pixel_spacing", "magnification_corrected", "unknown"})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--phantom", required=True)
    ap.add_argument("--readback", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--dciodvfy", default=shutil.which("dciodvfy") or "/usr/bin/dciodvfy")
    ARGS, rest = ap.parse_known_args()
    os.makedirs(ARGS.work, exist_ok=True)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
