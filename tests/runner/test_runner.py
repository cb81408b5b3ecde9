#!/usr/bin/python3
# test_runner.py — the `pdva` command-line runner: help and version, every documented exit code
# (0 report, 1 failure, 2 usage, 3 nothing analyzable, 4 interrupted), the report it writes
# (schema-valid, where it should be and never inside the study unless asked), --json on stdout,
# --context and --baseline, progress as lines in a log and as a bar on a terminal, SIGINT
# cancelling cleanly, and that it runs on the shared library libpdva.so.1.
#
#   test_runner.py --pdva PATH --phantom PATH --schema FILE --samples DIR --work DIR
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
import unittest

import jsonschema

ARGS = None
STUDY = None      # a small generated study (both runs), with context.json
FOLLOWUP = None   # a follow-up pair: baseline/ and control/


def run(args, cwd=None, timeout=600):
    return subprocess.run([ARGS.pdva] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def generate(out, scenario, seed):
    if not os.path.isdir(out):
        subprocess.run([ARGS.phantom, "--scenario", scenario, "--seed", str(seed), "--out", out,
                        "--size", "160", "--frames", "16", "--no-preview"], check=True,
                       capture_output=True)
    return out


def schema():
    with open(ARGS.schema) as f:
        return json.load(f)


def referenced_files(doc):
    """Relative paths of output files a report names ("file" members)."""
    found = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "file" and isinstance(v, str):
                found.append(v)
            else:
                found += referenced_files(v)
    elif isinstance(doc, list):
        for v in doc:
            found += referenced_files(v)
    return found


def fresh_dir(name):
    path = os.path.join(ARGS.work, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


class HelpAndUsage(unittest.TestCase):
    def test_help_lists_usage_exit_codes_and_examples(self):
        for flag in ("--help", "-h", "help"):
            r = run([flag])
            self.assertEqual(r.returncode, 0, r.stderr)
            for text in ("Usage: pdva analyze", "--wound", "--baseline", "--out", "--json",
                         "--context", "--threads", "--quiet", "Exit status:", "  4  cancelled",
                         "Examples:", "dorsalis_pedis", "anterior_perforating"):
                self.assertIn(text, r.stdout)
        r = run(["analyze", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("Exit status:", r.stdout)

    def test_version_names_the_loaded_library(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^pdva \d+\.\d+\.\d+ \(library \d+\.\d+\.\d+\)")
        self.assertIn("GPL-3.0-or-later", r.stdout)

    def test_usage_errors_exit_2(self):
        cases = [
            [],
            ["frobnicate"],
            ["analyze"],
            ["analyze", "--wound"],
            ["analyze", "--wound", "big_toe", STUDY],
            ["analyze", "--threads", "-1", STUDY],
            ["analyze", "--threads", "many", STUDY],
            ["analyze", "--log-level", "loud", STUDY],
            ["analyze", "--bogus", STUDY],
            ["analyze", os.path.join(ARGS.work, "does-not-exist")],
            ["analyze", "--baseline", os.path.join(ARGS.work, "no-report.json"), STUDY],
            ["analyze", "--context", os.path.join(ARGS.work, "no-context.json"), STUDY],
            ["analyze", ""],
        ]
        for args in cases:
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("pdva") or r.stderr.startswith("Usage"),
                            (args, r.stderr))
            self.assertEqual(r.stdout, "", args)

    def test_bad_context_file_exits_2(self):
        d = fresh_dir("bad-context")
        for name, text in (("notjson.json", "{"), ("array.json", "[]"),
                           ("badwound.json", '{"wound_venosomes": ["knee"]}'),
                           ("nobaseline.json", '{"baseline_report": "missing/report.json"}')):
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            r = run(["analyze", "--context", path, "--out", d, STUDY])
            self.assertEqual(r.returncode, 2, (name, r.stderr))
            self.assertIn(name, r.stderr)


class Analyze(unittest.TestCase):
    def test_report_in_given_folder_is_valid_and_summarized(self):
        out = os.path.join(fresh_dir("given"), "deep", "er")
        r = run(["analyze", "--wound", "dorsalis_pedis,medial_plantar", "--out", out, STUDY])
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(out, "report.json")
        with open(path) as f:
            report = json.load(f)
        jsonschema.validate(report, schema())
        self.assertEqual(report["context"]["wound_venosomes"],
                         ["dorsalis_pedis", "medial_plantar"])
        self.assertEqual(len(report["series"]), 2)
        self.assertTrue(all(s["status"] == "analyzed" for s in report["series"]))
        # the other outputs the report names (parametric maps) are beside it
        for name in referenced_files(report):
            self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
        self.assertFalse([n for n in os.listdir(out) if n.startswith(".pdva-partial")])
        # the summary and where the report went, on stdout
        self.assertIn("Wound venosome", r.stdout)
        self.assertIn("2 series, 2 analyzed", r.stdout)
        self.assertIn("Report: " + path, r.stdout)
        # progress on stderr as lines (not a terminal)
        self.assertRegex(r.stderr, r"pdva: +\d+% subtraction")
        self.assertNotIn("\r", r.stderr)

    def test_default_folder_is_named_after_the_study_and_never_reused(self):
        cwd = fresh_dir("default-out")
        r1 = run(["analyze", "-q", STUDY], cwd=cwd)
        self.assertEqual(r1.returncode, 0, r1.stderr)
        self.assertEqual(r1.stdout, "")
        self.assertEqual(r1.stderr, "")
        made = sorted(os.listdir(cwd))
        self.assertEqual(len(made), 1)
        self.assertRegex(made[0], r"^pdva-report-[0-9.]+$")
        with open(os.path.join(cwd, made[0], "report.json")) as f:
            uid = json.load(f)["study"]["study_instance_uid"]
        self.assertEqual(made[0], "pdva-report-" + uid)
        r2 = run(["analyze", "-q", STUDY], cwd=cwd)
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertEqual(sorted(os.listdir(cwd)), sorted([made[0], made[0] + "-2"]))
        # nothing was written into the study
        self.assertFalse(any(n.startswith("pdva-report") for n in os.listdir(STUDY)))

    def test_refuses_to_write_inside_the_input_without_out(self):
        inside = os.path.join(STUDY, "series-1-leg")
        before = sorted(os.listdir(inside))
        r = run(["analyze", "."], cwd=inside)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--out", r.stderr)
        self.assertEqual(sorted(os.listdir(inside)), before)
        # --json alone writes no file, so it is fine there
        r = run(["analyze", "--json", "-q", "."], cwd=inside)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(inside)), before)

    def test_json_on_stdout_equals_the_file(self):
        out = fresh_dir("json")
        r = run(["analyze", "--json", "--out", out, "--threads", "1", STUDY])
        self.assertEqual(r.returncode, 0, r.stderr)
        printed = json.loads(r.stdout)
        with open(os.path.join(out, "report.json")) as f:
            self.assertEqual(printed, json.load(f))
        jsonschema.validate(printed, schema())
        # the human text went to stderr
        self.assertIn("Report: ", r.stderr)
        self.assertIn("series, ", r.stderr)

    def test_context_gives_wound_and_flags_win(self):
        out = fresh_dir("context")
        with open(os.path.join(STUDY, "context.json")) as f:
            wounds = json.load(f)["wound_venosomes"]
        r = run(["analyze", "-q", "--json", "--context", os.path.join(STUDY, "context.json"),
                 STUDY])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["context"]["wound_venosomes"], wounds)
        r = run(["analyze", "-q", "--json", "--wound", "lateral_calcaneal", "--context",
                 os.path.join(STUDY, "context.json"), "--out", out, STUDY])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["context"]["wound_venosomes"],
                         ["lateral_calcaneal"])

    def test_followup_with_baseline_from_context(self):
        base, control = os.path.join(FOLLOWUP, "baseline"), os.path.join(FOLLOWUP, "control")
        ctx = os.path.join(control, "context.json")
        # the context names ../baseline/report.json: missing until the baseline is analyzed
        if os.path.exists(os.path.join(base, "report.json")):
            os.remove(os.path.join(base, "report.json"))
        r = run(["analyze", "-q", "--context", ctx, "--out", fresh_dir("fu-missing"), control])
        self.assertEqual(r.returncode, 2)
        self.assertIn("baseline", r.stderr)
        r = run(["analyze", "-q", "--context", os.path.join(base, "context.json"), "--out", base,
                 base])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = fresh_dir("fu")
        r = run(["analyze", "-q", "--context", ctx, "--out", out, control])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        jsonschema.validate(report, schema())
        self.assertIsNotNone(report["comparison"])
        self.assertIsNotNone(report["context"]["baseline_report"])

    def test_malformed_baseline_fails_with_1(self):
        bad = os.path.join(fresh_dir("bad-baseline"), "report.json")
        with open(bad, "w") as f:
            f.write('{"schema": "something-else"}')
        r = run(["analyze", "-q", "--baseline", bad, "--out", os.path.dirname(bad), STUDY])
        self.assertEqual(r.returncode, 1)
        self.assertIn("baseline", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(bad), "report.json.tmp")))

    def test_nothing_analyzable_exits_3(self):
        empty = fresh_dir("no-dicom")
        with open(os.path.join(empty, "notes.txt"), "w") as f:
            f.write("not DICOM\n")
        r = run(["analyze", "--out", fresh_dir("no-dicom-out"), empty])
        self.assertEqual(r.returncode, 3)
        self.assertIn("DICOM", r.stderr)
        # a CT slice: read, but not angiographic; the report says why
        ct = os.path.join(ARGS.samples, "pydicom_CT_small.dcm")
        if os.path.exists(ct):
            out = fresh_dir("ct-out")
            r = run(["analyze", "--out", out, ct])
            self.assertEqual(r.returncode, 3, r.stderr)
            with open(os.path.join(out, "report.json")) as f:
                report = json.load(f)
            self.assertEqual(report["series"][0]["status"], "not_applicable")
            self.assertIn("no series could be analyzed", r.stderr)

    def test_unwritable_output_fails_with_1(self):
        blocker = os.path.join(fresh_dir("blocked"), "file")
        with open(blocker, "w") as f:
            f.write("x")
        r = run(["analyze", "-q", "--out", os.path.join(blocker, "sub"), STUDY])
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot create", r.stderr)

    def test_sigint_cancels_cleanly_with_4(self):
        out = fresh_dir("sigint")
        p = subprocess.Popen([ARGS.pdva, "analyze", "--threads", "1", "--out", out, STUDY],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # wait for the analysis proper to start (first progress line), then interrupt
        line = p.stderr.readline()
        self.assertIn("%", line)
        p.send_signal(signal.SIGINT)
        # read through the same buffered reader (communicate() would skip what it holds)
        stderr = line + p.stderr.read()
        p.wait(timeout=300)
        self.assertEqual(p.returncode, 4, stderr)
        self.assertIn("interrupted", stderr)
        self.assertIn("cancelled", stderr)
        self.assertEqual(os.listdir(out), [])  # not even the staging folder

    def test_progress_bar_on_a_terminal(self):
        out = fresh_dir("tty")
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(ARGS.pdva, [ARGS.pdva, "analyze", "--out", out, STUDY])
        chunks = []
        deadline = time.time() + 600
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        _, status = os.waitpid(pid, 0)
        text = b"".join(chunks).decode("utf-8", "replace")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, text[-2000:])
        self.assertIn("\r[", text)          # the bar, redrawn in place
        self.assertIn("\x1b[K", text)       # and cleared before the summary
        self.assertRegex(text, r"\[#+\.*\] +\d+%")
        self.assertIn("Report: ", text)

    def test_uses_the_shared_library(self):
        r = subprocess.run(["readelf", "-d", ARGS.pdva], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("[libpdva.so.1]", r.stdout)
        # nothing of the analyzer is linked in statically
        syms = subprocess.run(["nm", ARGS.pdva], capture_output=True, text=True).stdout
        for internal in ("pdva_analyze_series", "pdva_study_scan", "pdva_dicom_global_init"):
            self.assertNotIn(internal, syms)
        self.assertIn("U pdva_analyze", syms)


def main():
    global ARGS, STUDY, FOLLOWUP
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdva", required=True)
    parser.add_argument("--phantom", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--work", required=True)
    ARGS, rest = parser.parse_known_args()
    for name in ("pdva", "phantom", "schema", "samples", "work"):
        setattr(ARGS, name, os.path.abspath(getattr(ARGS, name)))
    os.makedirs(ARGS.work, exist_ok=True)
    STUDY = generate(os.path.join(ARGS.work, "study-combined-2"), "combined", 2)
    FOLLOWUP = generate(os.path.join(ARGS.work, "study-followup-3"), "followup-pair", 3)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
