#!/usr/bin/python3
# test_orthanc.py — the Orthanc plugin in a real Orthanc (Debian's 1.10.1), reachable on
# 127.0.0.1 only (private network namespace): studies uploaded over REST, analyses as Orthanc
# jobs, reports valid against the schema and equal to what `pdva analyze` gives on the same
# files, reports surviving a restart and going away with their series, and hostile use:
# malformed uploads, unknown IDs, huge and malformed bodies, 20 analyses at once, a cancel mid
# run, Orthanc stopped (and killed) mid-job, a bad configuration, memory bounded.
#
#   test_orthanc.py --plugin LIB --pdva RUNNER --phantom PHANTOM --schema FILE --work DIR
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import orthanc_fixture as fx  # noqa: E402

import jsonschema  # noqa: E402

ARGS = None
STUDIES = {}
WOUND = {"wound_venosomes": ["dorsalis_pedis"]}
UNKNOWN_ID = "00000000-11111111-22222222-33333333-44444444"


def generate(name, scenario, seed, size, frames, extra=()):
    out = os.path.join(ARGS.work, "studies", name)
    if not os.path.isdir(out):
        subprocess.run([ARGS.phantom, "--scenario", scenario, "--seed", str(seed), "--out", out,
                        "--size", str(size), "--frames", str(frames), "--no-preview"]
                       + list(extra), check=True, capture_output=True)
    return out


def runner_report(folder, out, wounds=("dorsalis_pedis",)):
    """The runner's report of the same files, written with its outputs into `out`."""
    cmd = [ARGS.pdva, "analyze", "-q", "--out", out]
    for w in wounds:
        cmd += ["--wound", w]
    subprocess.run(cmd + [folder], capture_output=True, text=True, check=True)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def referenced_files(doc):
    """Relative paths of output files a report names ("file" members)."""
    found = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += [v] if k == "file" and isinstance(v, str) else referenced_files(v)
    elif isinstance(doc, list):
        for v in doc:
            found += referenced_files(v)
    return found


def runner_summary(folder, wounds=("dorsalis_pedis",)):
    cmd = [ARGS.pdva, "analyze", "--json"]
    for w in wounds:
        cmd += ["--wound", w]
    r = subprocess.run(cmd + [folder], capture_output=True, text=True, check=True,
                       env=dict(os.environ, LC_ALL="C"))
    # stderr: progress lines, then the summary, a blank line, the counts and "Report:"
    lines = [ln for ln in r.stderr.splitlines() if not re.match(r"pdva: +\d+%", ln)]
    text = "\n".join(lines)
    return text.split("\n\n")[0].strip()


def schema():
    with open(ARGS.schema) as f:
        return json.load(f)


def findings(report):
    return [(s["series_instance_uid"], s["status"], sorted(json.dumps(f, sort_keys=True)
                                                           for f in s["findings"]))
            for s in report["series"]]


class PluginInOrthanc(unittest.TestCase):
    """One Orthanc for most tests; the order of the methods (t01...) matters."""

    @classmethod
    def setUpClass(cls):
        cls.root = fx.fresh(os.path.join(ARGS.work, "main"))
        cls.orthanc = fx.Orthanc(cls.root, ARGS.plugin, 18101, {
            "Pdva": {"WorkerThreads": 2, "ThreadsPerAnalysis": 1, "MaxQueuedJobs": 40,
                     "WoundVenosomesDefault": ["medial_plantar"]}}).start()
        study = STUDIES["combined"]
        cls.leg = cls.orthanc.series_of_folder(os.path.join(study, "series-1-leg"))
        cls.foot = cls.orthanc.series_of_folder(os.path.join(study, "series-2-foot"))
        cls.study = cls.orthanc.get("/series/" + cls.leg).json()["ParentStudy"]
        cls.peak_rss_kb = 0

    @classmethod
    def tearDownClass(cls):
        cls.orthanc.stop()

    def assert_alive(self):
        self.assertTrue(self.orthanc.alive(), self.orthanc.log_tail())
        self.assertEqual(self.orthanc.get("/system").status, 200)

    def assert_json_error(self, r, status):
        self.assertEqual(r.status, status, r.body)
        self.assertIn("application/json", r.headers.get("Content-Type", ""))
        doc = r.json()
        self.assertEqual(doc["status"], status)
        self.assertTrue(doc["error"])
        return doc["error"]

    def t_sample_rss(self):
        type(self).peak_rss_kb = max(type(self).peak_rss_kb, self.orthanc.rss_kb())

    # -- the radiologist's path through REST --------------------------------------------------

    def test_t01_status_and_explorer(self):
        doc = self.orthanc.get("/pdva/status").json()
        self.assertEqual(doc["name"], "pdva")
        self.assertRegex(doc["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(doc["settings"]["WorkerThreads"], 2)
        self.assertEqual(doc["settings"]["WoundVenosomesDefault"], ["medial_plantar"])
        self.assertEqual(len(doc["venosomes"]), 6)
        js = self.orthanc.get("/plugins/explorer.js").text()
        self.assertIn("Analyze p-DVA", js)
        plugins = self.orthanc.get("/plugins").json()
        self.assertIn("pdva", plugins)
        # no report yet: 404 with a JSON error
        self.assert_json_error(self.orthanc.get("/pdva/series/%s/report" % self.leg), 404)

    def test_t02_analysis_matches_the_runner(self):
        r = self.orthanc.post("/pdva/series/%s/analyze" % self.leg, WOUND)
        self.assertEqual(r.status, 200, r.body)
        job = r.json()["job"]
        self.assertEqual(r.json()["path"], "/jobs/" + job)
        # while it runs, the report answers 202 with the job
        early = self.orthanc.get("/pdva/series/%s/report" % self.leg)
        self.assertIn(early.status, (200, 202))
        if early.status == 202:
            self.assertEqual(early.json()["job"], job)
        done = self.orthanc.wait_job(job)
        self.assertEqual(done["State"], "Success", done)
        self.assertEqual(done["Type"], "PdvaAnalysis")
        self.assertEqual(done["Progress"], 100)
        self.assertEqual(done["Content"]["Series"], self.leg)
        self.assertEqual(done["Content"]["Report"], "/pdva/series/%s/report" % self.leg)
        r = self.orthanc.get("/pdva/series/%s/report" % self.leg)
        self.assertEqual(r.status, 200)
        self.assertIn("application/json", r.headers["Content-Type"])
        report = r.json()
        jsonschema.validate(report, schema())
        out = fx.fresh(os.path.join(ARGS.work, "runner-leg"))
        expected = runner_report(os.path.join(STUDIES["combined"], "series-1-leg"), out)
        self.assertEqual(findings(report), findings(expected))
        self.assertEqual(report["alerts"], expected["alerts"])
        self.assertEqual(report, expected)
        # the output files the report names are served, identical to the runner's
        files = referenced_files(report)
        for name in files:
            r = self.orthanc.get("/pdva/series/%s/files/%s" % (self.leg, name))
            self.assertEqual(r.status, 200, name)
            with open(os.path.join(out, name), "rb") as f:
                self.assertEqual(r.body, f.read(), name)
            if name.endswith(".png"):
                self.assertEqual(r.headers["Content-Type"], "image/png")
        for bad in ("../%s.report.json" % self.leg, "maps/../../x", ".hidden", "maps//x.png",
                    "maps/none.png", "a/b/c/d/e/f/g/h/i.png"):
            r = self.orthanc.get("/pdva/series/%s/files/%s" % (self.leg, bad))
            self.assertEqual(r.status, 404, bad)
        summary = self.orthanc.get("/pdva/series/%s/summary" % self.leg)
        self.assertEqual(summary.status, 200)
        self.assertIn("text/plain", summary.headers["Content-Type"])
        self.assertEqual(summary.text().strip(),
                         runner_summary(os.path.join(STUDIES["combined"], "series-1-leg")))
        self.assertEqual(fx.work_entries(self.orthanc), [])

    def test_t03_default_wound_and_study_listing(self):
        job = self.orthanc.analyze(self.foot, {})  # no wound given: WoundVenosomesDefault
        self.assertEqual(self.orthanc.wait_job(job)["State"], "Success")
        report = self.orthanc.get("/pdva/series/%s/report" % self.foot).json()
        self.assertEqual(report["context"]["wound_venosomes"], ["medial_plantar"])
        listing = self.orthanc.get("/pdva/studies/%s/reports" % self.study).json()
        self.assertEqual(listing["study"], self.study)
        self.assertEqual(sorted(e["series"] for e in listing["reports"]),
                         sorted([self.leg, self.foot]))
        for e in listing["reports"]:
            self.assertEqual(e["report"], "/pdva/series/%s/report" % e["series"])
            self.assertIn("analyzed_at", e)
            self.assertEqual(e["series_count"], 1)
        self.assertEqual(listing["running"], [])

    def test_t04_baseline_comparison(self):
        fu = STUDIES["followup"]
        base = self.orthanc.series_of_folder(os.path.join(fu, "baseline", "series-1-leg"))
        ctrl = self.orthanc.series_of_folder(os.path.join(fu, "control", "series-1-leg"))
        # a baseline without report is refused
        r = self.orthanc.post("/pdva/series/%s/analyze" % ctrl, {"baseline": base})
        self.assertIn("no pdva report", self.assert_json_error(r, 400))
        self.assertEqual(self.orthanc.wait_job(self.orthanc.analyze(base))["State"], "Success")
        job = self.orthanc.analyze(ctrl, {"wound_venosomes": ["dorsalis_pedis"],
                                          "baseline": base})
        self.assertEqual(self.orthanc.wait_job(job)["State"], "Success")
        report = self.orthanc.get("/pdva/series/%s/report" % ctrl).json()
        jsonschema.validate(report, schema())
        self.assertIsNotNone(report["comparison"])
        self.assertEqual(report["context"]["baseline_report"], "(given as text)")

    # -- hostile use ---------------------------------------------------------------------------

    def test_t10_unknown_ids_and_methods(self):
        o = self.orthanc
        for path in ("/pdva/series/%s/report" % UNKNOWN_ID, "/pdva/series/%s/summary" % UNKNOWN_ID,
                     "/pdva/series/not-an-id/report",
                     "/pdva/studies/%s/reports" % UNKNOWN_ID, "/pdva/studies/x/reports",
                     "/pdva/studies/%s/reports" % self.leg):
            self.assert_json_error(o.get(path), 404)
        self.assert_json_error(o.post("/pdva/series/%s/analyze" % UNKNOWN_ID, WOUND), 404)
        self.assert_json_error(o.post("/pdva/series/%s/analyze" % self.study, WOUND), 404)
        # an encoded path does not escape the route (Orthanc's own 404)
        self.assertEqual(o.get("/pdva/series/..%2F..%2Fetc/report").status, 404)
        self.assert_json_error(o.delete("/pdva/series/%s/report" % UNKNOWN_ID), 404)
        self.assertEqual(o.get("/pdva/series/%s/analyze" % self.leg).status, 405)
        self.assertEqual(o.post("/pdva/series/%s/report" % self.leg, b"").status, 405)
        self.assertEqual(o.post("/pdva/status", b"").status, 405)
        self.assert_alive()

    def test_t11_bad_bodies(self):
        o = self.orthanc
        url = "/pdva/series/%s/analyze" % self.leg
        bad = [b"{", b"[]", b"\"text\"", b"{\"wound_venosomes\": \"dorsalis_pedis\"}",
               b"{\"wound_venosomes\": [\"knee\"]}", b"{\"wound_venosomes\": [1]}",
               b"{\"wound\": [\"dorsalis_pedis\"]}", b"{\"baseline\": \"../../x\"}",
               b"{\"baseline\": 12}", b"{\"a\": 1, \"a\": 2}",
               b"\xff\xfe{}", b"[" * 20000 + b"]" * 20000,
               json.dumps({"wound_venosomes": ["dorsalis_pedis"] * 100}).encode()]
        for body in bad:
            self.assert_json_error(o.post(url, body), 400)
        # larger than the bound: refused before parsing
        huge = b"{\"wound_venosomes\": [" + b"\"dorsalis_pedis\"," * 300000 + b"\"x\"]}"
        self.assert_json_error(o.post(url, huge), 413)
        self.assert_json_error(o.post(url, b" " * (1 << 20)), 413)
        self.assert_alive()
        # nothing was queued by any of them
        self.assertEqual(o.get("/pdva/status").json()["queue"]["queued_or_running"], 0)

    def test_t12_malformed_uploads(self):
        o = self.orthanc
        for body in (b"", b"not DICOM at all", b"DICM" * 1000, os.urandom(70000)):
            r = o.post("/instances", body, content_type="application/dicom")
            self.assertIn(r.status, (400, 415), r.body)
        # a real file cut short: Orthanc may keep it; the analysis then fails or reports it,
        # without harm
        leg = os.path.join(STUDIES["combined"], "series-1-leg")
        name = sorted(os.listdir(leg))[0]
        with open(os.path.join(leg, name), "rb") as f:
            data = f.read()
        r = o.post("/instances", data[: len(data) // 3], content_type="application/dicom")
        if r.status == 200:
            series = r.json()["ParentSeries"]
            if series not in (self.leg, self.foot):
                job = o.analyze(series)
                self.assertIn(o.wait_job(job)["State"], ("Success", "Failure"))
                self.assertEqual(fx.work_entries(o), [])
        self.assert_alive()

    def test_t20_twenty_analyses_at_once(self):
        o = self.orthanc
        small = STUDIES["small"]
        series = [o.series_of_folder(os.path.join(small, d)) for d in sorted(os.listdir(small))
                  if d.startswith("series-")]
        rss_before = o.rss_kb()
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(
                lambda i: o.post("/pdva/series/%s/analyze" % series[i % len(series)], WOUND),
                range(20)))
        self.assertEqual([a.status for a in answers], [200] * 20,
                         [a.body for a in answers if a.status != 200])
        jobs = [a.json()["job"] for a in answers]
        self.assertEqual(len(set(jobs)), 20)
        # queued: at most WorkerThreads compute at once
        status = o.get("/pdva/status").json()["queue"]
        self.assertLessEqual(status["computing"], 2)
        self.assertGreater(status["queued_or_running"], 0)
        deadline = time.time() + 900
        states = {}
        while time.time() < deadline and len(states) < 20:
            self.t_sample_rss()
            for j in jobs:
                if j not in states:
                    info = o.get("/jobs/" + j).json()
                    if info["State"] in ("Success", "Failure"):
                        states[j] = info["State"]
            time.sleep(0.5)
        # a failed job's own account (Orthanc's error and the plugin's reason) in the message
        failed = {j: o.get("/jobs/" + j).json() for j, s in states.items() if s != "Success"}
        self.assertEqual(list(states.values()), ["Success"] * 20, (states, failed))
        self.assert_alive()
        self.assertEqual(fx.work_entries(o), [])
        self.assertEqual(o.get("/pdva/status").json()["queue"]["queued_or_running"], 0)
        # memory stays bounded: frames are streamed, reports freed after storing
        growth_mb = (o.rss_kb() - rss_before) / 1024.0
        self.assertLess(type(self).peak_rss_kb / 1024.0, 1500.0)
        self.assertLess(growth_mb, 300.0)

    def test_t21_cancel_mid_run(self):
        o = self.orthanc
        long = o.series_of_folder(os.path.join(STUDIES["long"], "series-1-leg"))
        job = o.analyze(long)
        deadline = time.time() + 120
        while time.time() < deadline:
            info = o.get("/jobs/" + job).json()
            if info["State"] == "Running" and info["Content"].get("State") == "analyzing":
                break
            self.assertNotIn(info["State"], ("Success", "Failure"), "finished before cancel")
            time.sleep(0.05)
        self.assertTrue(any(e.startswith("job-") for e in fx.work_entries(o)))
        self.assertEqual(o.post("/jobs/%s/cancel" % job, b"").status, 200)
        info = o.wait_job(job, timeout=60)
        self.assertEqual(info["State"], "Failure")
        self.assertEqual(info["ErrorCode"], 37, info)  # Orthanc's "This job was canceled" 
        self.assertEqual(fx.work_entries(o), [])
        self.assert_json_error(o.get("/pdva/series/%s/report" % long), 404)
        self.assertIn("cancelled", o.log_text())
        # the same job can be resubmitted and then completes
        self.assertEqual(o.post("/jobs/%s/resubmit" % job, b"").status, 200)
        self.assertEqual(o.wait_job(job)["State"], "Success")
        self.assertEqual(o.get("/pdva/series/%s/report" % long).status, 200)
        self.assertEqual(fx.work_entries(o), [])

    def test_t22_queue_limit(self):
        o = self.orthanc
        # fill the queue beyond Pdva.MaxQueuedJobs (40): the excess is refused with 503
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(
                lambda i: o.post("/pdva/series/%s/analyze" % self.foot, WOUND), range(48)))
        codes = [a.status for a in answers]
        self.assertEqual(codes.count(200) + codes.count(503), 48, codes)
        self.assertGreaterEqual(codes.count(503), 8 - 2)  # a couple may finish meanwhile
        for a in answers:
            if a.status == 503:
                self.assertIn("MaxQueuedJobs", a.json()["error"])
        for a in answers:
            if a.status == 200:
                o.post("/jobs/%s/cancel" % a.json()["job"], b"")
        for a in answers:
            if a.status == 200:
                o.wait_job(a.json()["job"], timeout=300)
        self.assertEqual(fx.work_entries(o), [])
        # jobs cancelled before they started are not counted as queued any more
        self.assertEqual(o.get("/pdva/status").json()["queue"]["queued_or_running"], 0)
        self.assertEqual(o.get("/pdva/series/%s/report" % self.foot).status, 200)
        self.assert_alive()

    def test_t30_deleting_a_series_removes_its_report(self):
        o = self.orthanc
        self.assertEqual(o.get("/pdva/series/%s/report" % self.foot).status, 200)
        self.assertTrue(os.path.exists(os.path.join(o.report_dir, self.foot + ".report.json")))
        self.assertEqual(o.delete("/series/" + self.foot).status, 200)
        deadline = time.time() + 30
        while time.time() < deadline and any(n.startswith(self.foot)
                                             for n in os.listdir(o.report_dir)):
            time.sleep(0.2)
        self.assertFalse(any(n.startswith(self.foot) for n in os.listdir(o.report_dir)))
        self.assert_json_error(o.get("/pdva/series/%s/report" % self.foot), 404)
        self.assert_alive()


class RestartAndStop(unittest.TestCase):
    """Reports survive a restart; Orthanc stopped or killed mid-job leaves no files behind."""

    def setUp(self):
        self.root = fx.fresh(os.path.join(ARGS.work, "restart-" + self._testMethodName))
        self.orthanc = fx.Orthanc(self.root, ARGS.plugin, 18102,
                                  {"Pdva": {"WorkerThreads": 1, "ThreadsPerAnalysis": 1}})
        self.orthanc.start()

    def tearDown(self):
        self.orthanc.stop()

    def start_long_job(self):
        long = self.orthanc.series_of_folder(os.path.join(STUDIES["long"], "series-1-leg"))
        job = self.orthanc.analyze(long)
        deadline = time.time() + 120
        while time.time() < deadline:
            info = self.orthanc.get("/jobs/" + job).json()
            if info["Content"].get("State") == "analyzing":
                return long, job
            time.sleep(0.05)
        self.fail("the job never started analyzing")

    def test_reports_survive_a_restart(self):
        o = self.orthanc
        series = o.series_of_folder(os.path.join(STUDIES["small"], "series-1-leg"))
        self.assertEqual(o.wait_job(o.analyze(series))["State"], "Success")
        before = o.get("/pdva/series/%s/report" % series).body
        summary = o.get("/pdva/series/%s/summary" % series).body
        o.stop()
        o.start()
        self.assertEqual(o.get("/pdva/series/%s/report" % series).body, before)
        self.assertEqual(o.get("/pdva/series/%s/summary" % series).body, summary)
        study = o.get("/series/" + series).json()["ParentStudy"]
        listing = o.get("/pdva/studies/%s/reports" % study).json()
        self.assertEqual([e["series"] for e in listing["reports"]], [series])

    def test_stopped_mid_job(self):
        o = self.orthanc
        series, job = self.start_long_job()
        seconds = o.stop(signal.SIGTERM, timeout=60)
        self.assertLess(seconds, 30)  # the analysis was cancelled, not waited for
        self.assertEqual(fx.work_entries(o), [])
        self.assertFalse(any(n.startswith(series) for n in os.listdir(o.report_dir)))
        o.start()
        self.assertEqual(o.get("/pdva/series/%s/report" % series).status, 404)
        self.assertEqual(fx.work_entries(o), [])

    def test_killed_mid_job_is_cleaned_at_start(self):
        o = self.orthanc
        series, job = self.start_long_job()
        orphans = fx.work_entries(o)
        self.assertEqual(len(orphans), 1)
        o.stop(signal.SIGKILL)
        self.assertEqual(fx.work_entries(o), orphans)  # left behind by the kill
        o.start()
        self.assertEqual(fx.work_entries(o), [])       # removed when the plugin started
        self.assertIn("left by analyses interrupted earlier", o.log_text())
        self.assertEqual(o.get("/pdva/series/%s/report" % series).status, 404)
        # the interrupted job is not resumed (not serializable); a new analysis works
        small = o.series_of_folder(os.path.join(STUDIES["small"], "series-2-foot"))
        self.assertEqual(o.wait_job(o.analyze(small))["State"], "Success")

    def test_reports_of_series_deleted_while_away_are_pruned(self):
        o = self.orthanc
        series = o.series_of_folder(os.path.join(STUDIES["small"], "series-2-foot"))
        self.assertEqual(o.wait_job(o.analyze(series))["State"], "Success")
        o.stop()
        # the same storage without the plugin: the series is deleted behind its back
        bare = fx.Orthanc(self.root, None, 18102, {})
        bare.start()
        self.assertEqual(bare.delete("/series/" + series).status, 200)
        bare.stop()
        o.start()
        deadline = time.time() + 20
        path = os.path.join(o.report_dir, series + ".report.json")
        while time.time() < deadline and os.path.exists(path):
            time.sleep(0.2)
        self.assertFalse(os.path.exists(path))


class Configuration(unittest.TestCase):
    def run_with(self, name, pdva_section, port):
        root = fx.fresh(os.path.join(ARGS.work, "config-" + name))
        o = fx.Orthanc(root, ARGS.plugin, port, {"Pdva": pdva_section})
        o.start()
        return o

    def test_bad_configuration_disables_the_plugin_not_orthanc(self):
        cases = [("threads", {"WorkerThreads": "two"}, "WorkerThreads"),
                 ("zero", {"WorkerThreads": 0}, "WorkerThreads"),
                 ("wound", {"WoundVenosomesDefault": ["knee"]}, "WoundVenosomesDefault"),
                 ("level", {"LogLevel": "loud"}, "LogLevel"),
                 ("same", {"WorkDirectory": "/tmp/pdva-x", "ReportDirectory": "/tmp/pdva-x"},
                  "separate"),
                 ("off", {"Enable": False}, "Enable")]
        for i, (name, section, word) in enumerate(cases):
            o = self.run_with(name, section, 18110 + i)
            try:
                r = o.get("/pdva/status")
                self.assertEqual(r.status, 503, name)
                self.assertIn(word, r.json()["error"])
                self.assertEqual(o.get("/system").status, 200)
                self.assertEqual(o.post("/pdva/series/%s/analyze" % UNKNOWN_ID, WOUND).status,
                                 503)
                self.assertIn("DISABLED", o.log_text())
            finally:
                o.stop()

    def test_unwritable_work_directory_disables(self):
        root = fx.fresh(os.path.join(ARGS.work, "config-unwritable"))
        blocker = os.path.join(root, "file")
        with open(blocker, "w") as f:
            f.write("x")
        o = fx.Orthanc(root, ARGS.plugin, 18120, {"Pdva": {"WorkDirectory": blocker + "/w"}})
        o.start()
        try:
            self.assertIn("WorkDirectory", o.get("/pdva/status").json()["error"])
        finally:
            o.stop()

    def test_automatic_analysis_of_stable_series(self):
        root = fx.fresh(os.path.join(ARGS.work, "config-auto"))
        o = fx.Orthanc(root, ARGS.plugin, 18121,
                       {"StableAge": 1, "Pdva": {"AutoAnalyze": True, "ThreadsPerAnalysis": 1,
                                                 "WoundVenosomesDefault": ["lateral_plantar"]}})
        o.start()
        try:
            series = o.series_of_folder(os.path.join(STUDIES["small"], "series-2-foot"))
            deadline = time.time() + 240
            while time.time() < deadline:
                r = o.get("/pdva/series/%s/report" % series)
                if r.status == 200:
                    break
                time.sleep(0.5)
            self.assertEqual(r.status, 200, o.log_tail())
            self.assertEqual(r.json()["context"]["wound_venosomes"], ["lateral_plantar"])
            meta = o.get("/pdva/studies/%s/reports" % o.get("/series/" + series).json()[
                "ParentStudy"]).json()["reports"][0]
            self.assertTrue(meta["automatic"])
            # a non-angiographic series is left alone
            ct = os.path.join(ARGS.samples, "pydicom_CT_small.dcm")
            if os.path.exists(ct):
                with open(ct, "rb") as f:
                    ct_series = o.post("/instances", f.read(),
                                       content_type="application/dicom").json()["ParentSeries"]
                time.sleep(4)
                self.assertEqual(o.get("/pdva/series/%s/report" % ct_series).status, 404)
        finally:
            o.stop()


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for name in ("plugin", "pdva", "phantom", "schema", "work", "samples"):
        parser.add_argument("--" + name, required=True)
    ARGS, rest = parser.parse_known_args()
    for name in ("plugin", "pdva", "phantom", "schema", "work", "samples"):
        setattr(ARGS, name, os.path.abspath(getattr(ARGS, name)))
    fx.enter_private_network()
    os.makedirs(os.path.join(ARGS.work, "studies"), exist_ok=True)
    STUDIES["combined"] = generate("combined-2", "combined", 2, 256, 24)
    STUDIES["small"] = generate("combined-4", "combined", 4, 160, 16)
    STUDIES["followup"] = generate("followup-3", "followup-pair", 3, 160, 16)
    # long enough (about 4-5 s of analysis) that a cancel or a stop lands mid-analysis: the
    # analysis got faster, and a 512^2 x 60 run could finish before the cancel arrived
    STUDIES["long"] = generate("long-5-1024x120", "combined", 5, 1024, 120, ["--runs", "leg"])
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
