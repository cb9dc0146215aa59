"""berth-proxy driven as a process: HTTP and TCP proxying, atomic backend
switches with draining, hostile clients, and the control socket.  The
backends are Python servers on 127.0.0.1 in this process's threads."""
import http.client
import json
import os
import socket
import socketserver
import stat
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import berth_binary, stop_process

HEADER_TIMEOUT_MS = 1000
MAX_CONNS_PER_IP = 24


def proxy_binary():
    return os.environ.get("BERTH_PROXY") or str(berth_binary().parent / "berth-proxy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests += 1
            srv.peers.add(self.client_address)
            srv.last_headers = dict(self.headers)
        if self.path.startswith("/slow/"):
            time.sleep(int(self.path.split("/")[2]) / 1000)
        if self.path == "/ws":
            self.send_response(101)
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "echo")
            self.end_headers()
            self.wfile.flush()
            while data := self.rfile.read1(4096):
                self.wfile.write(data)
                self.wfile.flush()
            self.close_connection = True
            return
        self.reply(srv.name.encode())

    def do_POST(self):
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while (size := int(self.rfile.readline().strip(), 16)) > 0:
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.requests += 1
        self.reply(self.server.name.encode() + b":" + body)


class ShortKeepAliveHandler(Handler):
    timeout = 0.2  # closes idle keep-alive connections, as many servers do


class LoopbackServer:
    """A test server on 127.0.0.1 that serves in a thread of its own."""

    @property
    def addr(self):
        return f"127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class Backend(LoopbackServer, ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name, handler=Handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.name = name
        self.lock = threading.Lock()
        self.requests = 0
        self.peers = set()
        self.last_headers = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(4096):
            self.request.sendall(data)


class EchoServer(LoopbackServer, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EchoHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Proxy:
    def __init__(self, tmp_path, *args):
        self.ctl_path = str(tmp_path / "proxy.sock")
        self.stderr = open(tmp_path / "proxy.err", "w+")
        self.proc = subprocess.Popen(
            [proxy_binary(), "--control", self.ctl_path,
             "--header-timeout-ms", str(HEADER_TIMEOUT_MS),
             "--max-conns-per-ip", str(MAX_CONNS_PER_IP),
             "--backend-timeout-ms", "10000", *args],
            stderr=self.stderr)
        self.ctl = None
        deadline = time.monotonic() + 10
        while self.ctl is None:
            try:
                self.ctl = self.connect()
            except OSError:
                assert self.proc.poll() is None, "berth-proxy exited"
                assert time.monotonic() < deadline, "no control socket"
                time.sleep(0.02)

    def connect(self):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(self.ctl_path)
        except OSError:
            s.close()
            raise
        return s.makefile("rw")

    def request(self, req, ctl=None):
        ctl = ctl or self.ctl
        ctl.write(json.dumps(req) + "\n")
        ctl.flush()
        return json.loads(ctl.readline())

    def set(self, port, backends, **kw):
        reply = self.request({"cmd": "set", "listen": f"127.0.0.1:{port}",
                              "backends": [{"addr": b} for b in backends], **kw})
        assert reply == {"ok": True}, reply
        return port

    def stats(self):
        reply = self.request({"cmd": "stats"})
        assert reply["ok"], reply
        return reply["listeners"]

    def stop(self):
        if self.ctl:
            self.ctl.close()
        stop_process(self.proc)
        self.stderr.seek(0)
        errors = self.stderr.read()
        self.stderr.close()
        return errors


@pytest.fixture
def proxy(tmp_path):
    p = Proxy(tmp_path)
    yield p
    errors = p.stop()
    # a sanitizer report or a crash fails the test that caused it
    assert p.proc.returncode == 0, errors
    assert "Sanitizer" not in errors, errors


@pytest.fixture
def backends():
    started = []

    def start(*names):
        new = [Backend(n) for n in names]
        started.extend(new)
        return new

    yield start
    for b in started:
        b.stop()


def get(port, path="/", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def raw(port, data, timeout=5):
    """Send data, return everything the proxy sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_control_socket_is_root_only(proxy):
    assert stat.S_IMODE(os.stat(proxy.ctl_path).st_mode) == 0o600


def test_round_robin(proxy, backends):
    a, b = backends("a", "b")
    port = proxy.set(free_port(), [a.addr, b.addr])
    seen = [get(port)[1] for _ in range(6)]
    assert seen == ["a", "b"] * 3


def test_least_conn_prefers_idle_backend(proxy, backends):
    a, b = backends("a", "b")
    port = proxy.set(free_port(), [a.addr, b.addr], balance="least_conn")
    slow = threading.Thread(target=get, args=(port, "/slow/1500"))
    slow.start()
    time.sleep(0.3)
    busy = "a" if a.requests else "b"
    seen = {get(port)[1] for _ in range(4)}
    slow.join()
    assert busy not in seen


def test_keep_alive_reuse(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(5):
        conn.request("GET", "/")
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"a")
    client_port = conn.sock.getsockname()[1]
    conn.close()
    # one client connection served them all, and one pooled backend one
    assert len(a.peers) == 1
    assert proxy.stats()[0]["accepted"] == 1, client_port


def test_pooled_connection_closed_by_backend(proxy):
    a = Backend("a", ShortKeepAliveHandler)
    try:
        port = proxy.set(free_port(), [a.addr])
        for _ in range(3):
            assert get(port) == (200, "a")
            time.sleep(0.5)  # the backend closes the pooled connection meanwhile
        assert len(a.peers) == 3
        (l,) = proxy.stats()
        assert l["backends"][0]["failures"] == 0 and l["backends"][0]["idle"] == 0
    finally:
        a.stop()


def test_pipelined_requests(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    out = raw(port, req * 2 + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200") == 3
    assert out.endswith(b"a")


def test_x_forwarded_headers(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    get(port, headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert a.last_headers["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert a.last_headers["X-Forwarded-Proto"] == "http"
    get(port)
    assert a.last_headers["X-Forwarded-For"] == "127.0.0.1"


def test_request_bodies(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", body=b"x" * 200000)
    r = conn.getresponse()
    assert r.read() == b"a:" + b"x" * 200000
    conn.request("POST", "/", body=iter([b"hello ", b"world"]), encode_chunked=True)
    r = conn.getresponse()
    assert r.read() == b"a:hello world"
    conn.close()


def test_upgrade_tunnel(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 101")
        for msg in (b"hello", b"\x00\x01binary\xff" * 1000):
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += s.recv(65536)
            assert got == msg


def test_tcp_mode(proxy):
    echo = EchoServer()
    try:
        port = proxy.set(free_port(), [echo.addr], mode="tcp")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            data = os.urandom(300000)
            threading.Thread(target=s.sendall, args=(data,)).start()
            got = b""
            while len(got) < len(data):
                got += s.recv(65536)
            assert got == data
            s.shutdown(socket.SHUT_WR)
            assert s.recv(10) == b""  # the half-close went through and back
    finally:
        echo.stop()


def test_failed_backend_is_skipped(proxy, backends):
    (a,) = backends("a")
    dead = f"127.0.0.1:{free_port()}"
    port = proxy.set(free_port(), [dead, a.addr])
    assert [get(port) for _ in range(4)] == [(200, "a")] * 4
    (stats,) = proxy.stats()
    assert {b["addr"]: b["failures"] > 0 for b in stats["backends"]} == {dead: True, a.addr: False}


def test_silent_backend_is_504(tmp_path, backends):
    (a,) = backends("a")
    p = Proxy(tmp_path, "--backend-timeout-ms", "500")
    try:
        port = p.set(free_port(), [a.addr])
        start = time.monotonic()
        assert get(port, "/slow/3000")[0] == 504
        assert time.monotonic() - start < 2
        assert p.stats()[0]["responses"]["5xx"] == 1
    finally:
        errors = p.stop()
    assert p.proc.returncode == 0, errors


def test_bad_command_line(tmp_path):
    for args in (["--control"], [], ["--control", str(tmp_path / "s"), "--pool-size", "x"],
                 ["--control", str(tmp_path / "no/such/dir/s")]):
        r = subprocess.run([proxy_binary(), *args], capture_output=True, text=True, timeout=10)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(lines) == 1, (args, r.stderr)
    assert not (tmp_path / "s").exists()


def test_no_backends_is_503(proxy):
    port = proxy.set(free_port(), [])
    assert get(port)[0] == 503


def test_switch_with_slow_request_in_flight(proxy, backends):
    a, b = backends("a", "b")
    port = proxy.set(free_port(), [a.addr])
    result = {}
    slow = threading.Thread(target=lambda: result.update(r=get(port, "/slow/1500")))
    slow.start()
    time.sleep(0.4)
    proxy.set(port, [b.addr], drain_timeout_ms=10000)
    assert [get(port)[1] for _ in range(3)] == ["b"] * 3
    (stats,) = proxy.stats()
    assert [x["draining"] for x in stats["backends"] if x["addr"] == a.addr] == [True]
    slow.join()
    assert result["r"] == (200, "a")
    # drained and gone once its last request ended
    assert [x["addr"] for x in proxy.stats()[0]["backends"]] == [b.addr]


def test_drain_timeout_closes_in_flight(proxy, backends):
    a, b = backends("a", "b")
    port = proxy.set(free_port(), [a.addr])
    errors = []

    def slow():
        try:
            get(port, "/slow/4000")
        except (OSError, http.client.HTTPException) as e:
            errors.append(e)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    start = time.monotonic()
    proxy.set(port, [b.addr], drain_timeout_ms=300)
    t.join()
    assert errors and time.monotonic() - start < 2.5


def test_zero_failures_while_switching(proxy, backends):
    a, b, c = backends("a", "b", "c")
    port = proxy.set(free_port(), [a.addr, b.addr], drain_timeout_ms=5000)
    stop = threading.Event()
    failures, seen = [], []

    def loop():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", "/")
                r = conn.getresponse()
                body = r.read().decode()
                if r.status != 200:
                    failures.append(r.status)
                seen.append(body)
            except (OSError, http.client.HTTPException) as e:
                failures.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for t in threads:
        t.start()
    sets = [[c.addr], [a.addr, c.addr], [b.addr], [a.addr, b.addr, c.addr], [a.addr]] * 2
    for s in sets:
        time.sleep(0.15)
        proxy.set(port, s, drain_timeout_ms=5000)
    time.sleep(0.15)
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
    assert len(seen) > 100 and set(seen) == {"a", "b", "c"}
    # after the last switch only a answers
    assert {get(port)[1] for _ in range(4)} == {"a"}


def test_control_client_disconnect_keeps_serving(proxy, backends):
    (a,) = backends("a")
    ctl = proxy.connect()
    port = free_port()
    assert proxy.request({"cmd": "set", "listen": f"127.0.0.1:{port}",
                          "backends": [{"addr": a.addr}]}, ctl) == {"ok": True}
    ctl.close()
    proxy.ctl.close()
    proxy.ctl = None
    assert get(port) == (200, "a")
    proxy.ctl = proxy.connect()  # a restarted berthd finds the listener
    assert [l["listen"] for l in proxy.stats()] == [f"127.0.0.1:{port}"]


@pytest.mark.parametrize("req, error", [
    ("not json", "bad JSON"),
    ('{"cmd": "fly"}', "unknown command"),
    ('{"cmd": "set", "listen": "127.0.0.1:1", "backends": [], "color": 1}', "color: unknown field"),
    ('{"cmd": "set", "listen": "127.0.0.1", "backends": []}', "expected IP:port"),
    ('{"cmd": "set", "listen": "127.0.0.1:1", "mode": "udp", "backends": []}', "mode"),
    ('{"cmd": "set", "listen": "127.0.0.1:1", "backends": [{"addr": "a:1"}]}', "backends[0].addr"),
    ('{"cmd": "set", "listen": "127.0.0.1:1", "backends": [{"addr": "1.2.3.4:5", "weight": 0}]}', "weight"),
    ('{"cmd": "set", "listen": "127.0.0.1:1", "backends": [{"addr": "1.2.3.4:5"}, {"addr": "1.2.3.4:5"}]}', "twice"),
    ('{"cmd": "set", "listen": "127.0.0.1:1"}', "backends"),
    ('{"cmd": "remove", "listen": "127.0.0.1:1"}', "no such listener"),
])
def test_bad_control_requests_change_nothing(proxy, backends, req, error):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    before = proxy.stats()
    proxy.ctl.write(req + "\n")
    proxy.ctl.flush()
    reply = json.loads(proxy.ctl.readline())
    assert reply["ok"] is False and error in reply["error"] and "\n" not in reply["error"]
    assert proxy.stats() == before
    assert get(port) == (200, "a")


def test_port_in_use_changes_nothing(proxy, backends):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        reply = proxy.request({"cmd": "set", "listen": "127.0.0.1:%d" % taken.getsockname()[1],
                               "backends": []})
    assert reply["ok"] is False and "bind" in reply["error"]
    assert proxy.stats() == []


def test_remove_listener(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    assert proxy.request({"cmd": "remove", "listen": f"127.0.0.1:{port}"}) == {"ok": True}
    assert proxy.stats() == []
    with pytest.raises(ConnectionRefusedError):
        get(port)


def test_stats_counts(proxy, backends):
    a, b = backends("a", "b")
    port = proxy.set(free_port(), [a.addr, b.addr])
    for _ in range(4):
        get(port)
    (l,) = proxy.stats()
    assert l["requests"] == 4 and l["responses"]["2xx"] == 4
    for be in l["backends"]:
        assert be["requests"] == 2
        assert be["latency"]["count"] == 2
        assert sum(x["count"] for x in be["latency"]["buckets"]) == 2


# Hostile clients: each gets its error status and the connection closes,
# and nothing reaches a backend.
@pytest.mark.parametrize("req, status", [
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: x\n\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
])
def test_hostile_heads_refused(proxy, backends, req, status):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    out = raw(port, req)
    assert out.startswith(b"HTTP/1.1 %d " % status), out[:100]
    assert b"Connection: close" in out
    assert a.requests == 0


def test_bad_chunk_size_refused(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    for body in (b"-1\r\n", b"0x5\r\nhello\r\n0\r\n\r\n", b"fffffffffffffffffff\r\n", b"5\r\nhelloXX"):
        out = raw(port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        assert out.startswith(b"HTTP/1.1 400 "), out
    assert a.requests == 0


def test_slow_header_client_times_out(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        try:
            for byte in req:  # one byte every 50 ms: 5 s for the head
                s.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # closed on us, as it should be
        out = b""
        try:
            while chunk := s.recv(4096):
                out += chunk
        except OSError:
            pass
    elapsed = time.monotonic() - start
    assert out.startswith(b"HTTP/1.1 408 ")
    assert HEADER_TIMEOUT_MS / 1000 <= elapsed < HEADER_TIMEOUT_MS / 1000 + 2.5
    assert a.requests == 0


def test_idle_connection_without_request_times_out(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(100) == b""
    assert time.monotonic() - start < HEADER_TIMEOUT_MS / 1000 + 1


def test_connections_per_ip_capped(proxy, backends):
    (a,) = backends("a")
    port = proxy.set(free_port(), [a.addr])
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(MAX_CONNS_PER_IP)]
    try:
        time.sleep(0.2)
        out = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 429 ")
        assert proxy.stats()[0]["rejected"] == 1
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert get(port) == (200, "a")
