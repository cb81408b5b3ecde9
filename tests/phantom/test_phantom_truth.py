#!/usr/bin/python3
# test_phantom_truth.py — the sample-study generator's truth: for every scenario and several
# seeds, truth.json validates against the report schema and is self-consistent (truth_checks.py:
# points inside the image, transit delays along and between vessels, frame times and mask frame,
# venosome polygons, collateral embolize vs the wound, follow-up references); each scenario
# contains what it is named for; the same scenario and seed give byte-identical files.
#
#   test_phantom_truth.py --phantom PATH --work DIR [--schema FILE] [--size N] [--seeds 1,2]
#                         [--scenarios a,b] [--frames N] [unittest options]
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import truth_checks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
ARGS = None

# What each scenario is named for: finding types that must be present somewhere in the study (in
# the control for the follow-up pair). "clean" must have none at all.
SCENARIO_FINDINGS = {
    "clean": (),
    "residual-valves": ("residual_valve",),
    "donor-restenosis": ("donor_restenosis",),
    "collateral-steal": ("collateral",),
    "low-flow": ("low_flow",),
    "calibre-mismatch": ("calibre_mismatch",),
    "conduit-stenosis": ("conduit_stenosis",),
    "occlusion": ("occlusion",),
    "combined": ("donor_restenosis", "residual_valve", "collateral"),
    "followup-pair": ("donor_restenosis", "residual_valve", "collateral"),
}


def scenarios_from_help(phantom):
    out = subprocess.run([phantom, "--help"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("scenarios:"):
            return line.split(":", 1)[1].split()
    raise AssertionError("pdva-phantom --help lists no scenarios")


def generate(out_dir, scenario, seed, extra):
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    cmd = [ARGS.phantom, "--scenario", scenario, "--seed", str(seed), "--out", out_dir] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stderr


def study_dirs(out_dir):
    """The study folders a generation wrote: itself, or baseline/ and control/."""
    if os.path.isfile(os.path.join(out_dir, "truth.json")):
        return [out_dir]
    return [os.path.join(out_dir, "baseline"), os.path.join(out_dir, "control")]


def file_hashes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def validator():
    import jsonschema
    with open(ARGS.schema, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class TruthSweep(unittest.TestCase):
    """Every scenario x seed, generated once (two at a time) and checked."""

    generated = {}

    @classmethod
    def setUpClass(cls):
        cls.scenarios = ARGS.scenarios or scenarios_from_help(ARGS.phantom)
        cls.validator = validator()
        extra = ["--size", str(ARGS.size), "--no-preview"]
        if ARGS.frames:
            extra += ["--frames", str(ARGS.frames)]
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for sc in cls.scenarios:
                for seed in ARGS.seeds:
                    d = os.path.join(ARGS.work, "%s-%d" % (sc, seed))
                    jobs[(sc, seed)] = (d, pool.submit(generate, d, sc, seed, extra))
            for key, (d, fut) in jobs.items():
                cls.generated[key] = (d,) + fut.result()

    def each(self, check):
        """Run check(scenario, seed, folder) on every generated study, each as a subtest."""
        for (sc, seed), (d, rc, err) in sorted(self.generated.items()):
            with self.subTest(scenario=sc, seed=seed):
                self.assertEqual(rc, 0, "pdva-phantom %s %d failed: %s" % (sc, seed, err))
                check(sc, seed, d)

    def test_scenarios_listed(self):
        self.assertEqual(sorted(SCENARIO_FINDINGS), sorted(scenarios_from_help(ARGS.phantom)),
                         "the scenarios of --help changed: update SCENARIO_FINDINGS")

    def test_schema_and_self_consistency(self):
        def check(sc, seed, d):
            problems = []
            for s in study_dirs(d):
                problems += ["%s: %s" % (os.path.relpath(s, ARGS.work), p)
                             for p in truth_checks.check_study(s, self.validator)]
            self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.each(check)


    def test_scenario_has_its_findings(self):
        def check(sc, seed, d):
            s = study_dirs(d)[-1]
            doc = truth_checks.load(os.path.join(s, "truth.json"))
            types = [f["type"] for ser in doc["series"] for f in ser["findings"]]
            want = SCENARIO_FINDINGS[sc]
            if sc == "clean":
                self.assertEqual(types, [], "clean study %d has findings" % seed)
            if sc == "low-flow" and all(x["pixel_spacing_mm"] is None for x in doc["series"]):
                want = ()  # no flow can be measured without a spacing
            missing = [t for t in want if t not in types]
            self.assertEqual(missing, [], "%s seed %d (runs %s) lacks %s; it has %s"
                             % (sc, seed, [x["run"] for x in doc["series"]], missing, types))
            self.assertEqual(doc["truth"]["scenario"], sc)
            self.assertEqual(doc["truth"]["seed"], seed)
        self.each(check)


    def test_followup_pair(self):
        def check(sc, seed, d):
            if sc != "followup-pair":
                return
            base = truth_checks.load(os.path.join(d, "baseline", "truth.json"))
            ctrl = truth_checks.load(os.path.join(d, "control", "truth.json"))
            problems = truth_checks.check_followup(ctrl, base)
            self.assertEqual(problems, [], "\n" + "\n".join(problems))
            # one residual valve was broken by venoplasty since the baseline
            nv = [sum(f["type"] == "residual_valve" for s in doc["series"] for f in s["findings"])
                  for doc in (base, ctrl)]
            self.assertEqual(nv[1], nv[0] - 1, "baseline/control valves %s" % nv)
            self.assertEqual(base["study"]["patient_id"], ctrl["study"]["patient_id"])
        self.each(check)


    def test_context_echoes_context_json(self):
        def check(sc, seed, d):
            problems = []
            for s in study_dirs(d):
                problems += truth_checks.check_context_echo(
                    truth_checks.load(os.path.join(s, "truth.json")),
                    truth_checks.load(os.path.join(s, "context.json")))
            self.assertEqual(problems, [], "\n" + "\n".join(problems))

        self.each(check)


class SpacingUnknown(unittest.TestCase):
    """A study whose files give no spacing: generated, with every mm and ml/min value null."""

    def test_spacing_unknown(self):
        cases = (("residual-valves", 3, ["--spacing", "none"]),
                 ("clean", 103, []))  # seed 103: "clean" draws the unknown spacing itself
        for sc, seed, extra in cases:
            with self.subTest(scenario=sc, seed=seed):
                d = os.path.join(ARGS.work, "spacing-unknown-%s-%d" % (sc, seed))
                rc, err = generate(d, sc, seed, ["--size", "128", "--frames", "12",
                                                 "--no-preview"] + extra)
                self.assertEqual(rc, 0, "pdva-phantom %s %d %s failed: %s" % (sc, seed, extra, err))
                doc = truth_checks.load(os.path.join(d, "truth.json"))
                for s in doc["series"]:
                    self.assertEqual(s["spacing_source"], "unknown")
                    self.assertIsNone(s["pixel_spacing_mm"])
                    self.assertIsNone(s["arterialization_flow_ml_min"])
                    for v in s["vessels"]:
                        self.assertTrue(all(x is None for x in v["diameter_mm"]))
                problems = truth_checks.check_study(d, validator())
                self.assertEqual(problems, [], "\n".join(problems))


class Determinism(unittest.TestCase):
    """Same scenario and seed: the same bytes, DICOM files and preview included."""

    def test_same_seed_same_files(self):
        for enc in ("xa-explicit-le", "enhanced-xa", "xa-frame-per-file"):
            with self.subTest(encoding=enc):
                runs = []
                for k in ("a", "b"):
                    d = os.path.join(ARGS.work, "determinism-%s-%s" % (enc, k))
                    rc, err = generate(d, "followup-pair", 5,
                                       ["--size", "128", "--frames", "8", "--encoding", enc])
                    self.assertEqual(rc, 0, err)
                    runs.append(file_hashes(d))
                self.assertEqual(sorted(runs[0]), sorted(runs[1]))
                differ = [f for f in runs[0] if runs[0][f] != runs[1][f]]
                self.assertEqual(differ, [], "files differ between two identical runs")
                self.assertTrue(any(f.endswith(".dcm") for f in runs[0]))
                self.assertTrue(any(f.endswith("preview.png") for f in runs[0]))

    def test_different_seed_different_study(self):
        docs = []
        for seed in (21, 22):
            d = os.path.join(ARGS.work, "determinism-seed-%d" % seed)
            rc, err = generate(d, "combined", seed, ["--size", "128", "--frames", "8",
                                                     "--no-preview"])
            self.assertEqual(rc, 0, err)
            docs.append(truth_checks.load(os.path.join(d, "truth.json")))
        self.assertNotEqual(docs[0]["study"]["study_instance_uid"],
                            docs[1]["study"]["study_instance_uid"])
        self.assertNotEqual(docs[0]["truth"]["arterialization_flow_ml_min"],
                            docs[1]["truth"]["arterialization_flow_ml_min"])


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--phantom", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--schema", default=os.path.join(REPO, "..", "shared", "spec",
                                                     "report-v1.schema.json"))
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--frames", type=int, default=0)
    ap.add_argument("--seeds", default="1,2,3,4,5,6")
    ap.add_argument("--scenarios", default="")
    ap.add_argument("--no-determinism", action="store_true")
    ARGS, rest = ap.parse_known_args()
    ARGS.seeds = [int(x) for x in ARGS.seeds.split(",") if x]
    ARGS.scenarios = [x for x in ARGS.scenarios.split(",") if x]
    os.makedirs(ARGS.work, exist_ok=True)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(TruthSweep)])
    if not ARGS.no_determinism:
        suite.addTests(loader.loadTestsFromTestCase(SpacingUnknown))
        suite.addTests(loader.loadTestsFromTestCase(Determinism))
    if rest:
        suite = unittest.TestSuite([t for t in _flatten(suite) if any(r in t.id() for r in rest)])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


if __name__ == "__main__":
    main()
