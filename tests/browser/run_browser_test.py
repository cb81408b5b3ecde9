#!/usr/bin/python3
# run_browser_test.py — the Orthanc Explorer integration in a real browser: installs
# playwright-core with `npm ci` (outside the network namespace: it needs the npm registry), then,
# inside a private network namespace, starts a real Orthanc with the plugin on 127.0.0.1,
# uploads a generated study and runs browser_test.mjs in Debian's headless Chromium against it.
# Screenshots land in the work folder.
#
#   run_browser_test.py --plugin LIB --phantom PATH --work DIR
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import filecmp
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "orthanc"))
import orthanc_fixture as fx  # noqa: E402

SKIP = 77


def install_node_modules(work):
    """npm ci into work/node, unless the same lock file is already installed there."""
    node_dir = os.path.join(work, "node")
    os.makedirs(node_dir, exist_ok=True)
    lock = os.path.join(HERE, "package-lock.json")
    installed = os.path.join(node_dir, "node_modules", ".package-lock.json")
    copied = os.path.join(node_dir, "package-lock.json")
    if os.path.exists(installed) and os.path.exists(copied) and filecmp.cmp(lock, copied, False):
        return node_dir
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, name), node_dir)
    r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                       cwd=node_dir, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        raise SystemExit("npm ci failed (is the npm registry reachable?)")
    return node_dir


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
    for tool in ("/usr/bin/chromium", "/usr/bin/node"):
        if not os.path.exists(tool):
            print("SKIP: %s is not installed (scripts/install-deps.sh)" % tool)
            return SKIP
    os.makedirs(ARGS.work, exist_ok=True)
    if os.environ.get(fx.NETNS_MARK) != "1":
        install_node_modules(ARGS.work)
    fx.enter_private_network()
    node_dir = os.path.join(ARGS.work, "node")

    small = generate(ARGS.work, "study-small", ["--scenario", "combined", "--seed", "6",
                                                "--size", "256", "--frames", "24"])
    long = generate(ARGS.work, "study-long", ["--scenario", "combined", "--seed", "5",
                                              "--size", "512", "--frames", "60"])
    shots = fx.fresh(os.path.join(ARGS.work, "screenshots"))
    profile = fx.fresh(os.path.join(ARGS.work, "chromium-profile"))
    orthanc = fx.Orthanc(fx.fresh(os.path.join(ARGS.work, "orthanc")), ARGS.plugin, 18130,
                         {"Pdva": {"ThreadsPerAnalysis": 1}})
    orthanc.start()
    try:
        series = orthanc.series_of_folder(os.path.join(small, "series-1-leg"))
        long_series = orthanc.series_of_folder(os.path.join(long, "series-1-leg"))
        env = dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules"),
                   HOME=profile, PLAYWRIGHT_BROWSERS_PATH="0")
        # the script imports playwright-core from node_dir: run it from there
        script = os.path.join(node_dir, "browser_test.mjs")
        shutil.copy(os.path.join(HERE, "browser_test.mjs"), script)
        r = subprocess.run(["node", script, "--base", orthanc.base, "--series", series,
                            "--long-series", long_series, "--shots", shots,
                            "--profile", profile], cwd=node_dir, env=env, timeout=900)
        if r.returncode != 0:
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
