#!/usr/bin/python3
# browser_test.py — the radiologist's path in Orthanc Explorer, in Debian's headless Chromium
# driven over the DevTools protocol (cdp.py): open a series page, "Analyze p-DVA", choose the
# wound venosome, follow the job, read the summary, open the report; cancel an analysis from the
# panel; and the panel shows hostile server text as text (no HTML injection). Screenshots go to
# --shots. run_browser_test.py calls run(); by hand, against a running Orthanc:
#
#   browser_test.py --base URL --series ID --long-series ID --shots DIR
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

STATUS = "document.querySelector('#pdva-status').textContent"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def check_equal(actual, expected, what):
    check(actual == expected, "%s: expected %r, got %r" % (what, expected, actual))


def check_match(text, pattern, what):
    check(isinstance(text, str) and re.search(pattern, text),
          "%s: %r does not match /%s/" % (what, text, pattern))


def run(base, series, long_series, shots, chromium_log=None):
    def series_url(ident):
        return "%s/app/explorer.html#series?uuid=%s" % (base, ident)

    def open_series(page, ident):
        # a fresh document: jQuery Mobile ignores a hash change to the page already shown
        page.goto("about:blank")
        page.goto(series_url(ident))
        page.wait_visible("#pdva-analyze", timeout=30)
        # the panel asks the plugin whether there is a report already
        page.wait_for("%s.length > 0" % STATUS, timeout=30, what="a status in the panel")

    def shot(p, name, full_page=False):
        p.screenshot(os.path.join(shots, name), full_page=full_page)

    errors = []
    with cdp.Browser(viewport=(1280, 900), log_path=chromium_log) as browser:
        page = browser.first_page()
        # Playwright's 'pageerror'
        page.on("Runtime.exceptionThrown", lambda p: errors.append(
            p["exceptionDetails"].get("exception", {}).get("description")
            or p["exceptionDetails"].get("text")))

        # Playwright's 'console' messages of type error: console.error() and the browser's own
        # log entries. HTTP 404/400 answers the panel expects show up as "Failed to load
        # resource" errors: only script errors count.
        def console_api(p):
            if p.get("type") == "error":
                errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                       for a in p.get("args", [])))

        def log_entry(p):
            e = p["entry"]
            if e.get("level") == "error" and e.get("source") != "worker" \
                    and not e.get("text", "").startswith("Failed to load resource"):
                errors.append(e.get("text"))

        page.on("Runtime.consoleAPICalled", console_api)
        page.on("Log.entryAdded", log_entry)

        # 1. a series never analyzed
        open_series(page, series)
        check_equal(page.text_content("#pdva-status"), "Not analyzed yet.", "status")
        check_equal(page.is_visible("#pdva-result"), False, "result visible")
        shot(page, "explorer-before.png")

        # 2. Analyze p-DVA: choose the venosome, start
        page.click("#pdva-analyze")
        page.wait_visible("#pdva-venosome")
        options = page.eval_all(
            "#pdva-venosome option",
            "function (os) { return os.map(function (o) { return o.value; }); }")
        check_equal(options, ["dorsalis_pedis", "medial_plantar", "lateral_plantar",
                              "medial_calcaneal", "lateral_calcaneal", "anterior_perforating"],
                    "venosome options")
        page.select_option("#pdva-venosome", "medial_plantar")
        shot(page, "explorer-form.png")
        page.click("#pdva-start")

        # 3. status while the job runs, then the summary and the link
        page.wait_for("/Analysis|Starting/.test(%s)" % STATUS, timeout=30,
                      what="the running status")
        page.wait_visible("#pdva-result", timeout=300)
        check_equal(page.text_content("#pdva-status"), "Analysis complete.", "status")
        summary = page.text_content("#pdva-summary")
        check_match(summary, r"Wound venosome: medial_plantar", "summary")
        check_match(summary, r"Series 1", "summary")
        shot(page, "explorer-summary.png", full_page=True)

        # 4. follow the report link
        href = page.get_attribute("#pdva-report-link", "href")
        check_equal(href, "../pdva/series/%s/report" % urllib.parse.quote(series, safe="!*'()"),
                    "report link")
        report_url = page.evaluate("new URL(%s, location.href).toString()" % json.dumps(href))
        report_page = browser.new_page()
        response = report_page.goto(report_url)
        check(response is not None, "no response for " + report_url)
        check_equal(response["status"], 200, "report HTTP status")
        check_match(response["headers"].get("content-type"), r"application/json",
                    "report content type")
        report = json.loads(report_page.response_body(response))
        check_equal(report.get("schema"), "pdva-report/1", "report schema")
        check_equal(report.get("context", {}).get("wound_venosomes"), ["medial_plantar"],
                    "report wound venosomes")
        shot(report_page, "report.png")
        report_page.close()

        # 5. coming back later: the report is there at once
        open_series(page, series)
        page.wait_visible("#pdva-result", timeout=30)
        check_match(page.text_content("#pdva-summary"), r"medial_plantar", "summary")

        # 6. cancel a running analysis from the panel
        open_series(page, long_series)
        page.click("#pdva-analyze")
        page.select_option("#pdva-venosome", "dorsalis_pedis")
        page.click("#pdva-start")
        page.wait_visible("#pdva-cancel", timeout=30)
        page.wait_for("/analyzing/.test(%s)" % STATUS, timeout=60, what="'analyzing'")
        shot(page, "explorer-running.png")
        page.click("#pdva-cancel")
        page.wait_for("%s === 'Analysis cancelled.'" % STATUS, timeout=60,
                      what="'Analysis cancelled.'")
        check_equal(page.is_visible("#pdva-result"), False, "result visible")
        shot(page, "explorer-cancelled.png")

        # 7. hostile server text stays text
        hostile = ('<img id="pdva-injected" src="x" onerror="window.__pdvaXss=1">'
                   'Series 1 <b>bold</b>')
        page.route("**/pdva/series/*/summary*", lambda request: {
            "status": 200, "content_type": "text/plain", "body": hostile})
        open_series(page, series)
        page.wait_visible("#pdva-result", timeout=30)
        check_equal(page.text_content("#pdva-summary"), hostile, "summary")
        check_equal(page.exists("#pdva-injected"), False, "injected <img> exists")
        check_equal(page.eval_all("#pdva-summary *", "function (els) { return els.length; }"),
                    0, "elements in the summary")
        page.unroute("**/pdva/series/*/summary*")
        page.route("**/pdva/series/*/analyze", lambda request: {
            "status": 400, "content_type": "application/json",
            "body": json.dumps({"error": '<b id="pdva-injected-2">bad</b>', "status": 400})})
        page.click("#pdva-analyze")
        page.click("#pdva-start")
        page.wait_for("/could not start/.test(%s)" % STATUS, timeout=30,
                      what="'could not start'")
        check_equal(page.exists("#pdva-injected-2"), False, "injected <b> exists")
        check_match(page.text_content("#pdva-status"), r'<b id="pdva-injected-2">bad</b>',
                    "status")
        check(page.evaluate("window.__pdvaXss") is cdp.UNDEFINED,
              "window.__pdvaXss was set: the hostile <img> ran")

        check_equal(browser.async_errors, [], "DevTools protocol errors")
        check_equal(page.dialogs, [], "dialogs the page opened")
        check_equal(errors, [], "JavaScript errors on the page")
    print("browser test: all steps passed")


def main():
    parser = argparse.ArgumentParser()
    for name in ("base", "series", "long-series", "shots"):
        parser.add_argument("--" + name, required=True)
    a = parser.parse_args()
    os.makedirs(a.shots, exist_ok=True)
    run(a.base, a.series, a.long_series, a.shots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
