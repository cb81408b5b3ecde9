# orthanc_fixture.py — a real Orthanc (Debian's /usr/sbin/Orthanc) for the tests, reachable on
# 127.0.0.1 only: the test process moves itself into a private network namespace (unshare -n,
# with a user namespace when not root) whose only interface is the loopback, before anything
# listens. Orthanc gets a temporary storage folder, a test port, no authentication, no DICOM
# server; what is started is stopped (atexit), even when a test fails.
# SPDX-License-Identifier: GPL-3.0-or-later
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

NETNS_MARK = "PDVA_TEST_NETNS"
_started = []


def enter_private_network():
    """Re-run this program inside a new network namespace with only `lo` (up), unless done."""
    if os.environ.get(NETNS_MARK) != "1":
        env = dict(os.environ, **{NETNS_MARK: "1"})
        unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
        os.execvpe(unshare[0], unshare + [sys.executable] + sys.argv, env)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with open("/proc/net/dev") as f:
        interfaces = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    if interfaces != ["lo"]:
        raise SystemExit("refusing to start servers: network namespace has %r" % interfaces)


def _stop_all():
    for o in list(_started):
        o.stop()


atexit.register(_stop_all)


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8")


class Orthanc:
    """One Orthanc process. `config` entries override the defaults below."""

    def __init__(self, root, plugin, port, config=None, env=None, extra_files=()):
        """`plugin`: a file or a folder of plugins (None: no plugin). `extra_files`: more JSON
        configuration files; then Orthanc reads a configuration folder, as Debian's does."""
        self.root = root
        self.extra_files = list(extra_files)
        self.storage = os.path.join(root, "storage")
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.plugin = plugin
        self.extra = config or {}
        self.env = env
        self.proc = None
        self.log_path = os.path.join(root, "orthanc.log")
        os.makedirs(self.storage, exist_ok=True)

    @property
    def work_dir(self):
        return self.extra.get("Pdva", {}).get("WorkDirectory",
                                              os.path.join(self.storage, "pdva-work"))

    @property
    def report_dir(self):
        return self.extra.get("Pdva", {}).get("ReportDirectory",
                                              os.path.join(self.storage, "pdva-reports"))

    def write_config(self):
        config = {
            "Name": "pdva-test",
            "StorageDirectory": self.storage,
            "IndexDirectory": self.storage,
            "HttpPort": self.port,
            "DicomServerEnabled": False,
            "DicomPort": 0,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "Plugins": [self.plugin] if self.plugin else [],
            "ConcurrentJobs": 4,
            "JobsHistorySize": 100,
            "StableAge": 2,
            "HttpThreadsCount": 40,
        }
        if os.environ.get("PDVA_ORTHANC_PRELOAD"):
            # Orthanc under a preloaded ASan runtime: its locale autodetection deadlocks in
            # glibc and ASan's allocator refuses mallopt(M_ARENA_MAX)
            config.update({"Locale": "C", "MallocArenaMax": 0})
        config.update(self.extra)
        if not self.extra_files:
            path = os.path.join(self.root, "config.json")
            with open(path, "w") as f:
                json.dump(config, f, indent=1)
            return path
        folder = os.path.join(self.root, "config")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "test.json"), "w") as f:
            json.dump(config, f, indent=1)
        for extra in self.extra_files:
            shutil.copy(extra, folder)
        return folder

    def sanitizer_env(self):
        """In the sanitizer build, what Orthanc needs to load an instrumented plugin: the
        runtimes preloaded, reports written beside the log (checked by stop())."""
        preload = os.environ.get("PDVA_ORTHANC_PRELOAD")
        if not preload:
            return {}
        opts = os.environ.get("ASAN_OPTIONS", "")
        opts = ":".join(o for o in opts.split(":") if o and not o.startswith("log_path"))
        env = {"LD_PRELOAD": preload,
               "ASAN_OPTIONS": (opts + ":" if opts else "") + "log_path=" +
               os.path.join(self.root, "asan") + ":detect_leaks=1",
               "UBSAN_OPTIONS": "print_stacktrace=1:log_path=" + os.path.join(self.root, "ubsan")}
        supp = os.environ.get("PDVA_ORTHANC_LSAN_SUPPRESSIONS")
        if supp:
            env["LSAN_OPTIONS"] = "suppressions=" + supp
        return env

    def sanitizer_reports(self):
        return sorted(n for n in os.listdir(self.root) if n.startswith(("asan.", "ubsan.")))

    def start(self, timeout=60):
        path = self.write_config()
        log = open(self.log_path, "ab")
        env = dict(os.environ, **self.sanitizer_env())
        env.update(self.env or {})
        self.proc = subprocess.Popen(["/usr/sbin/Orthanc", "--verbose", path], stdout=log,
                                     stderr=subprocess.STDOUT, env=env)
        log.close()
        _started.append(self)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("Orthanc exited with %d:\n%s" % (self.proc.returncode,
                                                                    self.log_tail()))
            try:
                if self.get("/system").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Orthanc did not answer in %d s:\n%s" % (timeout, self.log_tail()))

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """Stop Orthanc; returns the seconds it took to exit."""
        if not self.proc:
            return 0.0
        if timeout is None:
            timeout = 30 if self.sanitizer_env() else 90
        t0 = time.time()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                # With a preloaded ASan runtime, glibc's locale lock sometimes deadlocks in the
                # exit handlers of Orthanc's own libraries (libp11-kit's freelocale) after Orthanc
                # has stopped: not ours, and not a hang of the plugin.
                if not (self.sanitizer_env() and "Orthanc has stopped" in self.log_text()):
                    raise RuntimeError("Orthanc did not stop in %d s" % timeout)
                print("note: Orthanc (sanitizer runtime preloaded) hung in its exit handlers "
                      "after stopping; killed", file=sys.stderr)
        if self in _started:
            _started.remove(self)
        self.proc = None
        reports = self.sanitizer_reports() if sig != signal.SIGKILL else []
        if reports:
            with open(os.path.join(self.root, reports[0]), errors="replace") as f:
                raise RuntimeError("sanitizer report from Orthanc:\n" + f.read()[-6000:])
        return time.time() - t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def log_tail(self, n=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    # -- HTTP -------------------------------------------------------------------------------

    def request(self, method, path, body=None, content_type="application/json", timeout=120):
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, r.read(), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), dict(e.headers))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else b"", **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def upload_folder(self, folder):
        """POST every file below `folder` to /instances; returns the instance answers."""
        answers = []
        for dirpath, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                if not name.endswith(".dcm"):
                    continue
                with open(os.path.join(dirpath, name), "rb") as f:
                    r = self.post("/instances", f.read(), content_type="application/dicom")
                if r.status != 200:
                    raise RuntimeError("upload of %s: HTTP %d %s" % (name, r.status, r.body))
                answers.append(r.json())
        return answers

    def series_of_folder(self, folder):
        """Orthanc ID of the series whose files are in `folder`."""
        answers = self.upload_folder(folder)
        ids = {a["ParentSeries"] for a in answers}
        if len(ids) != 1:
            raise RuntimeError("%s holds %d series" % (folder, len(ids)))
        return ids.pop()

    def wait_job(self, job, timeout=600, states=("Success", "Failure")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.get("/jobs/" + job)
            if r.status == 200 and r.json()["State"] in states:
                return r.json()
            time.sleep(0.2)
        raise RuntimeError("job %s not finished in %d s: %s" % (job, timeout,
                                                                self.get("/jobs/" + job).body))

    def analyze(self, series, body=None):
        r = self.post("/pdva/series/%s/analyze" % series,
                      body if body is not None else {"wound_venosomes": ["dorsalis_pedis"]})
        if r.status != 200:
            raise RuntimeError("analyze: HTTP %d %s" % (r.status, r.body))
        return r.json()["job"]


def work_entries(orthanc):
    """What is left in the plugin's work folder."""
    try:
        return sorted(os.listdir(orthanc.work_dir))
    except FileNotFoundError:
        return []


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path
