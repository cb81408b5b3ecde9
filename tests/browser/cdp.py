# cdp.py — a small Chrome DevTools Protocol client for the browser test: starts Debian's
# headless Chromium with a temporary profile, talks to it over one websocket (Debian's
# python3-websocket) with flattened target sessions, and offers what the test needs: navigate
# and wait for the load, evaluate JavaScript, wait for a condition, click like a user (real mouse
# events after the actionability checks), choose a <select> option, intercept requests (Fetch),
# answer dialogs, collect page errors, take screenshots. Chromium is always stopped and its
# profile removed (Browser.close(), also on errors: use `with Browser(...) as b:`).
# SPDX-License-Identifier: GPL-3.0-or-later
import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import websocket  # Debian: python3-websocket (websocket-client)

CHROMIUM = "/usr/bin/chromium"
DEFAULT_TIMEOUT = 30.0

# what the former playwright-core launch used, plus the switches of Playwright's own launcher
# that keep a test browser quiet and its timers running
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    "--no-default-browser-check", "--disable-default-apps", "--disable-extensions",
    "--disable-breakpad", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
    "--disable-back-forward-cache", "--disable-hang-monitor", "--disable-popup-blocking",
    "--password-store=basic", "--use-mock-keychain", "--metrics-recording-only",
    "--force-color-profile=srgb", "--hide-scrollbars", "--mute-audio",
]


class CDPError(Exception):
    """A command answered with an error, or the connection is gone."""


class JSError(Exception):
    """A script evaluated in the page threw."""


class Timeout(Exception):
    pass


class _Undefined:
    def __repr__(self):
        return "undefined"


UNDEFINED = _Undefined()  # what evaluate() returns for a JavaScript `undefined`


def glob_regex(glob):
    """Playwright's URL glob: `**` any characters, `*` any characters but '/'."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


class Browser:
    """One headless Chromium with a temporary profile. `log_path`: where Chromium's stderr
    goes (default: inside the temporary folder, removed with it)."""

    def __init__(self, viewport=(1280, 900), extra_flags=(), log_path=None,
                 start_timeout=DEFAULT_TIMEOUT):
        self.viewport = viewport
        self.tmp = tempfile.mkdtemp(prefix="pdva-chromium-")
        self.profile = os.path.join(self.tmp, "profile")
        home = os.path.join(self.tmp, "home")
        os.makedirs(self.profile)
        os.makedirs(home)
        self.log_path = log_path or os.path.join(self.tmp, "chromium.log")
        self.proc = None
        self.ws = None
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._answers = {}          # id -> message, for commands someone waits for
        self._async = set()         # ids of commands nobody waits for
        self.async_errors = []      # errors answered to those
        self._events = []           # (session, method, params), in arrival order
        self._handlers = {}         # (session, method) -> [callable(params)]
        self._closed = None         # why the connection ended
        self._reader = None
        try:
            self._launch(extra_flags, home, start_timeout)
        except BaseException:
            self.close()
            raise

    # -- process and connection ------------------------------------------------------------

    def _launch(self, extra_flags, home, start_timeout):
        cmd = [CHROMIUM] + CHROMIUM_FLAGS + list(extra_flags) + [
            "--user-data-dir=" + self.profile, "--remote-debugging-port=0",
            "--window-size=%d,%d" % self.viewport, "about:blank"]
        env = dict(os.environ, HOME=home)
        with open(self.log_path, "wb") as log:
            # a process group of its own: close() stops Chromium and all its helpers
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, start_new_session=True)
        url = self._devtools_url(start_timeout)
        self.ws = websocket.create_connection(url, timeout=start_timeout, suppress_origin=True,
                                              enable_multithread=True)
        self.ws.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    def _devtools_url(self, timeout):
        """The browser's websocket URL: from DevToolsActivePort in the profile, or from the
        'DevTools listening on ws://...' line on stderr."""
        active = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise CDPError("Chromium exited with %d:\n%s" % (self.proc.returncode,
                                                               self.log_tail()))
            try:
                with open(active) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].strip():
                    return "ws://127.0.0.1:%s%s" % (lines[0].strip(), lines[1].strip())
            except OSError:
                pass
            m = re.search(r"DevTools listening on (ws://\S+)", self.log_text())
            if m:
                return m.group(1)
            time.sleep(0.05)
        raise CDPError("Chromium gave no DevTools address in %d s:\n%s" % (timeout,
                                                                         self.log_tail()))

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=30):
        return "\n".join(self.log_text().splitlines()[-n:])

    def _read(self):
        why = "connection closed"
        try:
            while True:
                raw = self.ws.recv()
                if not raw:
                    break
                msg = json.loads(raw)
                if "id" in msg:
                    with self._cond:
                        if msg["id"] in self._async:
                            self._async.discard(msg["id"])
                            if "error" in msg:
                                self.async_errors.append(msg["error"])
                        else:
                            self._answers[msg["id"]] = msg
                        self._cond.notify_all()
                    continue
                session = msg.get("sessionId")
                method = msg.get("method")
                params = msg.get("params", {})
                with self._cond:
                    self._events.append((session, method, params))
                    handlers = list(self._handlers.get((session, method), ()))
                    self._cond.notify_all()
                for h in handlers:  # in this thread: handlers may only use send_nowait()
                    try:
                        h(params)
                    except Exception as e:  # noqa: BLE001 - reported, not lost
                        with self._cond:
                            self.async_errors.append({"handler": method, "error": repr(e)})
        except Exception as e:  # noqa: BLE001 - the socket closing ends the reader
            why = "connection lost: %r" % e
        with self._cond:
            self._closed = why
            self._cond.notify_all()

    def close(self):
        """Stop Chromium (politely, then its whole process group) and remove the profile."""
        try:
            if self.ws is not None and self._closed is None:
                try:
                    self.send_nowait("Browser.close")
                except Exception:  # noqa: BLE001
                    pass
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(self.proc.pid, sig)
                    except ProcessLookupError:
                        break
                    try:
                        self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        continue
                    # the launcher is gone; helpers of its group may still be exiting
                    time.sleep(0.2)
        finally:
            if self.ws is not None:
                try:
                    self.ws.close()
                except Exception:  # noqa: BLE001
                    pass
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- commands and events ---------------------------------------------------------------

    def _message(self, method, params, session):
        msg = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        return msg

    def send(self, method, params=None, session=None, timeout=DEFAULT_TIMEOUT):
        """Send a command and wait for its answer; returns its result."""
        msg = self._message(method, params, session)
        with self._cond:
            if self._closed:
                raise CDPError("%s: %s" % (method, self._closed))
        self.ws.send(json.dumps(msg))
        deadline = time.time() + timeout
        with self._cond:
            while msg["id"] not in self._answers:
                if self._closed:
                    raise CDPError("%s: %s" % (method, self._closed))
                left = deadline - time.time()
                if left <= 0:
                    raise Timeout("%s: no answer in %g s" % (method, timeout))
                self._cond.wait(left)
            answer = self._answers.pop(msg["id"])
        if "error" in answer:
            raise CDPError("%s: %s" % (method, answer["error"]))
        return answer.get("result", {})

    def send_nowait(self, method, params=None, session=None):
        """Send a command without waiting (for event handlers); errors go to async_errors."""
        msg = self._message(method, params, session)
        with self._cond:
            self._async.add(msg["id"])
        self.ws.send(json.dumps(msg))

    def on(self, session, method, handler):
        with self._cond:
            self._handlers.setdefault((session, method), []).append(handler)

    def event_mark(self):
        """Position in the event history, for wait_event(since=...)."""
        with self._cond:
            return len(self._events)

    def find_events(self, session, method, since=0):
        with self._cond:
            return [p for s, m, p in self._events[since:] if s == session and m == method]

    def wait_event(self, session, method, predicate=None, since=0, timeout=DEFAULT_TIMEOUT):
        deadline = time.time() + timeout
        with self._cond:
            i = since
            while True:
                while i < len(self._events):
                    s, m, p = self._events[i]
                    i += 1
                    if s == session and m == method and (predicate is None or predicate(p)):
                        return p
                if self._closed:
                    raise CDPError("waiting for %s: %s" % (method, self._closed))
                left = deadline - time.time()
                if left <= 0:
                    raise Timeout("no %s event in %g s" % (method, timeout))
                self._cond.wait(left)

    # -- pages -----------------------------------------------------------------------------

    def first_page(self):
        """The tab Chromium opened at start (a new one if there is none)."""
        targets = self.send("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if pages:
            return Page(self, pages[0]["targetId"])
        return self.new_page()

    def new_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        return Page(self, target)


class Page:
    """One tab, attached with a flattened session."""

    def __init__(self, browser, target_id):
        self.browser = browser
        self.target_id = target_id
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target_id, "flatten": True})["sessionId"]
        self._routes = []  # [(glob, regex, handler)], the last added wins
        self.dialogs = []  # (type, message) of every dialog the page opened
        self.dialog_answer = None  # callable(params) -> (accept, prompt_text); None: dismiss
        self.on("Page.javascriptDialogOpening", self._on_dialog)
        self.on("Fetch.requestPaused", self._on_request_paused)
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        width, height = browser.viewport
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False,
                   "screenWidth": width, "screenHeight": height})
        self.frame_id = self.send("Page.getFrameTree")["frameTree"]["frame"]["id"]

    def send(self, method, params=None, timeout=DEFAULT_TIMEOUT):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def on(self, method, handler):
        """Call handler(params) on each event `method` of this page (in the reader thread)."""
        self.browser.on(self.session, method, handler)

    def close(self):
        self.browser.send("Target.closeTarget", {"targetId": self.target_id})

    # -- dialogs and request interception --------------------------------------------------

    def _on_dialog(self, params):
        self.dialogs.append((params.get("type"), params.get("message")))
        accept, text = False, None  # no answer given: dismissed, as Playwright does
        if self.dialog_answer is not None:
            accept, text = self.dialog_answer(params)
        answer = {"accept": bool(accept)}
        if text is not None:
            answer["promptText"] = text
        self.browser.send_nowait("Page.handleJavaScriptDialog", answer, session=self.session)

    def route(self, glob, handler):
        """Answer the requests whose URL matches the Playwright-style `glob` with
        handler(request) -> {"status", "content_type", "body"} (request: Fetch's request)."""
        self._routes.append((glob, glob_regex(glob), handler))
        self._update_fetch()

    def unroute(self, glob):
        self._routes = [r for r in self._routes if r[0] != glob]
        self._update_fetch()

    def _update_fetch(self):
        if not self._routes:
            self.send("Fetch.disable")
            return
        # CDP's '*' matches any characters: a superset, the exact check is in the handler
        patterns = [{"urlPattern": g.replace("**", "*"), "requestStage": "Request"}
                    for g, _, _ in self._routes]
        self.send("Fetch.enable", {"patterns": patterns})

    def _on_request_paused(self, params):
        request = params["request"]
        url = request["url"] + request.get("urlFragment", "")
        for _, regex, handler in reversed(self._routes):
            if regex.match(url):
                answer = handler(request)
                body = answer.get("body", "")
                if isinstance(body, str):
                    body = body.encode("utf-8")
                headers = [{"name": "Content-Type",
                            "value": answer.get("content_type", "text/plain")},
                           {"name": "Content-Length", "value": str(len(body))}]
                self.browser.send_nowait("Fetch.fulfillRequest", {
                    "requestId": params["requestId"], "responseCode": answer.get("status", 200),
                    "responseHeaders": headers, "body": base64.b64encode(body).decode()},
                    session=self.session)
                return
        self.browser.send_nowait("Fetch.continueRequest", {"requestId": params["requestId"]},
                                 session=self.session)

    # -- navigation ------------------------------------------------------------------------

    def goto(self, url, timeout=DEFAULT_TIMEOUT):
        """Navigate the main frame and wait for its load event. Returns the main document's
        response: {"status", "headers" (names in lower case), "request_id"}, or None (no
        network response, e.g. about:blank)."""
        mark = self.browser.event_mark()
        nav = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if nav.get("errorText"):
            raise CDPError("navigation to %s failed: %s" % (url, nav["errorText"]))
        loader = nav.get("loaderId")
        if loader:
            self.browser.wait_event(
                self.session, "Page.lifecycleEvent",
                lambda p: p.get("name") == "load" and p.get("loaderId") == loader
                and p.get("frameId") == nav["frameId"], since=mark, timeout=timeout)
        else:  # same-document navigation
            return None
        for p in self.browser.find_events(self.session, "Network.responseReceived", mark):
            if p.get("loaderId") == loader and p.get("type") == "Document" \
                    and p.get("frameId") == nav["frameId"]:
                r = p["response"]
                return {"status": r["status"], "request_id": p["requestId"],
                        "headers": {k.lower(): v for k, v in r["headers"].items()}}
        return None

    def response_body(self, response):
        body = self.send("Network.getResponseBody", {"requestId": response["request_id"]})
        if body.get("base64Encoded"):
            return base64.b64decode(body["body"]).decode("utf-8")
        return body["body"]

    def url(self):
        return self.evaluate("location.href")

    # -- scripts ---------------------------------------------------------------------------

    def evaluate(self, expression, timeout=DEFAULT_TIMEOUT):
        """The value of a JavaScript expression (promises awaited), as JSON; UNDEFINED for
        undefined. Raises JSError when it throws."""
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                           "returnByValue": True, "userGesture": False},
                      timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise JSError("%s\n  in: %s" % (d.get("exception", {}).get("description")
                                            or d.get("text"), expression))
        res = r["result"]
        if res.get("type") == "undefined":
            return UNDEFINED
        return res.get("value")

    def wait_for(self, expression, timeout=DEFAULT_TIMEOUT, what=None, poll=0.1):
        """Evaluate `expression` until it is truthy; returns its value."""
        deadline = time.time() + timeout
        while True:
            value = self.evaluate(expression)
            if value not in (None, False, 0, "", UNDEFINED):
                return value
            if time.time() >= deadline:
                raise Timeout("waited %g s for %s" % (timeout, what or expression))
            time.sleep(poll)

    @staticmethod
    def _q(selector):
        return "document.querySelector(%s)" % json.dumps(selector)

    # Playwright's visibility: a non-empty bounding box and no `visibility: hidden`
    _VISIBLE = ("(function (e) { if (!e) return false; var r = e.getBoundingClientRect();"
                " return r.width > 0 && r.height > 0 &&"
                " getComputedStyle(e).visibility !== 'hidden'; })")

    def is_visible(self, selector):
        return self.evaluate("%s(%s)" % (self._VISIBLE, self._q(selector))) is True

    def wait_visible(self, selector, timeout=DEFAULT_TIMEOUT):
        self.wait_for("%s(%s)" % (self._VISIBLE, self._q(selector)), timeout,
                      "%s to be visible" % selector)

    def wait_attached(self, selector, timeout=DEFAULT_TIMEOUT):
        self.wait_for("%s !== null" % self._q(selector), timeout, "%s to exist" % selector)

    def exists(self, selector):
        return self.evaluate("%s !== null" % self._q(selector)) is True

    def text_content(self, selector, timeout=DEFAULT_TIMEOUT):
        self.wait_attached(selector, timeout)
        return self.evaluate("%s.textContent" % self._q(selector))

    def get_attribute(self, selector, name, timeout=DEFAULT_TIMEOUT):
        self.wait_attached(selector, timeout)
        return self.evaluate("%s.getAttribute(%s)" % (self._q(selector), json.dumps(name)))

    def eval_all(self, selector, function):
        """function(elements) over document.querySelectorAll(selector), like $$eval."""
        return self.evaluate("(%s)(Array.from(document.querySelectorAll(%s)))"
                             % (function, json.dumps(selector)))

    # -- user actions ----------------------------------------------------------------------

    def _wait_actionable(self, selector, timeout):
        """Wait until the element is attached, visible, enabled and stable (same box over two
        animation frames), as Playwright's actions do."""
        js = ("(function (e) { if (!e || !%s(e) || e.disabled) return false;"
              " var a = e.getBoundingClientRect();"
              " return new Promise(function (ok) { requestAnimationFrame(function () {"
              " requestAnimationFrame(function () { var b = e.getBoundingClientRect();"
              " ok(a.x === b.x && a.y === b.y && a.width === b.width &&"
              " a.height === b.height); }); }); }); })(%s)" % (self._VISIBLE,
                                                               self._q(selector)))
        self.wait_for(js, timeout, "%s to be visible, enabled and stable" % selector)

    def click(self, selector, timeout=DEFAULT_TIMEOUT):
        """A left click with real mouse events at the element's centre, once it is actionable
        and it (or a descendant) is what the pointer hits there."""
        deadline = time.time() + timeout
        while True:
            self._wait_actionable(selector, max(0.1, deadline - time.time()))
            point = self.evaluate(
                "(function (e) { var v = e.getBoundingClientRect();"
                " if (v.top < 0 || v.left < 0 || v.bottom > innerHeight || v.right > innerWidth)"
                "   e.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});"
                " var rs = Array.from(e.getClientRects()).filter(function (r) {"
                "   return r.width > 0 && r.height > 0; });"
                " if (!rs.length) return null;"
                " var x = rs[0].left + rs[0].width / 2, y = rs[0].top + rs[0].height / 2;"
                " var hit = document.elementFromPoint(x, y);"
                " return {x: x, y: y, hits: hit !== null && (hit === e || e.contains(hit)),"
                "         hit: hit ? hit.outerHTML.slice(0, 120) : null}; })(%s)"
                % self._q(selector))
            if point and point["hits"]:
                break
            if time.time() >= deadline:
                raise Timeout("click %s: the element does not receive the pointer (%s)"
                              % (selector, point and point["hit"]))
            time.sleep(0.1)
        x, y = point["x"], point["y"]
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind, buttons in (("mousePressed", 1), ("mouseReleased", 0)):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "buttons": buttons,
                                                   "clickCount": 1})

    def select_option(self, selector, value, timeout=DEFAULT_TIMEOUT):
        """Choose the option with this value in a <select>, then fire input and change, as
        Playwright's selectOption does. Fails if there is no such option."""
        self._wait_actionable(selector, timeout)
        chosen = self.evaluate(
            "(function (s, v) { if (!(s instanceof HTMLSelectElement))"
            "   throw new Error('not a <select>');"
            " var o = Array.from(s.options).filter(function (o) { return o.value === v; });"
            " if (!o.length) return null;"
            " Array.from(s.options).forEach(function (x) { x.selected = (x === o[0]); });"
            " s.dispatchEvent(new Event('input', {bubbles: true, composed: true}));"
            " s.dispatchEvent(new Event('change', {bubbles: true}));"
            " return s.value; })(%s, %s)" % (self._q(selector), json.dumps(value)))
        if chosen != value:
            raise CDPError("select %s: no option %r" % (selector, value))

    def screenshot(self, path, full_page=False):
        """A PNG of the viewport, or of the whole page."""
        params = {"format": "png"}
        if full_page:
            m = self.send("Page.getLayoutMetrics")
            size = m.get("cssContentSize") or m["contentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"],
                                "height": size["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
