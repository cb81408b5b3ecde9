#!/usr/bin/python3
# run_browser_test.py — the Orthanc Explorer integration in a real browser: inside a private
# network namespace, starts a real Orthanc with the plugin on 127.0.0.1, uploads a generated
# study and runs browser_test.py, which drives Debian's headless Chromium over the DevTools
# protocol (cdp.py, with Debian's python3-websocket; nothing from npm). Screenshots land in the
# work folder.
#
#   run_browser_test.py --plugin LIB --phantom PATH --work DIR
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import os
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "orthanc"))
sys.path.insert(0, HERE)
import orthanc_fixture as fx  # noqa: E402

SKIP = 77


def generate(work, name, extra):
    out = os.path.join(work, name)
    if not os.path.isdir(out):
        subprocess.run([ARGS.phantom, "--out", out, "--no-preview"] + extra, check=True,
                       capture_output=True)
    return out


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for name in ("plugin", "phantom", "work"):
        parser.add_argument("--" + name, required=True)
    ARGS = parser.parse_args()
    for name in ("plugin", "phantom", "work"):
        setattr(ARGS, name, os.path.abspath(getattr(ARGS, name)))
    if not os.path.exists("/usr/bin/chromium"):
        print("SKIP: /usr/bin/chromium is not installed (scripts/install-deps.sh)")
        return SKIP
    try:
        import browser_test
    except ImportError as e:  # python3-websocket missing
        print("SKIP: %s (scripts/install-deps.sh installs python3-websocket)" % e)
        return SKIP
    os.makedirs(ARGS.work, exist_ok=True)
    fx.enter_private_network()

    small = generate(ARGS.work, "study-small", ["--scenario", "combined", "--seed", "6",
                                                "--size", "256", "--frames", "24"])
    # long enough (about 5 s on one thread) that the panel, polling once a second, shows it
    # running and its cancel lands mid-analysis
    long = generate(ARGS.work, "study-long-1024x120", ["--scenario", "combined", "--seed", "5",
                                              "--size", "1024", "--frames", "120",
                                              "--runs", "leg"])
    shots = fx.fresh(os.path.join(ARGS.work, "screenshots"))
    chromium_log = os.path.join(ARGS.work, "chromium.log")
    orthanc = fx.Orthanc(fx.fresh(os.path.join(ARGS.work, "orthanc")), ARGS.plugin, 18130,
                         {"Pdva": {"ThreadsPerAnalysis": 1}})
    orthanc.start()
    try:
        series = orthanc.series_of_folder(os.path.join(small, "series-1-leg"))
        long_series = orthanc.series_of_folder(os.path.join(long, "series-1-leg"))
        try:
            browser_test.run(orthanc.base, series, long_series, shots, chromium_log)
        except Exception:  # noqa: BLE001 - a failed check or a browser that misbehaved
            traceback.print_exc()
            print("--- Chromium log (%s), last lines:" % chromium_log)
            try:
                with open(chromium_log, errors="replace") as f:
                    print("".join(f.readlines()[-20:]))
            except OSError:
                pass
            print("--- Orthanc log, last lines:")
            print(orthanc.log_tail(40))
            return 1
        for name in ("explorer-before.png", "explorer-form.png", "explorer-summary.png",
                     "report.png", "explorer-running.png", "explorer-cancelled.png"):
            if os.path.getsize(os.path.join(shots, name)) < 10000:
                print("screenshot %s looks empty" % name)
                return 1
        if fx.work_entries(orthanc):
            print("work folder not empty: %s" % fx.work_entries(orthanc))
            return 1
    finally:
        orthanc.stop()
    print("PASS: Orthanc Explorer path in Chromium; screenshots in " + shots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
