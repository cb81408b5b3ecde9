#!/usr/bin/python3
# bench_plugin.py — throughput of the Orthanc plugin: analyses per minute through Orthanc's REST
# API with Pdva.WorkerThreads 1 and 2, on a few generated studies, against `pdva analyze` on the
# same series files (the runner, one series after the other, all cores). Prints a table.
#
# Every series is analyzed once per round; the plugin's time runs from the first POST
# /pdva/series/{id}/analyze to the last job's success (export from Orthanc, analysis, storing the
# report), the runner's is the sum of its runs. Orthanc runs on 127.0.0.1 in a private network
# namespace (as in tests/orthanc), with a fresh storage folder per configuration.
#
#   bench_plugin.py --plugin LIB --pdva RUNNER --phantom PHANTOM --work DIR
#                   [--studies 3] [--size 512] [--rounds 2] [--workers 1,2]
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "orthanc"))
import orthanc_fixture as fx  # noqa: E402


def generate(args):
    folders = []
    for i in range(args.studies):
        out = os.path.join(args.work, "studies", "combined-%d-%d" % (11 + i, args.size))
        if not os.path.isdir(out):
            subprocess.run([args.phantom, "--scenario", "combined", "--seed", str(11 + i),
                            "--out", out, "--size", str(args.size), "--no-preview"], check=True,
                           capture_output=True)
        folders += sorted(os.path.join(out, d) for d in os.listdir(out)
                          if d.startswith("series-"))
    return folders


def runner_round(args, series_folders):
    t0 = time.monotonic()
    for folder in series_folders:
        subprocess.run([args.pdva, "analyze", "--json", "-q", "--wound", "dorsalis_pedis",
                        folder], check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t0


def plugin_rounds(args, series_folders, workers, port):
    root = fx.fresh(os.path.join(args.work, "orthanc-w%d" % workers))
    o = fx.Orthanc(root, args.plugin, port, {"ConcurrentJobs": max(2, workers),
                                             "Pdva": {"WorkerThreads": workers,
                                                      "MaxQueuedJobs": 1000}})
    o.start()
    try:
        ids = [o.series_of_folder(f) for f in series_folders]
        times, peak_rss = [], 0
        for _ in range(args.rounds):
            t0 = time.monotonic()
            jobs = [o.analyze(s) for s in ids]
            pending = set(jobs)
            while pending:
                peak_rss = max(peak_rss, o.rss_kb())
                for j in list(pending):
                    info = o.get("/jobs/" + j).json()
                    if info["State"] == "Success":
                        pending.discard(j)
                    elif info["State"] == "Failure":
                        raise RuntimeError("job %s failed: %s" % (j, info["Content"]))
                time.sleep(0.05)
            times.append(time.monotonic() - t0)
        return times, peak_rss
    finally:
        o.stop()


def main():
    parser = argparse.ArgumentParser()
    for name in ("plugin", "pdva", "phantom", "work"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--studies", type=int, default=3)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    for name in ("plugin", "pdva", "phantom", "work"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    fx.enter_private_network()
    os.makedirs(args.work, exist_ok=True)
    series = generate(args)
    n = len(series)
    cores = os.cpu_count() or 1
    print("pdva plugin benchmark: %d series from %d studies (%dx%d), %d round(s), %d cores"
          % (n, args.studies, args.size, args.size, args.rounds, cores), flush=True)

    runner_times = [runner_round(args, series) for _ in range(args.rounds)]
    runner_s = statistics.median(runner_times)
    rows = [("pdva analyze (runner)", "-", runner_s, n / runner_s * 60.0, 1.0, None)]
    for k, w in enumerate(int(x) for x in args.workers.split(",")):
        times, rss = plugin_rounds(args, series, w, 18150 + k)
        t = statistics.median(times)
        rows.append(("Orthanc REST, WorkerThreads %d" % w, str(max(1, cores // w)), t,
                     n / t * 60.0, t / runner_s, rss))

    print()
    print("%-34s %8s %10s %14s %16s %12s" % ("configuration", "thr/ana", "wall (s)",
                                            "analyses/min", "time vs runner", "Orthanc RSS"))
    for name, threads, t, per_min, ratio, rss in rows:
        print("%-34s %8s %10.1f %14.1f %15.2fx %12s" % (
            name, threads, t, per_min, ratio, "-" if rss is None else "%d MB" % (rss // 1024)))
    print()
    print("time vs runner: wall time of the same %d analyses relative to `pdva analyze` run on the"
          " series files one after the other (1.00x = no overhead)." % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
