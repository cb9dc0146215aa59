"""Container networking: `berth network` and `berth run --network NAME -p`.

Everything that touches networking runs inside a network namespace made
for the test (`ip netns add berth-t-<random>`), removed at the end even on
failure; the host's links and iptables rules are compared before and after
the whole session.  berth runs in that namespace through
`nsenter --net=...`, which switches only the network namespace: `ip netns
exec` would also give every berth command a private mount namespace, so
the namespace files and root filesystems one berth command mounts would be
invisible to the next (the stale-attachment sweep, for one).
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from test_run import BERTH, Berth, busybox_tar

HTTP_GET = ("import sys, urllib.request\n"
            "print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode(), end='')\n")


def host_network_state():
    """The host's links, iptables rules (without counters) and forwarding
    switch, which the bridge plugin turns on."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True,
                           check=True).stdout
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True,
                           check=True).stdout
    rules = [re.sub(r"\[\d+:\d+\]", "", line) for line in rules.splitlines()
             if not line.startswith("#")]
    forward = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    return links, rules, forward


@pytest.fixture(scope="session", autouse=True)
def host_untouched():
    before = host_network_state()
    yield
    assert host_network_state() == before, "the host's links or iptables rules changed"


class NetBerth(Berth):
    """berth with its own store and run root, run inside the test's netns."""

    def __init__(self, tmp: Path, ns: str):
        super().__init__(tmp)
        self.ns = ns
        self.procs = []

    def argv(self, *args):
        return ["nsenter", f"--net=/run/netns/{self.ns}", str(BERTH), "--root",
                str(self.store), "--run-root", str(self.run_root), *map(str, args)]

    def __call__(self, *args, input=None, timeout=60):
        return subprocess.run(self.argv(*args), capture_output=True, text=True, input=input,
                              timeout=timeout)

    def background(self, *args):
        """A `berth run` left running; stopped by pid at the end of the test.
        Its output goes to files: a container outliving a killed berth
        would hold a pipe open."""
        n = len(self.procs)
        with open(self.store.parent / f"bg{n}.out", "w") as out, \
                open(self.store.parent / f"bg{n}.err", "w") as err:
            p = subprocess.Popen(self.argv(*args), stdout=out, stderr=err)
        p.err_path = self.store.parent / f"bg{n}.err"
        self.procs.append(p)
        return p

    def inns(self, *cmd, check=True):
        """A command in the test's network namespace."""
        return subprocess.run(["ip", "netns", "exec", self.ns, *map(str, cmd)],
                              capture_output=True, text=True, check=check, timeout=30)

    def attachments(self, network):
        res = self("network", "inspect", network)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)[0]["containers"]

    def wait_attached(self, network, name, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for cid, c in self.attachments(network).items():
                if c.get("name") == name and c.get("ip"):
                    return cid, c["ip"]
            time.sleep(0.1)
        raise AssertionError(f"container {name} never attached to {network}")

    def http_get(self, url, timeout=15):
        """GET url from the test's netns, retried until the server answers."""
        deadline = time.monotonic() + timeout
        while True:
            res = self.inns("/usr/bin/python3", "-c", HTTP_GET, url, check=False)
            if res.returncode == 0 or time.monotonic() > deadline:
                return res
            time.sleep(0.2)


def container_inits(run_root: Path):
    """Pids of the containers the runtime recorded under run_root."""
    pids = {}
    for state in (run_root / "runtime").glob("*/state.json"):
        try:
            pids[state.parent.name] = json.loads(state.read_text()).get("pid", 0)
        except (OSError, ValueError):
            pass
    return pids


def mounts_under(path: Path):
    """Mount points below path, deepest first."""
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return sorted((m for m in points if m.startswith(f"{path}/")), key=len, reverse=True)


def cleanup(b: NetBerth):
    kept = b("ps", "-aq", "--no-trunc").stdout.split()
    if kept:
        b("rm", "-f", *kept)
    for p in b.procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    for cid, pid in container_inits(b.run_root).items():
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run([str(BERTH), "runtime", "--root", str(b.run_root / "runtime"),
                        "delete", "--force", cid], capture_output=True)
    for m in mounts_under(b.store) + mounts_under(b.run_root):
        subprocess.run(["umount", "-l", m], capture_output=True)
    subprocess.run(["ip", "netns", "del", b.ns], capture_output=True)


@contextlib.contextmanager
def netns_berth(tmp_path, cls=NetBerth, before_cleanup=lambda b: None):
    """A berth of class cls in a new network namespace with busybox:test
    imported; before_cleanup(b) stops what the test started on top."""
    ns = f"berth-t-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    b = cls(tmp_path, ns)
    try:
        b.inns("ip", "link", "set", "lo", "up")
        tar = tmp_path / "rootfs.tar"
        busybox_tar(tar)
        res = b("import", "--change", 'CMD ["sh"]', tar, "busybox:test")
        assert res.returncode == 0, res.stderr
        yield b
    finally:
        before_cleanup(b)
        cleanup(b)
    assert not Path(f"/run/netns/{ns}").exists()


@pytest.fixture
def net(tmp_path):
    with netns_berth(tmp_path) as b:
        yield b


def assert_released(b: NetBerth, network: str, cid: str):
    """Nothing of container cid's attachment is left."""
    links = b.inns("ip", "-o", "link").stdout
    assert "veth" not in links, links
    rules = b.inns("iptables-save").stdout
    assert cid not in rules and cid[:12] not in rules, rules
    ipam = b.run_root / "networks" / "ipam" / network
    left = [f.name for f in ipam.iterdir()
            if f.name != "lock" and not f.name.startswith("last_reserved_ip")]
    assert left == [], f"addresses still allocated: {left}"
    assert not (b.run_root / "netns" / cid).exists()
    assert str(b.run_root / "netns") not in Path("/proc/self/mountinfo").read_text()
    assert not (b.run_root / "networks" / "containers" / cid).exists()


def serve(b, network, name, *flags):
    return b.background("run", "--rm", "--name", name, "--network", network, *flags,
                        "busybox:test", "sh", "-c",
                        "mkdir -p /www && echo hello from $(hostname) > /www/index.html; "
                        "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait")


def stop(proc):
    """SIGTERM to berth run, which forwards it to the container's shell."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.err_path.read_text()


def test_default_bridge_address_and_published_port(net):
    res = net("run", "--rm", "--network", "bridge", "busybox:test", "sh", "-c",
              "ip -o -4 addr show eth0; cat /etc/resolv.conf /etc/hosts; hostname")
    assert res.returncode == 0, res.stderr
    assert re.search(r"inet 10\.87\.\d+\.\d+/16", res.stdout), res.stdout
    assert "nameserver 127." not in res.stdout

    srv = serve(net, "bridge", "web", "-p", "18080:80", "-p", "127.0.0.1:18082:80", "-p", "80")
    cid, ip = net.wait_attached("bridge", "web")
    assert ip.startswith("10.87.")
    ports = net.attachments("bridge")[cid]["ports"]
    assert ports[:2] == [{"hostPort": 18080, "containerPort": 80, "protocol": "tcp"},
                         {"hostPort": 18082, "containerPort": 80, "protocol": "tcp",
                          "hostIP": "127.0.0.1"}], ports
    chosen = ports[2]["hostPort"]
    assert chosen > 0 and ports[2]["containerPort"] == 80, ports
    for url in ("http://127.0.0.1:18080/", "http://10.87.0.1:18080/", f"http://{ip}:80/",
                "http://127.0.0.1:18082/", f"http://127.0.0.1:{chosen}/"):
        res = net.http_get(url)
        assert res.returncode == 0 and res.stdout == f"hello from {cid[:12]}\n", (url, res.stderr)
    # Published on 127.0.0.1 only: the bridge address does not forward it.
    res = net.inns("/usr/bin/python3", "-c", HTTP_GET, "http://10.87.0.1:18082/", check=False)
    assert res.returncode != 0 and "refused" in res.stderr, res
    stop(srv)
    assert_released(net, "bridge", cid)
    assert net.attachments("bridge") == {}


def test_user_network_names_and_ids(net):
    res = net("network", "create", "--subnet", "10.123.4.0/24", "apps")
    assert res.returncode == 0, res.stderr
    srv = serve(net, "apps", "srv")
    cid, ip = net.wait_attached("apps", "srv")
    assert ip.startswith("10.123.4.")

    res = net("network", "rm", "apps")
    assert res.returncode != 0 and "network 'apps' has 1 attached container" in res.stderr

    get = ("for i in 1 2 3 4 5 6 7 8 9 10; do "
           "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc $0 80 | tail -n 1 && exit 0; sleep 0.3; done; "
           "exit 1")
    for target in ("srv", ip, cid[:12]):
        res = net("run", "--rm", "--network", "apps", "busybox:test", "sh", "-c", get, target)
        assert res.returncode == 0 and res.stdout == f"hello from {cid[:12]}\n", \
            (target, res.stdout, res.stderr)
    # Another network's containers are not listed in the hosts file.
    res = net("run", "--rm", "--network", "bridge", "busybox:test", "cat", "/etc/hosts")
    assert res.returncode == 0 and "srv" not in res.stdout, res.stdout

    stop(srv)
    assert_released(net, "apps", cid)
    hosts = (net.run_root / "networks" / "hosts" / "apps").read_text()
    assert "srv" not in hosts and cid[:12] not in hosts, hosts
    res = net("network", "rm", "apps")
    assert res.returncode == 0, res.stderr
    assert not (net.run_root / "networks" / "hosts" / "apps").exists()


def test_concurrent_runs_get_distinct_addresses(net):
    res = net("network", "create", "busy")
    assert res.returncode == 0, res.stderr
    procs = [subprocess.Popen(net.argv("run", "--rm", "--name", f"c{i}", "--network", "busy",
                                       "busybox:test", "sh", "-c",
                                       # grep read()s: cat would splice pages that
                                       # later rewrites change under the pipe.
                                       "ip -o -4 addr show eth0; sleep 1; grep '' /etc/hosts"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    outs = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    assert all(code == 0 for _, _, code in outs), outs
    ips = {re.search(r"inet (\S+)/24", out).group(1) for out, _, _ in outs}
    assert len(ips) == 4, outs
    for i, (out, _, _) in enumerate(outs):
        assert re.search(rf"^\S+\tc{i} [0-9a-f]{{12}}$", out, re.M), repr(out)
    assert net.attachments("busy") == {}
    res = net("network", "rm", "busy")
    assert res.returncode == 0, res.stderr
    assert not (net.run_root / "networks" / "ipam" / "busy").exists()


def test_killed_run_is_released_by_the_next(net):
    victim = net.background("run", "--rm", "--name", "victim", "--network", "bridge",
                            "-p", "18081:80", "busybox:test", "sleep", "600")
    cid, _ = net.wait_attached("bridge", "victim")
    # The network is attached before the container starts: wait for it.
    deadline = time.monotonic() + 20
    while not container_inits(net.run_root).get(cid) and time.monotonic() < deadline:
        time.sleep(0.1)
    init = container_inits(net.run_root).get(cid)
    assert init, "the runtime recorded no init for the container"
    assert "veth" in net.inns("ip", "-o", "link").stdout
    assert cid in net.inns("iptables-save").stdout
    victim.kill()
    victim.wait()
    os.kill(init, signal.SIGKILL)

    res = net("run", "--rm", "--network", "bridge", "busybox:test", "true")
    assert res.returncode == 0, res.stderr
    assert_released(net, "bridge", cid)
    assert net.attachments("bridge") == {}


def test_release_when_the_container_fails_to_start(net):
    res = net("run", "--rm", "--network", "bridge", "busybox:test", "/no/such/program")
    assert res.returncode == 127, res.stderr
    assert net.attachments("bridge") == {}
    assert not any((net.run_root / "netns").iterdir())


@pytest.mark.parametrize("args, words", [
    (["-p", "80:80/sctp"], "-p '80:80/sctp': protocol 'sctp' is not tcp or udp"),
    (["-p", "99999:80"], "host port 99999 is out of range"),
    (["--network", "bridge", "-p", "x:80"], "-p 'x:80': host port 'x' is not a port number"),
    (["--network", "none", "-p", "8080:80"], "-p: publishing ports needs a bridge network"),
    (["--network", "nosuch"], "network 'nosuch' not found"),
    (["--network", "../x"], "network name '../x'"),
])
def test_run_bad_network_flags(net, args, words):
    res = net("run", "--rm", *args, "busybox:test", "true")
    assert res.returncode == 125 and words in res.stderr, res.stderr
    assert not (net.run_root / "netns").exists() or not any((net.run_root / "netns").iterdir())


def stored(b):
    d = b.store / "networks"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_network_create_ls_inspect_rm(net):
    res = net("network", "ls")
    assert res.returncode == 0 and re.search(r"\sbridge\s+bridge\s+10\.87\.0\.0/16\s+10\.87\.0\.1",
                                             res.stdout), res.stdout
    res = net("network", "create", "one")
    assert res.returncode == 0 and re.fullmatch(r"[0-9a-f]{64}\n", res.stdout), res
    res = net("network", "create", "--subnet", "192.168.50.0/24", "--gateway",
              "192.168.50.254", "two")
    assert res.returncode == 0, res.stderr
    res = net("network", "create", "three")
    assert res.returncode == 0, res.stderr

    res = net("network", "inspect", "one", "two", "three")
    assert res.returncode == 0, res.stderr
    one, two, three = json.loads(res.stdout)
    assert (two["subnet"], two["gateway"]) == ("192.168.50.0/24", "192.168.50.254")
    assert one["subnet"].endswith("/24") and one["subnet"] != three["subnet"]
    assert not one["subnet"].startswith("10.87.")
    assert len({one["bridge"], two["bridge"], three["bridge"], "berth0"}) == 4
    assert all(len(n["bridge"]) <= 15 and n["containers"] == {} for n in (one, two, three))

    names = [line.split()[1] for line in net("network", "ls").stdout.splitlines()[1:]]
    assert names == ["bridge", "one", "three", "two"]

    res = net("network", "rm", "one", "nosuch", "three")
    assert res.returncode != 0 and "network 'nosuch' not found" in res.stderr
    assert stored(net) == ["bridge.json", "lock", "two.json"]


@pytest.mark.parametrize("args, words", [
    (["../x"], "network name '../x': only [A-Za-z0-9][A-Za-z0-9_.-]* is allowed"),
    (["a/b"], "network name 'a/b'"),
    (["-x"], "unknown flag '-x'"),
    ([".hidden"], "network name '.hidden'"),
    (["none"], "network name 'none' is reserved"),
    (["host"], "network name 'host' is reserved"),
    (["x" * 65], "must be 1-64 characters"),
    (["bridge"], "network 'bridge' already exists"),
    (["taken"], "network 'taken' already exists"),
    (["--subnet", "10.87.9.0/24", "n"], "--subnet 10.87.9.0/24 overlaps the subnet of network 'bridge'"),
    (["--subnet", "10.200.0.0/16", "n"], "overlaps the subnet of network 'taken'"),
    (["--subnet", "10.200.1.1/24", "n"], "host bits are set"),
    (["--subnet", "nonsense", "n"], "expected an IPv4 subnet"),
    (["--subnet", "10.9.0.0/24", "--gateway", "10.9.1.1", "n"], "not a host address of subnet"),
    (["--gateway", "10.9.0.1", "n"], "--gateway needs --subnet"),
    ([], "expected one NAME"),
])
def test_network_create_refuses(net, args, words):
    res = net("network", "create", "--subnet", "10.200.0.0/24", "taken")
    assert res.returncode == 0, res.stderr
    before = stored(net)
    res = net("network", "create", *args)
    assert res.returncode == 1 and words in res.stderr, res.stderr
    assert len(res.stderr.splitlines()) == 1, res.stderr
    assert stored(net) == before


@pytest.mark.parametrize("verb, args, words", [
    ("rm", ["bridge"], "network 'bridge' is the default network and cannot be removed"),
    ("rm", ["../x"], "network name '../x'"),
    ("rm", [], "expected NAME"),
    ("inspect", ["nosuch"], "network 'nosuch' not found"),
    ("inspect", ["../../etc/passwd"], "network name '../../etc/passwd'"),
    ("bogus", [], "unknown subcommand 'bogus'"),
])
def test_network_verbs_refuse(net, verb, args, words):
    res = net("network", verb, *args)
    assert res.returncode == 1 and words in res.stderr, res.stderr


# --------------------------------------------------------------------------
# kept containers (run -d): attached while they exist, across restarts


WEB = ("mkdir -p /www && echo hi from $(hostname) > /www/index.html; "
       "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait")


def test_kept_container_publishes_and_is_released_by_stop_and_rm(net):
    res = net("run", "-d", "--name", "web", "--network", "bridge", "-p", "18090:80",
              "busybox:test", "sh", "-c", WEB)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    res = net.http_get("http://127.0.0.1:18090/")
    assert res.returncode == 0 and res.stdout == f"hi from {cid[:12]}\n", res.stderr
    assert "0.0.0.0:18090->80/tcp" in net("ps").stdout
    assert net("port", "web").stdout == "80/tcp -> 0.0.0.0:18090\n"
    assert net("port", "web", "80").stdout == "0.0.0.0:18090\n"
    settings = json.loads(net("inspect", "web").stdout)[0]["NetworkSettings"]
    assert settings["Ports"] == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18090"}]}
    assert settings["IPAddress"].startswith("10.87.")
    assert settings["Networks"]["bridge"]["IPAddress"] == settings["IPAddress"]

    assert net("stop", "web").returncode == 0
    assert_released(net, "bridge", cid)
    assert net("port", "web").stdout == ""
    assert net("start", "web").returncode == 0
    res = net.http_get("http://127.0.0.1:18090/")
    assert res.returncode == 0 and res.stdout == f"hi from {cid[:12]}\n", res.stderr
    assert net("rm", "-f", "web").returncode == 0
    assert_released(net, "bridge", cid)


def test_publishing_without_a_network_uses_the_bridge(net):
    res = net("run", "-d", "--name", "pub", "-p", "18093:80", "busybox:test", "sh", "-c", WEB)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    res = net.http_get("http://127.0.0.1:18093/")
    assert res.returncode == 0 and res.stdout == f"hi from {cid[:12]}\n", res.stderr
    assert json.loads(net("inspect", "pub").stdout)[0]["HostConfig"]["NetworkMode"] == "bridge"
    assert net("rm", "-f", "pub").returncode == 0
    assert_released(net, "bridge", cid)


def test_kept_containers_reach_each_other_by_name(net):
    assert net("network", "create", "appnet").returncode == 0
    res = net("run", "-d", "--name", "srv", "--network", "appnet", "busybox:test", "sh", "-c",
              WEB)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    net.wait_attached("appnet", "srv")
    res = net("run", "--rm", "--network", "appnet", "busybox:test", "sh", "-c",
              "for i in 1 2 3 4 5 6 7 8 9 10; do "
              "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc srv 80 && exit 0; sleep 0.3; done; exit 1")
    assert res.returncode == 0 and f"hi from {cid[:12]}" in res.stdout, (res.stdout, res.stderr)
    assert net("rm", "-f", "srv").returncode == 0
    assert_released(net, "appnet", cid)


def test_kept_container_with_a_killed_monitor_is_released_by_rm(net):
    res = net("run", "-d", "--name", "orphan", "--network", "bridge", "-p", "18091:80",
              "busybox:test", "sh", "-c", WEB)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    state = json.loads(net("inspect", "orphan").stdout)[0]["State"]
    os.kill(state["MonitorPid"], signal.SIGKILL)
    os.kill(state["Pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while json.loads(net("inspect", "orphan").stdout)[0]["State"]["Status"] != "dead":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert net("rm", "-f", "orphan").returncode == 0
    assert_released(net, "bridge", cid)
