"""berthd on real containers: a service kept at N healthy replicas behind
berth-proxy, replaced when killed or unhealthy, upgraded with zero failed
requests, rolled back by itself, paused, scaled, deleted; berthd SIGKILLed
mid-upgrade and under load; the API's errors and its bearer tokens.

Each test has its own network namespace (`ip netns add`), store and run
root; berthd, berth-proxy and the replicas run in that namespace (through
`nsenter --net`, see test_network.py) and are stopped by pid at the end,
even when the test fails.  Definitions are sent to the API as berth's
canonical JSON (what `berth up` sends)."""

import copy
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import wait_for
from test_network import NetBerth, host_untouched, netns_berth  # noqa: F401
from test_run import BERTH

BERTHD = Path(BERTH).parent / "berthd"
PORT = 8080

# A web replica: its page names the version and the replica, /health
# answers while /www/health exists.
WEB = ("mkdir -p /www/cgi-bin && echo \"$VERSION $(hostname)\" > /www/index.html && "
       "echo ok > /www/health && "
       "printf '#!/bin/sh\\nsleep 1\\nprintf \"Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nslow\\\\n\"\\n' "
       "> /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && exec httpd -f -p 80 -h /www")

LOAD = r"""
import http.client, json, sys, time
stop = sys.argv[1]
ok, fail, versions = 0, {}, {}
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=10)
        c.request("GET", sys.argv[3])
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status == 200:
            ok += 1
            v = body.split()[0]
            versions[v] = versions.get(v, 0) + 1
        else:
            fail[str(r.status)] = fail.get(str(r.status), 0) + 1
    except Exception as e:
        fail[type(e).__name__] = fail.get(type(e).__name__, 0) + 1
    try:
        open(stop).close()
        break
    except OSError:
        pass
print(json.dumps({"ok": ok, "fail": fail, "versions": versions}))
"""


def definition(name="web", image="web:1", **over):
    """berth's canonical JSON of a service (service_to_json), defaults
    filled in, with over merged into it."""
    d = {
        "build": None, "command": ["sh", "-c", WEB], "depends_on": {},
        "deploy": {"limits": {"memory": 0, "nano_cpus": 0, "pids": 0}, "replicas": 3,
                   "update": {"delay_ns": 0, "failure_action": "rollback",
                              "monitor_ns": 1_000_000_000, "order": "start-first",
                              "parallelism": 1}},
        "entrypoint": None, "environment": {},
        "healthcheck": {"command": None, "interval_ns": 500_000_000, "kind": "http",
                        "path": "/health", "port": 80, "retries": 2,
                        "start_period_ns": 0, "status": 0, "timeout_ns": 2_000_000_000},
        "image": image, "labels": {}, "name": name,
        "ports": [{"host_ip": "", "protocol": "tcp", "published": PORT, "target": 80}],
        "restart": {"delay_ns": 100_000_000, "max_delay_ns": 2_000_000_000, "max_retries": 0,
                    "mode": "no", "multiplier": 2.0, "reset_after_ns": 10_000_000_000},
        "stop_grace_period_ns": 2_000_000_000, "stop_signal": 15, "volumes": [],
    }

    def merge(base, extra):
        for k, v in extra.items():
            if isinstance(v, dict) and isinstance(base.get(k), dict):
                merge(base[k], v)
            else:
                base[k] = v
    merge(d, copy.deepcopy(over))
    return d


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


class Services(NetBerth):
    """A test's berthd, its store and its namespace."""

    def __init__(self, tmp, ns):
        super().__init__(tmp, ns)
        self.berthd = None
        self.groups = []
        self.image_ids = {}

    def start_berthd(self, *flags, env=None):
        log = open(self.store.parent / "berthd.log", "a")
        # Its own process group: the berth children it has in flight
        # (a `berth run -d` of a replica) are stopped with it at the end.
        self.berthd = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.ns}", str(BERTHD), "--root", str(self.store),
             "--run-root", str(self.run_root), *flags], stdout=log, stderr=log,
            start_new_session=True, env={**os.environ, **(env or {})})
        self.procs.append(self.berthd)
        self.groups.append(self.berthd.pid)
        wait_for(lambda: self.sock.exists() and self.api_ok(), 10, "berthd's API")

    @property
    def sock(self):
        return self.run_root / "berthd.sock"

    def log(self):
        return (self.store.parent / "berthd.log").read_text()

    def api_ok(self):
        try:
            return self.api("GET", "/v1/health")[0] == 200
        except OSError:
            return False

    def api(self, method, path, body=None, raw=None):
        c = UnixHTTP(self.sock)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        c.request(method, path, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text

    def build(self, tag, version):
        """An image whose VERSION is version."""
        ctx = self.store.parent / f"ctx-{version}"
        ctx.mkdir(exist_ok=True)
        (ctx / "Dockerfile").write_text(f"FROM busybox:test\nENV VERSION={version}\n")
        res = self("build", "-q", "-t", tag, ctx)
        assert res.returncode == 0, res.stderr
        self.image_ids[tag] = res.stdout.split()[-1]
        return self.image_ids[tag]

    def put(self, d):
        return self.api("PUT", f"/v1/services/{d['name']}",
                        {"definition": d, "digests": {d["image"]: self.image_ids[d["image"]]}})

    def service(self, name="web"):
        status, body = self.api("GET", f"/v1/services/{name}")
        assert status == 200, body
        return body

    def live(self, name="web"):
        return [c for c in self.service(name)["containers"] if not c["retiring"]]

    def wait_healthy(self, n, revision=None, name="web", timeout=60):
        def ready():
            s = self.service(name)
            cs = [c for c in s["containers"] if c["routed"]]
            return (s["status"] == "active" and len(cs) == n and len(s["containers"]) == n
                    and (revision is None or s["revision"] == revision))
        wait_for(ready, timeout, f"{n} healthy replicas of {name}")
        return self.service(name)

    def get(self, path="/", port=PORT):
        res = self.inns("/usr/bin/python3", "-c",
                        "import sys, urllib.request\n"
                        "r = urllib.request.urlopen(sys.argv[1], timeout=5)\n"
                        "print(r.status, r.read().decode(), end='')\n",
                        f"http://127.0.0.1:{port}{path}", check=False)
        return res.stdout

    def load(self, port=PORT, path="/"):
        """A request loop in the namespace until stop_load()."""
        stop = self.store.parent / f"stop-{uuid.uuid4().hex[:6]}"
        out = open(self.store.parent / f"{stop.name}.out", "w")
        p = subprocess.Popen(["nsenter", f"--net=/run/netns/{self.ns}", sys.executable, "-c",
                              LOAD, str(stop), str(port), path], stdout=out)
        self.procs.append(p)
        p.stop_file, p.out_file = stop, Path(out.name)
        return p

    def stop_load(self, p):
        p.stop_file.touch()
        p.wait(timeout=30)
        return json.loads(p.out_file.read_text())

    def proxy_pid(self):
        try:
            return int((self.run_root / "proxy.pid").read_text())
        except (OSError, ValueError):
            return 0


def stop_berthd(b):
    """berthd's process groups (with the berth children they had in
    flight) and the proxy, by pid."""
    for group in b.groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pid = b.proxy_pid()
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def svc(tmp_path):
    with netns_berth(tmp_path, Services, stop_berthd) as b:
        b.build("web:1", "v1")
        b.start_berthd()
        yield b
    assert processes_of(tmp_path) == [], "processes of the test outlived it"
    assert str(tmp_path) not in Path("/proc/self/mountinfo").read_text()


def processes_of(tmp_path):
    """Processes whose command line names the test's directory (monitors
    of replicas, berth-proxy, berthd)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(tmp_path) in (proc / "cmdline").read_text():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def replica_names(s):
    return sorted(c["name"] for c in s["containers"])


def test_three_healthy_replicas_share_the_traffic(svc):
    status, body = svc.put(definition(labels={"team": "shop"}))
    assert (status, body) == (200, {"name": "web", "revision": 1, "changed": True})
    s = svc.wait_healthy(3)
    assert [c["name"].split(".")[:2] for c in s["containers"]] == [["web", "1"]] * 3
    assert len({c["ip"] for c in s["containers"]}) == 3
    seen = set()
    for _ in range(12):
        out = svc.get()
        assert out.startswith("200 v1 "), out
        seen.add(out.split()[2])
    # round robin: every replica answered
    assert seen == {c["id"][:12] for c in s["containers"]}
    # the same definition again is no new revision
    assert svc.put(definition(labels={"team": "shop"}))[1] == \
        {"name": "web", "revision": 1, "changed": False}
    # the replicas are ordinary containers: berth ps shows them, inspect
    # their labels (the definition's and berth's own)
    ps = svc("ps").stdout
    assert all(n in ps for n in replica_names(s))
    res = svc("inspect", "--type", "container", s["containers"][0]["id"])
    assert json.loads(res.stdout)[0]["Config"]["Labels"] == \
        {"team": "shop", "org.berth.service": "web", "org.berth.revision": "1"}


def test_killed_replicas_are_replaced(svc):
    svc.put(definition())
    s = svc.wait_healthy(3)
    victims = s["containers"][:2]
    for c in victims:
        assert svc("kill", c["id"]).returncode == 0
    gone = {c["id"] for c in victims}
    wait_for(lambda: not gone & {c["id"] for c in svc.service()["containers"]}, 30,
             "the killed replicas removed")
    s = svc.wait_healthy(3)
    assert len({c["id"] for c in s["containers"]} - gone) == 3
    assert svc.log().count("ended: replacing it") == 2


def test_unhealthy_replica_leaves_the_proxy_and_is_replaced(svc):
    svc.put(definition())
    s = svc.wait_healthy(3)
    sick = s["containers"][0]
    load = svc.load()
    assert svc("exec", sick["id"], "rm", "/www/health").returncode == 0
    wait_for(lambda: not any(c["routed"] for c in svc.service()["containers"]
                             if c["id"] == sick["id"]), 10, "the sick replica unrouted")
    s = svc.wait_healthy(3)
    assert sick["id"] not in {c["id"] for c in s["containers"]}
    res = svc.stop_load(load)
    assert res["fail"] == {} and res["ok"] > 0, res


def test_upgrade_under_load_drops_nothing(svc):
    svc.build("web:2", "v2")
    svc.put(definition())
    svc.wait_healthy(3)
    load = svc.load()
    time.sleep(0.5)
    status, body = svc.api("POST", "/v1/services/web/deploy",
                           {"image": "web:2", "digest": svc.image_ids["web:2"]})
    assert (status, body["revision"]) == (200, 2), body
    s = svc.wait_healthy(3, revision=2)
    res = svc.stop_load(load)
    assert res["fail"] == {}, res
    assert res["versions"].get("v1", 0) > 0 and res["versions"].get("v2", 0) > 0, res
    assert all(c["name"].startswith("web.2.") for c in s["containers"])
    assert svc.get().startswith("200 v2 ")
    _, hist = svc.api("GET", "/v1/services/web/history")
    assert [(h["revision"], h["status"], h["current"]) for h in hist] == \
        [(2, "active", True), (1, "active", False)]


def test_a_version_that_never_gets_healthy_is_rolled_back(svc):
    svc.build("web:2", "v2")
    svc.put(definition())
    svc.wait_healthy(3)
    load = svc.load()
    bad = definition(image="web:2", command=["sleep", "1000"])
    assert svc.put(bad)[1]["revision"] == 2
    wait_for(lambda: "rolled back from revision 2 to revision 1" in svc.log(), 30, "rollback")
    s = svc.wait_healthy(3, revision=1)
    res = svc.stop_load(load)
    assert res["fail"] == {} and set(res["versions"]) == {"v1"}, res
    assert all(c["name"].startswith("web.1.") for c in s["containers"])
    _, hist = svc.api("GET", "/v1/services/web/history")
    assert [(h["revision"], h["status"]) for h in hist] == [(2, "failed"), (1, "active")]
    _, events = svc.api("GET", "/v1/events")
    kinds = [e["kind"] for e in map(json.loads, events.splitlines())]
    assert "deploy-failed" in kinds and "rollback" in kinds


def test_a_version_that_fails_after_the_switch_is_rolled_back(svc):
    svc.build("web:2", "v2")
    svc.put(definition())
    svc.wait_healthy(3)
    # healthy for 3 s, then its health check fails: inside the 20 s window
    flaky = WEB.replace("exec httpd", "(sleep 3; rm /www/health) & exec httpd")
    bad = definition(image="web:2", command=["sh", "-c", flaky],
                     deploy={"update": {"monitor_ns": 20_000_000_000}})
    assert svc.put(bad)[1]["revision"] == 2
    wait_for(lambda: "rolled back from revision 2 to revision 1" in svc.log(), 60, "rollback")
    s = svc.wait_healthy(3, revision=1)
    assert all(c["name"].startswith("web.1.") for c in s["containers"])
    assert svc.get().startswith("200 v1 ")


def test_pause_and_resume(svc):
    svc.put(definition())
    s = svc.wait_healthy(3)
    assert svc.api("POST", "/v1/services/web/pause")[1] == {"name": "web", "paused": True}
    victim = s["containers"][0]
    svc("kill", victim["id"])
    time.sleep(3)
    s = svc.service()
    assert s["paused"] is True
    # not touched: the ended replica is still there, no replacement
    assert len(s["containers"]) == 3
    assert [c["state"] for c in s["containers"] if c["id"] == victim["id"]] == ["exited"]
    assert svc.api("POST", "/v1/services/web/resume")[1] == {"name": "web", "paused": False}
    s = svc.wait_healthy(3)
    assert victim["id"] not in {c["id"] for c in s["containers"]}


def test_scale_and_delete(svc):
    svc.put(definition())
    svc.wait_healthy(3)
    assert svc.api("POST", "/v1/services/web/scale", {"replicas": 1})[1] == \
        {"name": "web", "replicas": 1}
    s = svc.wait_healthy(1)
    assert s["revision"] == 1  # scaling is no new revision
    svc.api("POST", "/v1/services/web/scale", {"replicas": 2})
    svc.wait_healthy(2)
    assert svc.api("DELETE", "/v1/services/web")[0] == 200
    wait_for(lambda: svc.api("GET", "/v1/services")[1] == [], 30, "service deleted")
    assert svc("ps", "-aq").stdout == ""
    # its listener is gone with it
    assert "Connection refused" in svc.inns(
        "/usr/bin/python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 8080))",
        check=False).stderr


def test_berthd_killed_under_load_drops_nothing(svc):
    svc.put(definition())
    before = svc.wait_healthy(3)
    load = svc.load()
    time.sleep(0.5)
    svc.berthd.kill()
    svc.berthd.wait()
    time.sleep(1)
    svc.start_berthd()
    time.sleep(2)
    res = svc.stop_load(load)
    assert res["fail"] == {} and res["ok"] > 0, res
    after = svc.wait_healthy(3)
    # the same replicas, adopted: nothing restarted
    assert replica_names(after) == replica_names(before)


def test_berthd_killed_mid_upgrade_finishes_it(svc):
    svc.build("web:2", "v2")
    svc.put(definition())
    svc.wait_healthy(3)
    load = svc.load()
    svc.api("POST", "/v1/services/web/deploy",
            {"image": "web:2", "digest": svc.image_ids["web:2"]})
    wait_for(lambda: any(c["name"].startswith("web.2.") and c["routed"]
                         for c in svc.service()["containers"]), 30, "the first new replica")
    svc.berthd.kill()
    svc.berthd.wait()
    svc.start_berthd()
    s = svc.wait_healthy(3, revision=2)
    res = svc.stop_load(load)
    assert res["fail"] == {}, res
    assert all(c["name"].startswith("web.2.") for c in s["containers"])


def test_api_errors_change_nothing(svc):
    svc.put(definition())
    svc.wait_healthy(3)
    before = svc.api("GET", "/v1/services")[1]
    cases = [
        ("PUT", "/v1/services/web", None, "{not json", 400, "not JSON"),
        ("PUT", "/v1/services/web", {"definition": {"name": "web"}}, None, 400, "definition"),
        ("PUT", "/v1/services/other", {"definition": definition(), "digests": {}}, None, 400,
         "'web' is not the service 'other'"),
        ("PUT", "/v1/services/web", {"definition": definition(image="nope:1"),
                                     "digests": {}}, None, 400, "no image id for 'nope:1'"),
        ("POST", "/v1/services/web/scale", {"replicas": -1}, None, 400, "replicas"),
        ("POST", "/v1/services/web/scale", {"replicas": "3"}, None, 400, "replicas"),
        ("POST", "/v1/services/nope/pause", None, None, 404, "no service 'nope'"),
        ("GET", "/v1/services/nope", None, None, 404, "no service 'nope'"),
        ("DELETE", "/v1/services/nope", None, None, 404, "no service 'nope'"),
        ("POST", "/v1/services/web/rollback", {"to": 7}, None, 409, "no revision 7"),
        ("POST", "/v1/services/web/rollback", {}, None, 409, "web"),
        ("GET", "/v1/nothing", None, None, 404, "no such path"),
    ]
    for method, path, body, raw, code, words in cases:
        status, reply = svc.api(method, path, body, raw=raw)
        assert status == code, (method, path, status, reply)
        assert words in reply["message"], (method, path, reply)
    assert svc.api("GET", "/v1/services")[1] == before
    # a request head that is not HTTP gets 400 and the API still answers
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(svc.sock))
        s.sendall(b"GET / HTTP/1.1\nHost: x\n\n")
        assert s.recv(100).startswith(b"HTTP/1.1 400")
    assert svc.api_ok()


def test_api_over_tcp_needs_the_token(svc, tmp_path):
    svc.berthd.kill()
    svc.berthd.wait()
    token = tmp_path / "token"
    token.write_text("s3cret-token-0123456789\n")
    svc.start_berthd("--listen", "127.0.0.1:7070", "--token-file", str(token))
    ask = ("import http.client, json, sys\n"
           "c = http.client.HTTPConnection('127.0.0.1', 7070, timeout=5)\n"
           "h = {'Authorization': sys.argv[2]} if sys.argv[2] else {}\n"
           "c.request(sys.argv[1], '/v1/services/web', body=sys.argv[3] or None, headers=h)\n"
           "r = c.getresponse(); print(r.status, r.read().decode())\n")
    body = json.dumps({"definition": definition(), "digests": {"web:1": svc.image_ids["web:1"]}})

    def tcp(method, auth, data=""):
        return svc.inns("/usr/bin/python3", "-c", ask, method, auth, data).stdout

    assert tcp("PUT", "", body).startswith("401 ")
    assert tcp("PUT", "Bearer wrong-token-0123456789", body).startswith("401 ")
    assert tcp("PUT", "Basic czNjcmV0", body).startswith("401 ")
    assert svc.api("GET", "/v1/services")[1] == []  # nothing changed
    assert tcp("PUT", "Bearer s3cret-token-0123456789", body).startswith("200 ")
    assert tcp("GET", "Bearer s3cret-token-0123456789").startswith("200 ")
    # the socket file is root's alone
    assert oct(svc.sock.stat().st_mode & 0o777) == "0o600"


def test_metrics_and_events(svc):
    svc.put(definition())
    svc.wait_healthy(3)
    for _ in range(5):
        assert svc.get().startswith("200 ")
    status, text = svc.api("GET", "/metrics")
    assert status == 200
    lines = text.splitlines()
    assert 'berth_service_replicas_desired{service="web"} 3' in lines
    assert 'berth_service_replicas_healthy{service="web"} 3' in lines
    assert 'berth_service_revision{service="web"} 1' in lines
    reqs = [l for l in lines if l.startswith('berth_proxy_requests_total{listen="0.0.0.0:8080"}')]
    assert reqs and int(reqs[0].split()[-1]) >= 5, reqs
    assert any(l.startswith("berth_proxy_request_duration_seconds_bucket") for l in lines)
    status, events = svc.api("GET", "/v1/events")
    kinds = [json.loads(line)["kind"] for line in events.splitlines()]
    assert kinds[:1] == ["start"] and "deploy" in kinds and "active" in kinds
    # since= resumes after an id
    last = json.loads(events.splitlines()[-1])["id"]
    assert svc.api("GET", f"/v1/events?since={last}")[1] == ""


def test_container_logs_through_the_api(svc):
    svc.put(definition(command=["sh", "-c", "echo hello from $(hostname); " + WEB]))
    s = svc.wait_healthy(3)
    c = s["containers"][0]
    status, text = svc.api("GET", f"/v1/containers/{c['name']}/logs")
    assert status == 200 and f"hello from {c['id'][:12]}" in text
    assert svc.api("GET", "/v1/containers/nope/logs")[0] == 404


def test_depends_on_healthy_holds_the_first_start(svc):
    db = definition(name="db", command=["sh", "-c", "sleep 3; touch /ready; exec sleep 1000"],
                    ports=[], deploy={"replicas": 1},
                    healthcheck={"kind": "exec", "command": ["test", "-f", "/ready"],
                                 "path": None, "port": 0, "start_period_ns": 10_000_000_000})
    app = definition(name="app", depends_on={"db": "service_healthy"},
                     deploy={"replicas": 1})
    assert svc.put(app)[0] == 200
    assert svc.put(db)[0] == 200
    wait_for(lambda: svc.service("db")["containers"], 20, "db started")
    time.sleep(1.5)
    assert svc.service("app")["containers"] == []  # db is not healthy yet
    svc.wait_healthy(1, name="db")
    s = svc.wait_healthy(1, name="app")
    db_healthy = svc.log().index("db active")
    assert svc.log().index("app active") > db_healthy
    assert s["containers"][0]["name"].startswith("app.1.")


def test_the_cli_drives_berthd(svc, tmp_path):
    """berth up / deploy / service / scale / rollback / down against the
    real berthd, from a Compose file with a build."""
    proj = tmp_path / "proj"
    (proj / "app").mkdir(parents=True)
    (proj / "app" / "Dockerfile").write_text("FROM busybox:test\nENV VERSION=v1\n")
    web = WEB.replace("'", "''")  # YAML single quotes; no interpolation in berth
    (proj / "compose.yaml").write_text(f"""
name: shop
services:
  web:
    build: ./app
    command: ["sh", "-c", '{web}']
    ports: ["{PORT}:80"]
    healthcheck: {{x-berth-http: {{path: /health, port: 80}}, interval: 500ms}}
    deploy: {{replicas: 2, update_config: {{monitor: 1s}}}}
    tty: true
""")

    def cli(*args):
        return subprocess.run(svc.argv(*args), capture_output=True, text=True, cwd=proj,
                              timeout=120)
    res = cli("up")
    assert res.returncode == 0, res.stderr
    assert "web: revision 1 deploying" in res.stdout
    assert "tty" in res.stderr and "not supported" in res.stderr  # named, not dropped
    svc.wait_healthy(2)
    assert svc.get().startswith("200 v1 ")
    assert "unchanged (revision 1)" in cli("up").stdout
    svc.build("web:2", "v2")
    assert cli("deploy", "web", "--image", "web:2").returncode == 0
    svc.wait_healthy(2, revision=2)
    assert svc.get().startswith("200 v2 ")
    ls = cli("service", "ls").stdout
    assert "web" in ls and "2/2" in ls
    hist = cli("service", "history", "web").stdout.splitlines()
    assert hist[1].split()[:3] == ["*", "2", "active"], hist
    assert cli("rollback", "web").returncode == 0
    svc.wait_healthy(2, revision=1)
    assert svc.get().startswith("200 v1 ")
    # an image that cannot serve: berth deploy waits, says berthd rolled it back, exits 1
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "Dockerfile").write_text("FROM busybox:test\nRUN touch /www\n")  # mkdir fails
    assert svc("build", "-q", "-t", "web:broken", broken).returncode == 0
    res = cli("deploy", "web", "--image", "web:broken")
    assert res.returncode == 1, res
    assert "ended before it was healthy; rolled back to revision 1" in res.stderr, res.stderr
    assert svc.get().startswith("200 v1 ")
    assert cli("scale", "web=1").returncode == 0
    svc.wait_healthy(1)
    ps = cli("service", "ps", "web").stdout.splitlines()
    assert len(ps) == 2 and ps[1].startswith("web.1.")
    assert cli("down").returncode == 0
    wait_for(lambda: svc.api("GET", "/v1/services")[1] == [], 30, "service removed")


def test_a_killed_proxy_is_started_again_with_its_routes(svc):
    svc.put(definition())
    svc.wait_healthy(3)
    old = svc.proxy_pid()
    assert old
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: svc.proxy_pid() not in (0, old), 10, "a new berth-proxy")
    wait_for(lambda: svc.get().startswith("200 v1 "), 10, "the service through the new proxy")
    assert "berth-proxy" in svc.log()


def test_a_stuck_api_client_is_timed_out(svc):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(svc.sock))
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")  # never finished
        s.settimeout(20)
        start = time.monotonic()
        answer = s.recv(200)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert 9 < time.monotonic() - start < 15
    assert svc.api_ok()


def test_ready_notification_for_systemd(svc, tmp_path):
    """Type=notify: READY=1 on $NOTIFY_SOCKET once the API answers."""
    svc.berthd.kill()
    svc.berthd.wait()
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(path))
        s.settimeout(10)
        svc.start_berthd(env={"NOTIFY_SOCKET": str(path)})
        assert s.recv(100) == b"READY=1"
    unit = svc("generate", "systemd").stdout.splitlines()
    assert "Type=notify" in unit and "KillMode=process" in unit
    assert f"ExecStart={BERTHD} --root {svc.store} --run-root {svc.run_root}" in unit, unit


def proxy_stats(svc):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(svc.run_root / "proxy.sock"))
        s.sendall(b'{"cmd":"stats"}\n')
        data = b""
        while not data.endswith(b"\n"):
            data += s.recv(65536)
    return json.loads(data)


def test_tcp_mode_and_least_connections(svc):
    svc.put(definition(proxy={"mode": "tcp", "balance": "least_conn"}))
    svc.wait_healthy(3)
    assert svc.get().startswith("200 v1 ")
    [listener] = proxy_stats(svc)["listeners"]
    assert (listener["listen"], listener["mode"], listener["balance"]) == \
        ("0.0.0.0:8080", "tcp", "least_conn")
    assert len(listener["backends"]) == 3


def test_sigterm_stops_berthd_alone(svc):
    svc.put(definition())
    before = svc.wait_healthy(3)
    svc.berthd.send_signal(signal.SIGTERM)
    assert svc.berthd.wait(timeout=10) == 0
    assert "berthd stopped; replicas and berth-proxy go on" in svc.log()
    assert not svc.sock.exists()
    # the data plane serves on without its control plane
    for _ in range(6):
        assert svc.get().startswith("200 v1 ")
    svc.start_berthd()
    assert replica_names(svc.wait_healthy(3)) == replica_names(before)


def test_requests_in_flight_finish_across_an_upgrade(svc):
    """Each old replica leaves the proxy first and is stopped only once
    nothing is in flight on it: 1 s requests never see one stop."""
    svc.build("web:2", "v2")
    svc.put(definition())
    svc.wait_healthy(3)
    res = svc.inns("curl", "-s", "-i", "http://127.0.0.1:8080/cgi-bin/slow", check=False)
    assert "slow" in res.stdout, res
    loads = [svc.load(path="/cgi-bin/slow") for _ in range(6)]
    time.sleep(1.5)
    svc.api("POST", "/v1/services/web/deploy",
            {"image": "web:2", "digest": svc.image_ids["web:2"]})
    svc.wait_healthy(3, revision=2)
    results = [svc.stop_load(p) for p in loads]
    assert all(r["fail"] == {} for r in results), results
    assert sum(r["ok"] for r in results) >= 12, results


def test_container_log_follow_through_the_api(svc):
    ticker = "(i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done) & " + WEB
    svc.put(definition(command=["sh", "-c", ticker], deploy={"replicas": 1}))
    c = svc.wait_healthy(1)["containers"][0]
    conn = UnixHTTP(svc.sock, timeout=10)
    conn.request("GET", f"/v1/containers/{c['id']}/logs?follow=1")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
    ticks, deadline = [], time.monotonic() + 8
    while len(ticks) < 15 and time.monotonic() < deadline:
        line = r.readline().decode()
        if " tick " in line:
            ticks.append(int(line.split()[-1]))
    conn.close()
    # what was logged before the request, then what came while it was open,
    # each line once and in order
    assert len(ticks) == 15 and ticks == list(range(ticks[0], ticks[0] + 15)), ticks
    assert ticks[0] == 0
