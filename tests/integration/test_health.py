"""`berth healthcheck`: one probe of the services layer's health checks
against real kept containers: a command inside the container (healthy,
unhealthy, killed at its timeout leaving nothing behind), a TCP connect
and an HTTP GET into a `--network none` container (through its network
namespace), and an HTTP GET to a container's bridge address inside a
network namespace made for the test.

Each test has its own store and run root; the fixtures remove every
container (and namespace) they made, even when the test fails."""

import time

import pytest

from conftest import wait_for
from test_containers import berth  # noqa: F401 (fixture)
from test_network import net, host_untouched  # noqa: F401 (fixtures)

WEB = ("ip link set lo up; mkdir -p /www && echo hello > /www/index.html && "
       "exec httpd -f -p 8080 -h /www")


def check(b, *args):
    res = b("healthcheck", *args)
    lines = res.stdout.splitlines()
    return res.returncode, (lines[0] if lines else ""), res.stderr


def container_procs(b, cid):
    """The command lines of the container's processes but ps."""
    out = b.ok("exec", cid, "ps", "-o", "pid,stat,args").stdout.splitlines()[1:]
    return [line for line in out if "ps -o" not in line]


@pytest.fixture
def web(berth):
    """A `--network none` container serving /www on 127.0.0.1:8080 of its
    own namespace (lo brought up by the container itself)."""
    cid = berth.run_d("--network", "none", "--cap-add", "NET_ADMIN", "bb", "sh", "-c", WEB)
    wait_for(lambda: check(berth, "--tcp", "8080", cid)[0] == 0, 10, "httpd listening")
    return cid


def test_exec_check_healthy_and_unhealthy(berth):
    cid = berth.run_d("bb", "sleep", "1000")
    assert check(berth, cid, "true") == (0, "healthy: exit code 0", "")
    code, line, _ = check(berth, cid, "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (code, line) == (1, "unhealthy: exit code 3: out")
    # runs inside the container: its hostname and root filesystem
    code, line, _ = check(berth, cid, "sh", "-c", "hostname; test -x /bin/busybox")
    assert (code, line) == (0, f"healthy: exit code 0: {cid[:12]}")
    code, line, _ = check(berth, cid, "no-such-command")
    assert code == 1 and line.startswith("unhealthy: exit code 127:") and "no-such-command" in line


def test_exec_check_timeout_kills_the_check(berth):
    cid = berth.run_d("bb", "sleep", "1000")
    start = time.monotonic()
    code, line, _ = check(berth, "--timeout", "1s", cid, "sleep", "10")
    took = time.monotonic() - start
    assert (code, line) == (1, "unhealthy: health check exceeded its timeout (1s)")
    assert 0.9 < took < 3, took
    assert [p for p in container_procs(berth, cid) if p.endswith("sleep 10")] == []
    assert len(container_procs(berth, cid)) == 1  # the init only: no zombie either


def test_exec_check_kills_what_it_left_running(berth):
    cid = berth.run_d("bb", "sleep", "1000")
    code, line, _ = check(berth, cid, "sh", "-c", "sleep 300 & echo started")
    assert (code, line) == (0, "healthy: exit code 0: started")
    wait_for(lambda: not [p for p in container_procs(berth, cid)
                          if "sleep 300" in p and " Z " not in p], 5, "background sleep killed")


def test_a_check_that_left_the_group_does_not_hold_the_probe(berth):
    # setsid takes the command out of the group the timeout kills: the
    # probe still ends (after a short grace for its reaper)
    cid = berth.run_d("bb", "sleep", "1000")
    start = time.monotonic()
    code, line, _ = check(berth, "--timeout", "1s", cid, "setsid", "sleep", "5")
    assert (code, line) == (1, "unhealthy: health check exceeded its timeout (1s)")
    assert time.monotonic() - start < 4.5


def test_tcp_check_through_the_container_netns(berth, web):
    assert check(berth, "--tcp", "8080", web) == (0, "healthy: connected to port 8080", "")
    code, line, _ = check(berth, "--tcp", "8081", web)
    assert (code, line) == (1, "unhealthy: connect to 127.0.0.1:8081 in the container: "
                               "Connection refused")


def test_http_check_status(berth, web):
    assert check(berth, "--http", "/index.html", "--port", "8080", web)[:2] == \
        (0, "healthy: HTTP/1.1 200 OK")
    assert check(berth, "--http", "/missing", "--port", "8080", web)[:2] == \
        (1, "unhealthy: HTTP/1.1 404 Not Found")
    assert check(berth, "--http", "/missing", "--port", "8080", "--status", "404", web)[:2] == \
        (0, "healthy: HTTP/1.1 404 Not Found")
    assert check(berth, "--http", "/index.html", "--port", "8080", "--status", "204", web)[:2] \
        == (1, "unhealthy: HTTP/1.1 200 OK")
    code, line, _ = check(berth, "--http", "/", "--port", "8081", web)
    assert code == 1 and "Connection refused" in line


def test_http_check_timeout_on_a_silent_server(berth):
    # nc accepts and never answers: the probe gives up at its timeout
    cid = berth.run_d("--network", "none", "--cap-add", "NET_ADMIN", "bb", "sh", "-c",
                      "ip link set lo up; exec nc -ll -p 8080 -e sleep 30")
    wait_for(lambda: check(berth, "--tcp", "8080", cid)[0] == 0, 10, "nc listening")
    start = time.monotonic()
    code, line, _ = check(berth, "--timeout", "500ms", "--http", "/", "--port", "8080", cid)
    assert (code, line) == (1, "unhealthy: no response before the timeout")
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("args, words", [
    ([], "expected CONTAINER"),
    (["C"], "give a command"),
    (["--http", "/", "C"], "--http needs --port"),
    (["--tcp", "80", "C", "true"], "a command is for an exec check"),
    (["--tcp", "0", "C"], "--tcp"),
    (["--tcp", "80", "--http", "/", "--port", "80", "C"], "exclude each other"),
    (["--tcp", "80", "--status", "200", "C"], "--status is for --http"),
    (["--timeout", "0", "C", "true"], "--timeout must be more than 0"),
    (["--timeout", "soon", "C", "true"], "--timeout"),
    (["--bogus", "C"], "unknown flag '--bogus'"),
    (["nosuch", "true"], "no such container: nosuch"),
])
def test_bad_usage(berth, args, words):
    res = berth("healthcheck", *args)
    assert res.returncode == 125, res
    assert words in res.stderr and res.stdout == "", res.stderr


def test_a_stopped_container_is_an_error(berth):
    cid = berth.run_d("bb", "true")
    wait_for(lambda: berth.state(cid)["Status"] == "exited", 10, "exited")
    res = berth("healthcheck", cid, "true")
    assert res.returncode == 125 and "is not running" in res.stderr, res


def test_http_check_to_a_bridge_address(net):
    res = net("run", "-d", "--name", "web", "--network", "bridge", "busybox:test", "sh", "-c",
              "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www")
    assert res.returncode == 0, res.stderr
    net.wait_attached("bridge", "web")
    wait_for(lambda: net("healthcheck", "--tcp", "80", "web").returncode == 0, 10, "httpd")
    res = net("healthcheck", "--http", "/index.html", "--port", "80", "web")
    assert (res.returncode, res.stdout) == (0, "healthy: HTTP/1.1 200 OK\n"), res.stderr
    res = net("healthcheck", "--http", "/nope", "--port", "80", "web")
    assert (res.returncode, res.stdout) == (1, "unhealthy: HTTP/1.1 404 Not Found\n"), res.stderr
