"""`berth stats` and `berth top` on containers started by `berth run` in
the background (found under <run-root>/runtime by their id), on the cgroup
v1 hierarchies of this host and on its cgroup2 half."""

import json
import os
import re
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import IS_BERTH, berth_binary
from test_run import berth, out  # noqa: F401  (berth: the fixture)

BERTH = berth_binary()
UNIFIED = Path("/sys/fs/cgroup/unified")
WAIT_FOR_TERM = 'trap "exit 0" TERM; '

UNITS = {"B": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3,
         "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}


def size(text):
    m = re.fullmatch(r"([0-9.e+]+)([A-Za-z]+)", text)
    assert m, f"not a size: {text!r}"
    return float(m.group(1)) * UNITS[m.group(2)]


def pair(text):
    a, b = text.split(" / ")
    return size(a), size(b)


@contextmanager
def running(berth, *args):
    """`berth run --rm ARGS` in the background; yields the container id
    once its runtime record exists, and ends it with SIGTERM (the command
    traps it) or SIGKILL, by pid, whatever the test did."""
    argv = [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root),
            "run", "--rm", *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rt = berth.run_root / "runtime"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            ids = [p.name for p in rt.iterdir()] if rt.exists() else []
            if ids and (rt / ids[0] / "state.json").exists():
                yield ids[0]
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"container did not start: {proc.communicate()}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def stats_json(berth, *ids):
    res = berth("stats", "--no-stream", "--format", "json", *ids)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in out(res)]


def exec_in(berth, cid, script):
    return subprocess.run([str(BERTH), "runtime", "--root", str(berth.run_root / "runtime"),
                           "exec", cid, "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)


def test_stats_memory_pids_and_a_write(berth):
    with running(berth, "--memory", "64m", "busybox:test",
                 "sh", "-c", WAIT_FOR_TERM + "sleep 30 & wait") as cid:
        [s] = stats_json(berth, cid)
        assert s["ID"] == cid[:12] and s["Name"] == cid[:12], s
        used, limit = pair(s["MemUsage"])
        assert used > 0, s
        assert limit == 64 * 1024 ** 2, s
        assert int(s["PIDs"]) >= 1, s
        assert s["NetIO"] == "0B / 0B", "no interface but lo with --network none"
        assert re.fullmatch(r"\d+\.\d\d%", s["CPUPerc"]) and re.fullmatch(r"\d+\.\d\d%", s["MemPerc"])
        before_blk = sum(pair(s["BlockIO"]))

        # 20 MB in a file on tmpfs is memory the cgroup is charged for;
        # buffered writes to disk are charged to the root's blkio on v1
        # (written back by the kernel's flusher), so the test does not
        # rely on them.
        res = exec_in(berth, cid, "dd if=/dev/zero of=/dev/shm/big bs=1M count=20 2>&1 && sync")
        assert res.returncode == 0, res.stderr
        [s] = stats_json(berth, cid)
        used_after, _ = pair(s["MemUsage"])
        blk_after = sum(pair(s["BlockIO"]))
        assert used_after - used >= 15 * 1024 ** 2 or blk_after - before_blk >= 20e6, s

        res = berth("stats", "--no-stream", cid[:12])
        assert res.returncode == 0, res.stderr
        header, row = out(res)
        assert re.split(r"\s{2,}", header) == ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
                                               "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]
        assert row.startswith(cid[:12]) and "/ 64MiB" in row, row


def test_cpu_percent_of_a_busy_container(berth):
    with running(berth, "busybox:test", "sh", "-c", WAIT_FOR_TERM + "while :; do :; done") as cid:
        [s] = stats_json(berth, cid)
        assert float(s["CPUPerc"].rstrip("%")) > 20, s


def test_top_lists_the_processes(berth):
    with running(berth, "busybox:test", "sh", "-c", WAIT_FOR_TERM + "sleep 30 & wait") as cid:
        pid = json.loads((berth.run_root / "runtime" / cid / "state.json").read_text())["pid"]
        deadline = time.monotonic() + 5
        while True:
            res = berth("top", cid, "-ef")  # ps options are ignored
            assert res.returncode == 0, res.stderr
            rows = [re.split(r"\s+", line, maxsplit=7) for line in out(res)]
            if any(r[7] == "sleep 30" for r in rows[1:]) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert rows[0] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], res.stdout
        by_cmd = {r[7]: r for r in rows[1:]}
        assert "sleep 30" in by_cmd, res.stdout
        sleep = by_cmd["sleep 30"]
        assert sleep[0] == "root" and sleep[2] == str(pid), f"expected the init {pid} as parent: {sleep}"
        assert sleep[5] == "?" and re.fullmatch(r"\d\d:\d\d:\d\d", sleep[6]), sleep
        assert any(r[1] == str(pid) for r in rows[1:]), res.stdout


def test_errors(berth):
    for args, why in ((("stats", "--no-stream", "nope"), "no such container: nope"),
                      (("top", "nope"), "no such container: nope"),
                      (("top", "../etc"), "../etc"),
                      (("stats", "--no-stream"), "expected at least one container"),
                      (("stats", "--format", "xml", "x"), "--format 'xml'"),
                      (("top",), "expected a container")):
        res = berth(*args)
        assert res.returncode == 1 and res.stderr.startswith("berth: ") and why in res.stderr, \
            (args, res.stderr)


def unified_usable():
    try:
        return "hugetlb" in (UNIFIED / "cgroup.controllers").read_text().split()
    except OSError:
        return False


@pytest.fixture
def v2(monkeypatch):
    """berth run's cgroups on the cgroup2 hierarchy; its parent and the
    root's subtree_control restored afterwards."""
    before = (UNIFIED / "cgroup.subtree_control").read_text().split()
    parent = UNIFIED / "berth"
    existed = parent.exists()
    monkeypatch.setenv("BERTH_CGROUP_ROOT", str(UNIFIED))
    yield
    if not existed and parent.exists():
        for child in parent.iterdir():
            if child.is_dir():
                child.rmdir()
        parent.rmdir()
    if "hugetlb" not in before:
        (UNIFIED / "cgroup.subtree_control").write_text("-hugetlb")


@pytest.mark.skipif(not IS_BERTH or not unified_usable(),
                    reason="no cgroup2 hierarchy with a controller at /sys/fs/cgroup/unified")
def test_stats_and_top_on_cgroup_v2(berth, v2):
    with running(berth, "busybox:test", "sh", "-c", WAIT_FOR_TERM + "while :; do :; done") as cid:
        state = json.loads((berth.run_root / "runtime" / cid / "state.json").read_text())
        assert state["cgroupRoot"] == str(UNIFIED), state
        [s] = stats_json(berth, cid)
        # cpu.stat is there without the cpu controller; memory and pids
        # are not enabled on this host's cgroup2 half.
        assert float(s["CPUPerc"].rstrip("%")) > 20, s
        used, limit = pair(s["MemUsage"])
        assert used == 0 and limit > 64 * 1024 ** 2, s
        res = berth("top", cid)
        assert res.returncode == 0 and str(state["pid"]) in res.stdout, res.stdout
