#!/usr/bin/python3
# test_score.py — the accuracy scorer, tools/score/pdva_score.py.
#
# A small set of studies is generated with pdva-phantom (256 px, 30 frames, no preview), each
# with report.json = a copy of its truth.json. Scoring that set gives perfect figures. Then one
# perturbation at a time (a valve moved 5 mm, a finding dropped, a false finding added, % stenosis
# +12, flows x 1.5, embolize flipped, a wrong spacing source, a venosome arrival nulled, ...) is
# applied to the reports, and exactly the figures it should touch change, in the right direction.
# The command line is checked too: --floors exits 0 on the perfect set and 1 on a degraded one.
#
#   test_score.py --phantom PATH --work DIR [--scorer PATH] [--floors PATH] [--schema PATH]
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import concurrent.futures
import copy
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ARGS = None
S = None  # the scorer module

# Studies of the set: every finding type at least twice, two-run studies, a follow-up pair.
STUDIES = (
    ("combined", 1), ("combined", 4), ("conduit-stenosis", 1), ("conduit-stenosis", 2),
    ("occlusion", 1), ("occlusion", 4), ("followup-pair", 3), ("calibre-mismatch", 1),
    ("collateral-steal", 3),
)


def load_scorer(path):
    spec = importlib.util.spec_from_file_location("pdva_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def generate(scenario, seed):
    d = os.path.join(ARGS.work, "studies", "%s-%d" % (scenario, seed))
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.dirname(d), exist_ok=True)  # pdva-phantom makes only the last level
    cmd = [ARGS.phantom, "--scenario", scenario, "--seed", str(seed), "--out", d,
           "--size", "256", "--frames", "30", "--no-preview"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr))
    return d


def study_folders():
    out = []
    for dp, _, files in os.walk(os.path.join(ARGS.work, "studies")):
        if "truth.json" in files:
            out.append(dp)
    return sorted(out)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save(doc, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)


class ReportSet:
    """Truth and (perturbable) reports of every study folder, scored in memory."""

    def __init__(self):
        self.folders = study_folders()
        self.truth = {d: load(os.path.join(d, "truth.json")) for d in self.folders}
        self.reports = {d: copy.deepcopy(t) for d, t in self.truth.items()}

    def write(self, root):
        """A copy of the set under root with the current reports (for the command line)."""
        if os.path.isdir(root):
            shutil.rmtree(root)
        base = os.path.join(ARGS.work, "studies")
        for d in self.folders:
            dst = os.path.join(root, os.path.relpath(d, base))
            os.makedirs(dst)
            shutil.copy(os.path.join(d, "truth.json"), dst)
            save(self.reports[d], os.path.join(dst, "report.json"))
        return root

    def figures(self):
        root = self.write(os.path.join(ARGS.work, "scored"))
        schema = S.SchemaChecker(ARGS.schema)
        assert schema.error is None, schema.error
        total = S.Tally()
        for d in S.find_studies(root, "report.json")[0]:
            t, _ = S.score_study(os.path.join(d, "truth.json"), os.path.join(d, "report.json"),
                                 schema)
            total.merge(t)
        return {name: (value, n) for name, value, n, _ in S.figures(total)}

    def findings(self, ftype, control=False):
        """(folder, series, finding) of a type in the reports, follow-up controls excluded."""
        out = []
        for d in self.folders:
            doc = self.reports[d]
            if doc.get("comparison") and not control:
                continue
            if os.path.basename(d) == "baseline" and not control:
                continue
            for s in doc["series"]:
                for f in s["findings"]:
                    if f["type"] == ftype:
                        out.append((d, s, f))
        return out


def changed(a, b):
    """Names of figures whose value differs between two figure dicts."""
    out = set()
    for name in a:
        va, vb = a[name][0], b[name][0]
        if (va is None) != (vb is None):
            out.add(name)
        elif va is not None and abs(va - vb) > 1e-9:
            out.add(name)
    return out


# What a perfect report scores: every figure with a case is at its best value.
BEST_ZERO = ("err", "false_positives", "missing", "report_null", "report_number",
             "distance_median_mm")


class Scorer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda x: generate(*x), STUDIES))
        cls.perfect = ReportSet().figures()

    def setUp(self):
        self.set = ReportSet()

    def degrade(self, expected, worse=None):
        """Score the perturbed set; exactly `expected` figures change, each for the worse."""
        got = self.set.figures()
        diff = changed(self.perfect, got)
        self.assertEqual(diff, set(expected), "changed figures: %s" % {
            n: (self.perfect[n][0], got[n][0]) for n in diff | set(expected)})
        for name in expected:
            before, after = self.perfect[name][0], got[name][0]
            if before is None or after is None:
                continue
            if any(k in name for k in BEST_ZERO):
                self.assertGreater(after, before, name)
            else:
                self.assertLess(after, before, name)
        return got

    # ---- perfect ---------------------------------------------------------------------------

    def test_truth_scores_perfectly(self):
        f = self.perfect
        for name, (value, n) in f.items():
            if value is None:
                continue
            if any(k in name for k in BEST_ZERO):
                self.assertEqual(value, 0, name)
            else:
                self.assertEqual(value, 1.0, name)
        # the set exercises every figure the floors name
        floors = load(ARGS.floors)["floors"]
        for name in floors:
            self.assertIn(name, f, "floors.json names an unknown figure")
            self.assertIsNotNone(f[name][0], "no case for %s in the test set" % name)
        for name in ("valves.sensitivity", "donor.detection", "conduit.detection",
                     "occlusion.detection", "collaterals.sensitivity", "followup.sets_agreement",
                     "calibre_mismatch.agreement", "occlusion.distal_filling_agreement",
                     "conduit.site_agreement", "followup.comparison_present"):
            self.assertGreaterEqual(f[name][1], 1, name)

    # ---- perturbations ---------------------------------------------------------------------

    def test_valve_moved_5_mm(self):
        d, s, f = self.set.findings("residual_valve")[0]
        sp = s["physical_pixel_spacing_mm"]
        x, y = f["point"]
        # 5 mm toward the image centre, so it stays inside
        dx = 1.0 if x < s["columns"] / 2 else -1.0
        f["point"] = [x + dx * 5.0 / sp, y]
        self.degrade({"valves.sensitivity", "valves.precision"})

    def test_valve_moved_2_mm_still_matches(self):
        d, s, f = self.set.findings("residual_valve")[0]
        sp = s["physical_pixel_spacing_mm"]
        x, y = f["point"]
        dy = 1.0 if y < s["rows"] / 2 else -1.0
        f["point"] = [x, y + dy * 2.0 / sp]
        self.degrade(set())

    def test_donor_restenosis_dropped(self):
        d, s, f = self.set.findings("donor_restenosis")[0]
        s["findings"].remove(f)
        self.degrade({"donor.detection"})

    def test_valve_dropped(self):
        d, s, f = self.set.findings("residual_valve")[0]
        s["findings"].remove(f)
        self.degrade({"valves.sensitivity"})

    def test_occlusion_dropped(self):
        d, s, f = self.set.findings("occlusion")[0]
        s["findings"].remove(f)
        self.degrade({"occlusion.detection"})

    def test_false_conduit_stenosis(self):
        d, s, f = self.set.findings("conduit_stenosis")[0]
        false = copy.deepcopy(f)
        false["id"] = "F999"
        sp = s["physical_pixel_spacing_mm"]
        x, y = f["point"]
        false["point"] = [x, y + (30.0 / sp if y < s["rows"] / 2 else -30.0 / sp)]
        s["findings"].append(false)
        self.degrade({"conduit.false_positives"})

    def test_false_collateral(self):
        d, s, f = self.set.findings("collateral")[0]
        false = copy.deepcopy(f)
        false["id"] = "F998"
        sp = s["physical_pixel_spacing_mm"]
        x, y = f["point"]
        false["point"] = [x, y + (20.0 / sp if y < s["rows"] / 2 else -20.0 / sp)]
        s["findings"].append(false)
        self.degrade({"collaterals.precision"})

    def test_false_low_flow(self):
        for d in self.set.folders:
            doc = self.set.reports[d]
            if doc.get("comparison") or os.path.basename(d) == "baseline":
                continue
            if not any(f["type"] == "low_flow" for s in doc["series"] for f in s["findings"]):
                s = doc["series"][0]
                s["findings"].append({"id": "F997", "type": "low_flow", "point": [1.0, 1.0],
                                      "confidence": 0.5, "flow_ml_min": 250.0})
                break
        else:
            self.fail("no study without low flow")
        self.degrade({"low_flow.agreement"})

    def test_stenosis_pct_plus_12(self):
        items = self.set.findings("donor_restenosis", control=True)
        self.assertGreaterEqual(len(items), 2)
        for _, _, f in items:
            f["diameter_stenosis_pct"] += 12.0
        got = self.degrade({"donor.pct_err_median", "donor.pct_err_p90"})
        self.assertAlmostEqual(got["donor.pct_err_median"][0], 12.0, places=6)
        self.assertAlmostEqual(got["donor.pct_err_p90"][0], 12.0, places=6)

    def test_flow_times_1_5(self):
        for doc in self.set.reports.values():
            for s in doc["series"]:
                if s["arterialization_flow_ml_min"] is not None:
                    s["arterialization_flow_ml_min"] *= 1.5
        got = self.degrade({"flow.rel_err_median", "flow.rel_err_p90"})
        self.assertAlmostEqual(got["flow.rel_err_median"][0], 0.5, places=3)

    def test_embolize_flipped(self):
        d, s, f = self.set.findings("collateral")[0]
        f["embolize"] = not f["embolize"]
        self.degrade({"collaterals.embolize_agreement"})

    def test_wrong_spacing_source(self):
        d = self.set.folders[0]
        s = self.set.reports[d]["series"][0]
        s["spacing_source"] = ("pixel_spacing" if s["spacing_source"] != "pixel_spacing"
                               else "magnification_corrected")
        self.degrade({"spacing.right"})

    def test_spacing_off_by_1_percent(self):
        d = self.set.folders[0]
        s = self.set.reports[d]["series"][0]
        s["pixel_spacing_mm"] = [v * 1.01 for v in s["pixel_spacing_mm"]]
        self.degrade({"spacing.right"})

    def test_venosome_arrival_nulled(self):
        for doc in self.set.reports.values():
            for s in doc["series"]:
                for v in s["venosomes"]:
                    if v["arrival_time_s"] is not None:
                        v["arrival_time_s"] = None
                        got = self.degrade({"venosome_arrival.truth_number_report_null"})
                        self.assertEqual(got["venosome_arrival.truth_number_report_null"][0], 1)
                        return
        self.fail("no venosome with an arrival time")

    def test_venosome_arrival_late_by_two_frames(self):
        for doc in self.set.reports.values():
            for s in doc["series"]:
                if not s["venosomes"]:
                    continue
                fi = sorted(b - a for a, b in zip(s["frame_times_s"], s["frame_times_s"][1:]))
                for v in s["venosomes"]:
                    if v["arrival_time_s"] is not None:
                        v["arrival_time_s"] += 2.0 * fi[len(fi) // 2]
        got = self.degrade({"venosome_arrival.err_median_s", "venosome_arrival.err_median_frames"})
        self.assertAlmostEqual(got["venosome_arrival.err_median_frames"][0], 2.0, places=2)

    def test_av_connection_missing(self):
        for doc in self.set.reports.values():
            for s in doc["series"]:
                if s["av_connection"] is not None:
                    s["av_connection"] = None
                    self.degrade({"av_connection.within_5mm"})
                    return
        self.fail("no AV connection")

    def test_schema_violation(self):
        doc = self.set.reports[self.set.folders[0]]
        del doc["alerts"]
        self.degrade({"schema.valid"})

    def test_mask_frame_and_status(self):
        s = self.set.reports[self.set.folders[0]]["series"][0]
        s["mask_frame"] += 1
        s["status"] = "error"
        self.degrade({"mask_frame.agreement", "status.agreement"})

    def test_series_missing(self):
        # a report without one of the truth's series: everything in it is missed
        for d in self.set.folders:
            doc = self.set.reports[d]
            kinds = sorted({f["type"] for s in doc["series"] for f in s["findings"]})
            if len(doc["series"]) == 1 and kinds == ["calibre_mismatch"]:
                doc["series"] = []
                self.degrade({"series.matched", "spacing.right", "mask_frame.agreement",
                              "status.agreement", "av_connection.within_5mm",
                              "flow.missing", "calibre_mismatch.agreement"})
                return
        self.fail("no single-series calibre-mismatch study")

    def test_followup_comparison_missing(self):
        for d in self.set.folders:
            doc = self.set.reports[d]
            if doc.get("comparison"):
                doc["comparison"] = None
                self.degrade({"followup.comparison_present", "followup.sets_agreement",
                              "followup.donor_stenosis_err_median_pct",
                              "followup.flow_rel_err_median"})
                return
        self.fail("no follow-up control")

    def test_followup_sets_through_matching(self):
        # the report numbers its findings differently: renaming every id (and the comparison's
        # references) changes nothing; moving a persisting entry to "new" is a disagreement
        for d in self.set.folders:
            doc = self.set.reports[d]
            if not doc.get("comparison"):
                continue
            rename = {}
            for s in doc["series"]:
                for f in s["findings"]:
                    rename[f["id"]] = "R" + f["id"]
                    f["id"] = rename[f["id"]]
            c = doc["comparison"]
            c["findings_new"] = [rename[x] for x in c["findings_new"]]
            c["findings_persisting"] = [rename[x] for x in c["findings_persisting"]]
            self.degrade(set())
            c["findings_new"].append(c["findings_persisting"].pop())
            self.degrade({"followup.sets_agreement"})
            return
        self.fail("no follow-up control")

    # ---- helpers of the scorer ---------------------------------------------------------------

    def test_greedy_matching_is_one_to_one(self):
        pairs, un_t, un_r = S.greedy_match([0.0, 1.0], [0.9], lambda a, b: abs(a - b), 3.0)
        self.assertEqual(pairs, [(1, 0, pytest_approx(0.1))])
        self.assertEqual(un_t, [0])
        self.assertEqual(un_r, [])

    def test_percentiles(self):
        self.assertIsNone(S.median([]))
        self.assertEqual(S.median([3.0, 1.0, 2.0]), 2.0)
        self.assertAlmostEqual(S.percentile(list(range(11)), 90.0), 9.0)
        self.assertAlmostEqual(S.percentile([0.0, 10.0], 90.0), 9.0)

    # ---- command line ------------------------------------------------------------------------

    def run_cli(self, *args):
        return subprocess.run(["/usr/bin/python3", ARGS.scorer, "--schema", ARGS.schema] +
                              list(args), capture_output=True, text=True)

    def test_cli_floors(self):
        root = self.set.write(os.path.join(ARGS.work, "cli-perfect"))
        out_json = os.path.join(ARGS.work, "cli-perfect.json")
        r = self.run_cli("--set", root, "--floors", ARGS.floors, "--json", out_json)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("valves.sensitivity", r.stdout)
        figs = load(out_json)["figures"]
        self.assertEqual(figs["schema.valid"]["value"], 1.0)
        self.assertEqual(figs["schema.valid"]["n"], len(self.set.folders))
        # flows x 1.5 and a missed valve: below two floors, named on stderr
        for doc in self.set.reports.values():
            for s in doc["series"]:
                if s["arterialization_flow_ml_min"] is not None:
                    s["arterialization_flow_ml_min"] *= 1.5
        root = self.set.write(os.path.join(ARGS.work, "cli-degraded"))
        r = self.run_cli("--set", root, "--floors", ARGS.floors)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("flow.rel_err_median", r.stderr)
        self.assertIn("flow.rel_err_p90", r.stderr)
        self.assertNotIn("valves.sensitivity", r.stderr)
        # a second --floors file replaces the floors it names and keeps the others
        layer = os.path.join(ARGS.work, "cli-layer.json")
        with open(layer, "w") as f:
            json.dump({"floors": {"flow.rel_err_median": {"max": 1.0}}}, f)
        r = self.run_cli("--set", root, "--floors", ARGS.floors, "--floors", layer)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("flow.rel_err_median", r.stderr)
        self.assertIn("flow.rel_err_p90", r.stderr)
        with open(layer, "w") as f:
            json.dump({"floors": {"flow.rel_err_median": {"max": 1.0},
                                  "flow.rel_err_p90": {"max": 1.0}}}, f)
        r = self.run_cli("--set", root, "--floors", ARGS.floors, "--floors", layer)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # without --floors the same set exits 0
        r = self.run_cli("--set", root)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_cli_one_study(self):
        d = self.set.folders[0]
        r = self.run_cli("--truth", os.path.join(d, "truth.json"),
                         "--report", os.path.join(d, "truth.json"), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        figs = json.loads(r.stdout)["figures"]
        self.assertEqual(figs["spacing.right"]["value"], 1.0)
        self.assertEqual(figs["schema.valid"]["value"], 1.0)

    def test_cli_empty_set(self):
        empty = os.path.join(ARGS.work, "empty")
        os.makedirs(empty, exist_ok=True)
        r = self.run_cli("--set", empty)
        self.assertEqual(r.returncode, 2)


class pytest_approx(float):
    """A float equal to anything within 1e-9 (for tuples compared with assertEqual)."""

    def __eq__(self, other):
        return math.isclose(float(self), other, abs_tol=1e-9)

    __hash__ = float.__hash__


def main():
    global ARGS, S
    ap = argparse.ArgumentParser()
    ap.add_argument("--phantom", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--scorer", default=os.path.join(REPO, "tools", "score", "pdva_score.py"))
    ap.add_argument("--floors", default=os.path.join(REPO, "tools", "score", "floors.json"))
    ap.add_argument("--schema", default=os.path.join(REPO, "..", "shared", "spec",
                                                     "report-v1.schema.json"))
    ARGS, rest = ap.parse_known_args()
    os.makedirs(ARGS.work, exist_ok=True)
    S = load_scorer(ARGS.scorer)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
