"""The services CLI (berth up, down, deploy, rollback, scale, service *,
generate systemd) against a fake berthd: a small HTTP server on the unix
socket <run_root>/berthd.sock that implements enough of the API contract
and records every request, so that the tests can check what berth sends
(and that it sends nothing when a file or an image is wrong), what it
prints and how it exits.  `service logs` reads real kept containers made
with `berth run -d`."""

import json
import os
import re
import signal
import socket
import socketserver
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import berth_binary, wait_for
from test_run import busybox_tar

BERTH = berth_binary()


class FakeBerthd:
    """berthd's API, in memory.  requests: (method, path, raw body) in
    order; fail: (method, path) -> (status, body) answered instead."""

    def __init__(self, sock: Path):
        self.sock = sock
        self.requests = []
        self.services = {}
        self.fail = {}
        self.events = []
        self.events_streamed = False
        self.deploy_fails = None  # a failure message: berthd rolls deploys back
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self, method):
                n = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(n) if n else b""
                fake.requests.append((method, self.path, raw))
                status, body = fake.fail.get((method, self.path)) or fake.answer(
                    method, self.path, json.loads(raw) if raw else None)
                self.close_connection = True
                if isinstance(body, list) and body and isinstance(body[0], bytes):
                    return self.chunked(status, body)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def chunked(self, status, parts):
                self.send_response(status)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for p in parts:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(p), p))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def do_GET(self):
                self.handle_one("GET")

            def do_PUT(self):
                self.handle_one("PUT")

            def do_POST(self):
                self.handle_one("POST")

            def do_DELETE(self):
                self.handle_one("DELETE")

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(str(sock), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.sock.unlink(missing_ok=True)

    def sent(self, method=None):
        return [(m, p, json.loads(b) if b else None) for m, p, b in self.requests
                if method is None or m == method]

    def summary(self, name):
        s = self.services[name]
        return {"name": name, "revision": s["revision"], "status": s.get("status", "active"),
                "failure": s.get("failure"),
                "paused": s.get("paused", False), "replicas": s.get("replicas", 1),
                "running": 1, "healthy": s.get("healthy", 1),
                "image": s["definition"]["image"], "ports": s.get("ports", [])}

    def answer(self, method, path, body):
        m = re.fullmatch(r"/v1/services/([^/?]+)(/[a-z]+)?", path)
        if path == "/v1/services" and method == "GET":
            return 200, [self.summary(n) for n in sorted(self.services)]
        if path.startswith("/v1/events"):
            # berthd streams them either way; the contract allows a list too
            lines = [json.dumps(e).encode() + b"\n" for e in self.events]
            return 200, lines if "follow=1" in path or self.events_streamed else self.events
        if not m:
            return 404, {"message": f"no route {path}"}
        name, action = m.group(1), m.group(2)
        s = self.services.get(name)
        if method == "PUT":
            if s and s["definition"] == body["definition"] and s["digests"] == body["digests"]:
                return 200, {"name": name, "revision": s["revision"], "changed": False}
            rev = s["revision"] + 1 if s else 1
            self.services[name] = {**(s or {}), "revision": rev, **body}
            return 200, {"name": name, "revision": rev, "changed": True}
        if not s:
            return 404, {"message": f"no such service: {name}"}
        if method == "DELETE":
            del self.services[name]
            return 200, {"name": name}
        if method == "GET" and not action:
            return 200, {**self.summary(name), "definition": s["definition"],
                         "digests": s["digests"], "containers": s.get("containers", [])}
        if method == "GET" and action == "/history":
            return 200, s.get("history", [])
        if action == "/deploy":
            s["revision"] += 1
            rev = s["revision"]
            if self.deploy_fails:  # berthd rolls it back by itself
                s["revision"] -= 1
                s["failure"] = self.deploy_fails
            return 200, {"name": name, "revision": rev, "changed": True}
        if action == "/rollback":
            s["revision"] = body.get("to", s["revision"] - 1)
            return 200, {"name": name, "revision": s["revision"]}
        if action == "/scale":
            s["replicas"] = body["replicas"]
            return 200, {"name": name, "replicas": body["replicas"]}
        if action in ("/pause", "/resume"):
            s["paused"] = action == "/pause"
            return 200, {"name": name, "paused": s["paused"]}
        return 404, {"message": f"no route {path}"}


class Cli:
    def __init__(self, root: Path, cwd: Path):
        self.store = root / "store"
        self.run_root = root / "run"
        self.cwd = cwd

    def __call__(self, *args, timeout=60):
        argv = [str(BERTH), "--root", str(self.store), "--run-root", str(self.run_root),
                *map(str, args)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              cwd=self.cwd)

    def ok(self, *args):
        res = self(*args)
        assert res.returncode == 0, f"berth {' '.join(map(str, args))}: {res.stderr}"
        return res

    def fails(self, *args):
        res = self(*args)
        assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
        assert res.stderr.startswith("berth: "), res.stderr
        return res

    def image_id(self, ref):
        return json.loads(self.ok("inspect", "--type", "image", ref).stdout)[0]["Id"]


@pytest.fixture
def cli(short_tmp):
    """berth with its store (a busybox image "bb"), its run root and a
    project directory "My App" as the working directory."""
    project = short_tmp / "My App"
    project.mkdir()
    c = Cli(short_tmp, project)
    c.run_root.mkdir()
    busybox_tar(short_tmp / "bb.tar")
    c.ok("import", "--change", 'CMD ["sh"]', short_tmp / "bb.tar", "bb")
    yield c
    ids = c("ps", "-aq", "--no-trunc").stdout.split()
    if ids:
        c("rm", "-f", *ids)
    subprocess.run(["umount", "-R", str(c.store / "containers")], capture_output=True)


@pytest.fixture
def berthd(cli):
    fake = FakeBerthd(cli.run_root / "berthd.sock")
    yield fake
    fake.close()


def write(cli, text, name="compose.yaml"):
    (cli.cwd / name).write_text(text)


APP = """\
services:
  web:
    image: bb
    command: ["httpd", "-f"]
    ports: ["8080:80"]
    deploy:
      replicas: 3
    depends_on: [db]
  db:
    image: bb
    environment:
      B: "2"
      A: "1"
"""


# --------------------------------------------------------------------------
# up


def test_up_puts_canonical_definitions_with_digests_dependencies_first(cli, berthd):
    write(cli, APP)
    res = cli.ok("up")
    assert res.stdout.splitlines() == ["db: revision 1 deploying", "web: revision 1 deploying"]
    puts = berthd.requests
    assert [(m, p) for m, p, _ in puts] == [("PUT", "/v1/services/db"), ("PUT", "/v1/services/web")]
    image = cli.image_id("bb")
    for _, _, raw in puts:
        body = json.loads(raw)
        # the canonical form: keys sorted, compact, every field there
        assert raw.decode() == json.dumps(body, sort_keys=True, separators=(",", ":"),
                                          ensure_ascii=False)
        assert body["digests"] == {"bb": image}
    web = json.loads(puts[1][2])["definition"]
    db = json.loads(puts[0][2])["definition"]
    assert web["name"] == "web" and web["image"] == "bb"
    assert web["command"] == ["httpd", "-f"]
    assert web["deploy"]["replicas"] == 3
    assert list(web["depends_on"]) == ["db"]
    assert web["ports"][0]["published"] == 8080 and web["ports"][0]["target"] == 80
    assert db["environment"] == {"A": "1", "B": "2"}
    assert {"healthcheck", "restart", "volumes", "labels", "stop_signal"} <= set(web)


def test_up_again_is_unchanged_and_names_select_services_with_dependencies(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    first = list(berthd.requests)
    res = cli.ok("up", "web")
    assert res.stdout.splitlines() == ["db: unchanged (revision 1)", "web: unchanged (revision 1)"]
    assert berthd.requests[2:] == first  # the same bytes again
    res = cli.fails("up", "nope")
    assert "no service 'nope'" in res.stderr
    assert len(berthd.requests) == 4


def test_up_reads_berth_yaml_first_and_f(cli, berthd):
    write(cli, "services:\n  other:\n    image: bb\n", "berth.yaml")
    write(cli, APP)
    cli.ok("up")
    assert [p for _, p, _ in berthd.requests] == ["/v1/services/other"]
    (cli.cwd / "elsewhere.yml").write_text("services:\n  x:\n    image: bb\n")
    cli.ok("up", "-f", "elsewhere.yml")
    assert berthd.requests[-1][1] == "/v1/services/x"


def test_up_without_a_file(cli, berthd):
    res = cli.fails("up")
    assert "no berth.yaml or compose.yaml" in res.stderr
    res = cli.fails("up", "-f", "missing.yaml")
    assert "missing.yaml" in res.stderr
    assert berthd.requests == []


@pytest.mark.parametrize("text, words", [
    ("services:\n  web:\n    image: bb\n    ports: [\"80:abc\"]\n", ["compose.yaml:4", "ports"]),
    ("services:\n  web:\n    image: bb\n    depends_on: [ghost]\n", ["ghost"]),
    ("services: [\n", ["compose.yaml"]),
    ("services:\n  web:\n    image: bb\n    deploy:\n      replicas: -2\n", ["replicas"]),
])
def test_a_bad_file_sends_nothing(cli, berthd, text, words):
    write(cli, text)
    res = cli.fails("up")
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    for w in words:
        assert w in res.stderr, res.stderr
    assert berthd.requests == []


def test_an_unknown_image_sends_nothing(cli, berthd):
    write(cli, APP + "  cache:\n    image: nope:1\n")
    res = cli.fails("up")
    assert "cache" in res.stderr and "nope:1" in res.stderr
    assert berthd.requests == []


def test_warnings_are_printed(cli, berthd):
    write(cli, "services:\n  web:\n    image: bb\n    privileged: true\n")
    res = cli.ok("up")
    assert re.search(r"^warning: .*privileged", res.stderr, re.M), res.stderr


def test_up_builds_and_tags_project_service(cli, berthd):
    ctx = cli.cwd / "app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM bb\nENV GREETING=hi\n")
    write(cli, "services:\n  Web:\n    build: ./app\n  api:\n    image: api:v2\n    build:\n"
               "      context: app\n      args:\n        X: \"1\"\n")
    res = cli.ok("up")
    assert "Web: revision 1 deploying" in res.stdout
    # the project is the directory's name, lowercased, the blank replaced
    web = cli.image_id("my-app-web:latest")
    api = cli.image_id("api:v2")
    bodies = {p.rsplit("/", 1)[1]: b for _, p, b in berthd.sent("PUT")}
    assert bodies["Web"]["digests"] == {"my-app-web:latest": web}
    assert bodies["Web"]["definition"]["image"] == "my-app-web:latest"
    assert bodies["api"]["digests"] == {"api:v2": api}


def test_up_no_build_needs_the_image(cli, berthd):
    (cli.cwd / "app").mkdir()
    (cli.cwd / "app" / "Dockerfile").write_text("FROM bb\n")
    write(cli, "name: shop\nservices:\n  web:\n    build: ./app\n")
    res = cli.fails("up", "--no-build")
    assert "shop-web:latest" in res.stderr and "web" in res.stderr
    assert berthd.requests == []


def test_berthd_not_running(cli):
    write(cli, APP)
    sock = cli.run_root / "berthd.sock"
    for args in (["up"], ["service", "ls"], ["down", "web"], ["scale", "web=2"]):
        res = cli.fails(*args)
        assert res.stderr.strip() == (f"berth: berthd is not running (no socket at {sock}): "
                                      "start it with `berthd`"), res.stderr


def test_server_errors_are_printed(cli, berthd):
    write(cli, APP)
    berthd.fail[("PUT", "/v1/services/web")] = (400, {"message": "services.web.ports[0]: taken"})
    res = cli.fails("up")
    assert res.stdout.splitlines() == ["db: revision 1 deploying"]
    assert res.stderr.strip() == "berth: web: services.web.ports[0]: taken"
    berthd.fail[("GET", "/v1/services")] = (500, "not an object")
    res = cli.fails("service", "ls")
    assert "500" in res.stderr


# --------------------------------------------------------------------------
# deploy, rollback, scale, pause, resume, down


def test_deploy_rollback(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    res = cli.ok("deploy", "-d", "web", "--image", "bb")
    assert res.stdout == "web: revision 2 deploying\n"
    assert berthd.sent()[-1] == ("POST", "/v1/services/web/deploy",
                                 {"image": "bb", "digest": cli.image_id("bb")})
    n = len(berthd.requests)
    res = cli.fails("deploy", "web", "--image", "nope:2")
    assert "nope:2" in res.stderr
    cli.fails("deploy", "web")
    assert len(berthd.requests) == n
    res = cli.ok("rollback", "-d", "web")
    assert res.stdout == "web: rolling back to revision 1\n"
    assert berthd.sent()[-1] == ("POST", "/v1/services/web/rollback", {})
    cli.ok("rollback", "web", "--to", "1")
    assert berthd.sent("POST")[-1][2] == {"to": 1}  # then it waits (GETs)
    cli.fails("rollback", "web", "--to", "zero")
    berthd.fail[("POST", "/v1/services/web/rollback")] = (409, {"message": "nothing to roll back to"})
    res = cli.fails("rollback", "web")
    assert res.stderr.strip() == "berth: web: nothing to roll back to"
    res = cli.fails("deploy", "ghost", "--image", "bb")
    assert "no such service: ghost" in res.stderr


def test_deploy_waits_for_the_outcome(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    res = cli.ok("deploy", "web", "--image", "bb")
    assert res.stdout.splitlines() == ["web: revision 2 deploying",
                                       "web: revision 2 is active (1/1 healthy)"]
    # berthd rolled the new revision back: the deploy fails and says why
    berthd.deploy_fails = "revision 3: replica web.3.4 turned unhealthy"
    res = cli.fails("deploy", "web", "--image", "bb")
    assert res.stdout == "web: revision 3 deploying\n"
    assert res.stderr.strip() == ("berth: web: revision 3: replica web.3.4 turned unhealthy; "
                                  "rolled back to revision 2")
    # a first revision that failed has nowhere to go back to
    berthd.deploy_fails = None
    berthd.services["web"]["status"] = "failed"
    berthd.services["web"]["failure"] = "revision 4: replica web.4.5 ended before it was healthy"
    res = cli.fails("deploy", "web", "--image", "bb")
    assert "no earlier revision to roll back to" in res.stderr


def test_scale_checks_every_argument_first(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    n = len(berthd.requests)
    for bad in ("web=-1", "web=1001", "web", "web=two"):
        res = cli.fails("scale", "db=2", bad)
        assert bad in res.stderr or "SERVICE=REPLICAS" in res.stderr
    assert len(berthd.requests) == n
    res = cli.ok("scale", "web=5", "db=0")
    assert res.stdout.splitlines() == ["web: scaled to 5", "db: scaled to 0"]
    assert berthd.sent()[-2:] == [("POST", "/v1/services/web/scale", {"replicas": 5}),
                                  ("POST", "/v1/services/db/scale", {"replicas": 0})]


def test_pause_resume(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    assert cli.ok("service", "pause", "web").stdout == "web: paused\n"
    assert "(PAUSED)" in cli.ok("service", "ls").stdout
    assert cli.ok("service", "resume", "web").stdout == "web: resumed\n"
    assert [p for m, p, _ in berthd.requests if m == "POST"] == [
        "/v1/services/web/pause", "/v1/services/web/resume"]
    cli.fails("service", "pause", "ghost")


def test_down_file_names_or_everything(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    res = cli.ok("down")
    # dependents first
    assert res.stdout.splitlines() == ["web: removed", "db: removed"]
    assert [(m, p) for m, p, _ in berthd.requests[2:]] == [
        ("DELETE", "/v1/services/web"), ("DELETE", "/v1/services/db")]
    # a service of the file that is not deployed is already down
    assert cli.ok("down").stdout.splitlines() == ["web: not deployed", "db: not deployed"]
    cli.ok("up")
    res = cli.fails("down", "db", "ghost")
    assert "ghost" in res.stderr and "db: removed" in res.stdout
    (cli.cwd / "compose.yaml").unlink()
    res = cli.ok("down")
    assert res.stdout == "web: removed\n"
    assert berthd.requests[-2][:2] == ("GET", "/v1/services")
    assert berthd.services == {}


# --------------------------------------------------------------------------
# service ls, ps, inspect, history, events


def container(i, cid, **kw):
    return {"id": cid, "name": f"web.{i}.1", "revision": 1, "state": "running",
            "health": "healthy", "ip": f"10.87.0.{i + 1}", "routed": True, "retiring": False, **kw}


def test_ls_ps_inspect_history(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    berthd.services["web"]["ports"] = ["8080:80", "8443:443"]
    berthd.services["web"]["healthy"] = 2
    berthd.services["web"]["replicas"] = 3
    lines = cli.ok("service", "ls").stdout.splitlines()
    assert lines[0].split() == ["NAME", "REVISION", "STATUS", "REPLICAS", "IMAGE", "PORTS"]
    assert lines[2].split() == ["web", "1", "active", "2/3", "bb", "8080:80,", "8443:443"]
    assert [s["name"] for s in json.loads(cli.ok("service", "ls", "--format", "json").stdout)] == \
        ["db", "web"]
    cli.fails("service", "ls", "--format", "xml")

    berthd.services["web"]["containers"] = [
        container(1, "a" * 64), container(2, "b" * 64, state="exited", routed=False, retiring=True)]
    lines = cli.ok("service", "ps", "web").stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "REVISION", "STATE", "HEALTH", "IP", "ROUTED"]
    assert lines[1].split() == ["web.1.1", "a" * 12, "1", "running", "healthy", "10.87.0.2", "yes"]
    assert lines[2].split() == ["web.2.1", "b" * 12, "1", "exited", "(retiring)", "healthy",
                                "10.87.0.3", "no"]
    assert len(json.loads(cli.ok("service", "ps", "--format", "json", "web").stdout)) == 2

    got = json.loads(cli.ok("service", "inspect", "web", "db").stdout)
    assert [s["name"] for s in got] == ["web", "db"]
    assert got[0]["definition"]["name"] == "web"
    res = cli.fails("service", "inspect", "web", "ghost")
    assert [s["name"] for s in json.loads(res.stdout)] == ["web"]
    assert "no such service: ghost" in res.stderr

    now = int(time.time())
    berthd.services["web"]["history"] = [
        {"revision": 2, "status": "active", "created": now - 120, "image": "bb:2",
         "digest": "sha256:" + "2" * 64, "current": True},
        {"revision": 1, "status": "rolled-back", "created": now - 7200, "image": "bb",
         "digest": "sha256:" + "1" * 64, "current": False}]
    lines = cli.ok("service", "history", "web").stdout.splitlines()
    assert lines[0].split() == ["REVISION", "STATUS", "CREATED", "IMAGE"]
    assert lines[1].split()[:3] == ["*", "2", "active"] and lines[1].endswith("bb:2")
    assert "minutes ago" in lines[1] and "hours ago" in lines[2]
    assert lines[2].split()[:2] == ["1", "rolled-back"]
    cli.fails("service", "history", "ghost")
    res = cli.fails("service", "bogus")
    assert "ls" in res.stderr


def test_events_listed_and_streamed(cli, berthd):
    berthd.events = [{"id": 1, "time": 1700000000, "service": "web", "kind": "deploy",
                      "message": "revision 2"},
                     {"id": 2, "time": "2026-11-22T05:00:00Z", "service": "web",
                      "kind": "health", "message": "web.1.2 healthy"}]
    want = ["2023-11-14T22:13:20Z web deploy revision 2",
            "2026-11-22T05:00:00Z web health web.1.2 healthy"]
    assert cli.ok("service", "events").stdout.splitlines() == want
    berthd.events_streamed = True
    assert cli.ok("service", "events").stdout.splitlines() == want
    assert berthd.requests[-1][1] == "/v1/events?since=0"
    assert cli.ok("service", "events", "-f", "--since", "1").stdout.splitlines() == want
    assert berthd.requests[-1][1] == "/v1/events?since=1&follow=1"
    berthd.fail[("GET", "/v1/events?since=0")] = (200, [b"{\"id\": 3}\n", b"oops\n"])
    res = cli.fails("service", "events")
    assert "not JSON" in res.stderr


# --------------------------------------------------------------------------
# service logs: real kept containers, named by the fake berthd


def run_d(cli, name, script):
    return cli.ok("run", "-d", "--name", name, "bb", "sh", "-c", script).stdout.strip()


def wait_exited(cli, cid):
    wait_for(lambda: json.loads(cli.ok("inspect", "--type", "container", cid).stdout)[0]
             ["State"]["Status"] == "exited", 10, f"{cid} exited")


def test_service_logs_prefixes_and_merges(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    a = run_d(cli, "web.1.1", "echo one; sleep 0.2; echo three >&2")
    wait_for(lambda: "one" in cli.ok("logs", a).stdout, 10, "first line")
    b = run_d(cli, "web.2.1", "echo two; sleep 0.5; echo four")
    for cid in (a, b):
        wait_exited(cli, cid)
    # a replica removed since berthd listed it has nothing to show
    berthd.services["web"]["containers"] = [container(1, a), container(2, b),
                                             container(3, "c" * 64)]
    res = cli.ok("service", "logs", "web")
    assert res.stdout.splitlines() == ["web.1.1 | one", "web.2.1 | two", "web.2.1 | four"]
    assert res.stderr.splitlines() == ["web.1.1 | three"]
    res = cli.ok("service", "logs", "--tail", "1", "-t", "web")
    assert re.fullmatch(r"web\.2\.1 \| \d{4}-\d\d-\d\dT\S+Z four\n", res.stdout), res.stdout
    res = cli.fails("service", "logs", "ghost")
    assert "no such service: ghost" in res.stderr


def test_service_logs_long_lines_come_back_whole(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    a = run_d(cli, "web.1.1", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo after")
    wait_exited(cli, a)
    berthd.services["web"]["containers"] = [container(1, a)]
    # the monitor writes it as partial entries of 16 KiB
    assert cli.ok("service", "logs", "web").stdout.splitlines() == [
        "web.1.1 | " + "a" * 40000, "web.1.1 | after"]


def test_service_logs_follow_picks_up_new_replicas(cli, berthd):
    write(cli, APP)
    cli.ok("up")
    a = run_d(cli, "web.1.1", "echo first; while sleep 0.3; do echo tick; done")
    berthd.services["web"]["containers"] = [container(1, a)]
    argv = [str(BERTH), "--root", str(cli.store), "--run-root", str(cli.run_root),
            "service", "logs", "-f", "web"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []

        def saw(text):
            while text not in "".join(lines):
                lines.append(proc.stdout.readline())
                assert lines[-1], "".join(lines) + proc.stderr.read()
            return True

        saw("web.1.1 | first")
        saw("web.1.1 | tick")
        b = run_d(cli, "web.2.1", "echo late; sleep 30")
        berthd.services["web"]["containers"].append(container(2, b))
        deadline = threading.Timer(15, proc.kill)
        deadline.start()
        saw("web.2.1 | late")
        deadline.cancel()
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


# --------------------------------------------------------------------------
# generate systemd


def test_generate_systemd(cli):
    res = cli.ok("generate", "systemd", "--root", "/srv/berth", "--run-root", "/run/b x%")
    unit = res.stdout.splitlines()
    berthd = Path(os.path.realpath(BERTH)).parent / "berthd"
    assert f'ExecStart={berthd} --root /srv/berth --run-root "/run/b x%%"' in unit
    for line in ("Type=notify", "NotifyAccess=main", "Restart=always", "KillMode=process",
                 "WantedBy=multi-user.target", "[Service]", "[Install]"):
        assert line in unit, res.stdout
    assert not any(line.startswith("Delegate") for line in unit)
    # the global roots by default
    res = cli.ok("generate", "systemd")
    assert f"--root {cli.store} --run-root {cli.run_root}" in res.stdout
    res = cli.fails("generate", "systemd", "--root", "relative")
    assert "absolute" in res.stderr


# --------------------------------------------------------------------------
# a broken peer on the socket


@pytest.mark.parametrize("reply, words", [
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "berthd's response"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1,", "cut short"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n", "64 MiB"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000, "head larger than the limit"),
    (b"", "closed the connection without a response"),
])
def test_a_broken_peer_is_a_one_line_error(cli, reply, words):
    sock_path = cli.run_root / "berthd.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock_path))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        conn.recv(65536)
        try:
            conn.sendall(reply)
        except OSError:
            pass  # berth stopped reading: what the cap is for
        conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        res = cli.fails("service", "ls")
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert words in res.stderr, res.stderr
    finally:
        t.join(10)
        srv.close()
        sock_path.unlink()
