#!/usr/bin/python3
# installed_orthanc.py — Debian's Orthanc with the INSTALLED orthanc-pdva package: a
# configuration folder like Debian's (a test file with port and storage, plus the installed
# /etc/orthanc/pdva.json), plugins loaded from the folder /usr/share/orthanc/plugins/ as in
# /etc/orthanc/orthanc.json; on 127.0.0.1 only (private network namespace). Checks that the
# plugin is loaded from there, answers on /pdva, and analyzes a series.
#
#   installed_orthanc.py WORK_DIR SERIES_FOLDER
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "orthanc"))
import orthanc_fixture as fx  # noqa: E402


def main():
    work, series_folder = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    fx.enter_private_network()
    o = fx.Orthanc(fx.fresh(work), "/usr/share/orthanc/plugins/", 18140, {},
                   extra_files=["/etc/orthanc/pdva.json"])
    o.start()
    try:
        plugins = o.get("/plugins").json()
        assert "pdva" in plugins, plugins
        info = o.get("/plugins/pdva").json()
        assert info["Version"], info
        status = o.get("/pdva/status")
        assert status.status == 200, status.body
        doc = status.json()
        assert doc["settings"]["WorkerThreads"] == 1, doc  # from the installed pdva.json
        log = o.log_text()
        assert "/usr/share/orthanc/plugins" in log and "libOrthancPdva.so" in log, "not loaded"
        series = o.series_of_folder(series_folder)
        job = o.analyze(series)
        state = o.wait_job(job)["State"]
        assert state == "Success", o.log_tail()
        report = o.get("/pdva/series/%s/report" % series).json()
        assert report["schema"] == "pdva-report/1"
        print("installed plugin %s answered, analysis %s" % (doc["version"], state))
    finally:
        o.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
