"""Container lifecycle: create/start/state/kill/delete, pause/resume, list,
ps, run -d, pid files, errors of the lifecycle verbs."""

import json
import re
import time
from pathlib import Path

import pytest

from conftest import assert_exit, leftovers, pid_alive, wait_for

LIST_HEADER = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def sleeper(bundle):
    bundle.set_args("sleep", "1000")
    return bundle


def assert_gone(rt, cid, pid):
    wait_for(lambda: not pid_alive(pid), what=f"init {pid} to die")
    assert cid not in [c["id"] for c in rt.list()], f"expected {cid} to be deleted"
    problems = leftovers(rt)
    assert not problems, f"expected nothing left after delete, found {problems}"


# --- kill / delete --------------------------------------------------------

@pytest.mark.parametrize("signal", ["KILL", "SIGKILL", "9"])
def test_kill_then_delete(rt, sleeper, signal):
    cid = rt.start_detached(sleeper)
    pid = rt.state(cid)["pid"]
    rt.kill(cid, signal)
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
    assert_gone(rt, cid, pid)


def test_kill_default_signal_is_term(rt, bundle):
    # pid 1 ignores signals it has no handler for, so trap TERM explicitly
    bundle.sh("trap 'echo term > /tmp/got; exit 0' TERM; touch /tmp/ready; "
              "while :; do sleep 0.05; done")
    cid = rt.start_detached(bundle)
    wait_for((bundle.rootfs / "tmp" / "ready").exists, what="the TERM trap")
    rt.ok("kill", cid)
    rt.wait_status(cid, "stopped")
    got = bundle.rootfs / "tmp" / "got"
    assert got.exists() and got.read_text() == "term\n", "expected the init to get SIGTERM"


def test_kill_all(rt, bundle):
    bundle.sh("sleep 1000 & sleep 1000 & exec sleep 1000")
    cid = rt.start_detached(bundle)
    procs = Path(f"/sys/fs/cgroup/pids/berth-test/{cid}/cgroup.procs")
    wait_for(lambda: len(procs.read_text().split()) == 3, what="3 processes in the cgroup")
    pids = [int(p) for p in procs.read_text().split()]
    rt.ok("kill", "--all", cid, "KILL")
    wait_for(lambda: not any(pid_alive(p) for p in pids), what=f"all of {pids} to die")
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_delete_force_running(rt, sleeper):
    cid = rt.start_detached(sleeper)
    pid = rt.state(cid)["pid"]
    rt.delete(cid, "--force")
    assert_gone(rt, cid, pid)
    res = rt.run("state", cid)
    assert res.returncode != 0, f"expected state of a deleted container to fail:\n{res.describe()}"


def test_delete_running_without_force_fails(rt, sleeper):
    cid = rt.start_detached(sleeper)
    res = rt.run("delete", cid)
    assert res.returncode != 0, f"expected delete of a running container to fail:\n{res.describe()}"
    assert rt.state(cid)["status"] == "running", "expected the container to keep running"


def test_delete_created(rt, sleeper):
    rt.create(sleeper.cid, sleeper)
    pid = rt.state(sleeper.cid)["pid"]
    rt.delete(sleeper.cid, "--force")
    assert_gone(rt, sleeper.cid, pid)


# --- create / start ------------------------------------------------------

def test_create_waits_for_start(rt, bundle, tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    bundle.bind(outdir, "/out")
    bundle.sh("echo started > /out/flag; exec sleep 1000")
    flag = outdir / "flag"

    rt.create(bundle.cid, bundle)
    st = rt.state(bundle.cid)
    assert st["status"] == "created", f"expected status created after create, saw {st}"
    pid = st.get("pid")
    assert isinstance(pid, int) and pid > 0, f"expected a pid after create, saw {st}"
    assert pid_alive(pid), f"expected the init {pid} to exist after create"
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv0 = f.read().split(b"\0")[0]
    assert argv0 not in (b"sh", b"sleep"), (
        f"expected the init to still be the runtime before start, saw argv0 {argv0!r}")
    time.sleep(0.3)
    assert not flag.exists(), "expected the user process not to run before start"

    rt.start(bundle.cid)
    wait_for(flag.exists, what="the user process to run after start")
    assert flag.read_text() == "started\n"
    st = rt.state(bundle.cid)
    assert (st["status"], st["pid"]) == ("running", pid), (
        f"expected running with the same pid {pid}, saw {st}")


def test_start_twice_fails(rt, sleeper):
    cid = rt.start_detached(sleeper)
    res = rt.run("start", cid)
    assert res.returncode != 0, f"expected a second start to fail:\n{res.describe()}"


# exec exits 255 on its own errors (as runc does): 1..254 are the process's.
@pytest.mark.parametrize("verb, code", [("start", 1), ("state", 1), ("kill", 1),
                                        ("delete", 1), ("pause", 1), ("exec", 255)])
def test_missing_container(rt, verb, code):
    cid = "does-not-exist"
    args = {"exec": [cid, "true"], "kill": [cid, "KILL"]}.get(verb, [cid])
    res = rt.run(verb, *args)
    assert_exit(res, code)
    assert "does not exist" in res.stderr or cid in res.stderr, (
        f"expected a 'does not exist' error from {verb}, saw {res.stderr!r}")


def test_duplicate_id_fails(rt, sleeper):
    rt.create(sleeper.cid, sleeper)
    res = rt.run("create", "--bundle", sleeper.path, sleeper.cid)
    assert res.returncode != 0, f"expected a second create with the same id to fail:\n{res.describe()}"
    assert rt.state(sleeper.cid)["status"] == "created", "expected the first container untouched"


# --- state / list / ps ---------------------------------------------------

def test_state_fields(rt, sleeper):
    sleeper.cfg["annotations"] = {"org.berth.test": "yes", "other": "a b"}
    sleeper.write()
    rt.create(sleeper.cid, sleeper)
    st = rt.state(sleeper.cid)
    expected = {"id": sleeper.cid, "status": "created", "bundle": str(sleeper.path),
                "annotations": {"org.berth.test": "yes", "other": "a b"}}
    seen = {k: st.get(k) for k in expected}
    assert seen == expected, f"expected state fields {expected}, saw {st}"
    assert st.get("ociVersion"), f"expected an ociVersion in {st}"
    assert isinstance(st.get("pid"), int) and st["pid"] > 0, f"expected a pid in {st}"
    assert Path(st["bundle"]).is_absolute(), f"expected an absolute bundle, saw {st['bundle']}"
    assert RFC3339.match(st.get("created", "")), f"expected an RFC 3339 created time in {st}"


def test_state_after_exit(rt, bundle):
    bundle.set_args("true")
    cid = rt.start_detached(bundle)
    st = rt.wait_status(cid, "stopped")
    assert not st.get("pid"), f"expected no pid for a stopped container, saw {st}"


def test_list_table(rt, sleeper):
    empty = rt.ok("list").stdout.splitlines()
    assert [l.split() for l in empty] == [LIST_HEADER], (
        f"expected only the header {LIST_HEADER} with no containers, saw {empty}")
    rt.create(sleeper.cid, sleeper)
    pid = rt.state(sleeper.cid)["pid"]
    lines = rt.ok("list").stdout.splitlines()
    assert lines[0].split() == LIST_HEADER, f"expected header {LIST_HEADER}, saw {lines[0]!r}"
    rows = [l.split() for l in lines[1:]]
    assert len(rows) == 1 and rows[0][:4] == [sleeper.cid, str(pid), "created", str(sleeper.path)], (
        f"expected one row for {sleeper.cid}, saw {rows}")
    assert RFC3339.match(rows[0][4]) and rows[0][5] == "root", (
        f"expected created time and owner root, saw {rows[0]}")
    # columns are aligned: every row starts each field where the header does
    starts = [lines[0].index(h) for h in LIST_HEADER]
    assert [lines[1][s - 1] if s else " " for s in starts] == [" "] * len(starts), (
        f"expected columns aligned with the header:\n{lines[0]}\n{lines[1]}")
    assert rt.ok("list", "-q").stdout.split() == [sleeper.cid], "expected `list -q` to print ids"


def test_list_json(rt, make_bundle):
    bundles = [make_bundle(f"b{i}") for i in range(2)]
    for b in bundles:
        b.set_args("sleep", "1000")
        rt.create(b.cid, b)
    rt.start(bundles[1].cid)
    entries = {c["id"]: c for c in rt.list()}
    assert set(entries) == {b.cid for b in bundles}, f"expected both containers, saw {entries}"
    for b, status in zip(bundles, ["created", "running"]):
        c = entries[b.cid]
        for key in ("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"):
            assert key in c, f"expected key {key!r} in list entry {c}"
        seen = (c["status"], c["bundle"], c["pid"], c["owner"])
        expected = (status, str(b.path), rt.state(b.cid)["pid"], "root")
        assert seen == expected, f"expected (status, bundle, pid, owner) {expected}, saw {seen}"


def test_ps(rt, bundle):
    bundle.sh("sleep 1000 & exec sleep 999")
    cid = rt.start_detached(bundle)
    init = rt.state(cid)["pid"]
    procs = Path(f"/sys/fs/cgroup/pids/berth-test/{cid}/cgroup.procs")
    wait_for(lambda: len(procs.read_text().split()) == 2, what="2 processes in the cgroup")
    expected = sorted(int(p) for p in procs.read_text().split())
    pids = json.loads(rt.ok("ps", "--format", "json", cid).stdout)
    assert sorted(pids) == expected and init in pids, (
        f"expected ps --format json to list {expected}, saw {pids}")
    table = rt.ok("ps", cid).stdout.splitlines()
    header = table[0].split()
    assert "PID" in header, f"expected a PID column in {table[0]!r}"
    col = header.index("PID")
    assert sorted(int(l.split()[col]) for l in table[1:]) == expected, (
        f"expected rows for pids {expected}, saw {table}")


# --- pause / resume --------------------------------------------------------

def test_pause_resume(rt, bundle):
    bundle.sh("i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; "
              "usleep 10000; done")
    cid = rt.start_detached(bundle)
    counter = bundle.rootfs / "tmp" / "c"
    wait_for(counter.exists, what="the counter file")

    def value():
        return int(counter.read_text() or 0)

    rt.ok("pause", cid)
    assert rt.state(cid)["status"] == "paused"
    frozen = value()
    time.sleep(0.5)
    assert value() == frozen, f"expected the counter to stop while paused at {frozen}, saw {value()}"
    rt.ok("resume", cid)
    assert rt.state(cid)["status"] == "running"
    wait_for(lambda: value() > frozen, what="the counter to advance after resume")


# --- run -d, pid files ---------------------------------------------------

def test_run_detached(rt, sleeper):
    rt.ok("run", "-d", "--bundle", sleeper.path, sleeper.cid)
    st = rt.state(sleeper.cid)
    assert st["status"] == "running" and pid_alive(st["pid"]), f"expected running, saw {st}"


@pytest.mark.parametrize("verb", [["run", "-d"], ["create"]], ids=["run", "create"])
def test_pid_file(rt, sleeper, tmp_path, verb):
    pid_file = tmp_path / "init.pid"
    rt.ok(*verb, "--pid-file", pid_file, "--bundle", sleeper.path, sleeper.cid)
    pid = rt.state(sleeper.cid)["pid"]
    assert pid_file.read_text().strip() == str(pid), (
        f"expected pid {pid} in the pid file, saw {pid_file.read_text()!r}")


def test_log_json_on_error(rt, tmp_path):
    log = tmp_path / "runtime.log"
    res = rt.run("start", "does-not-exist", global_args=["--log", log, "--log-format", "json"])
    assert_exit(res, 1)
    records = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
    errors = [r for r in records if r.get("level") == "error"]
    assert errors and all("msg" in r for r in errors), (
        f"expected JSON log lines with level error and a msg, saw {records}")
    assert "does not exist" in errors[-1]["msg"], f"expected 'does not exist' in {errors[-1]}"


def test_delete_force_of_missing_container_succeeds(rt):
    res = rt.run("delete", "--force", "never-created")
    assert res.returncode == 0, f"expected success, as runc and crun:\n{res.describe()}"


def test_run_keep_leaves_the_stopped_container(rt, bundle):
    bundle.sh("exit 4")
    res = rt.run("run", "--keep", "--bundle", bundle.path, bundle.cid)
    assert res.returncode == 4, res.describe()
    assert rt.state(bundle.cid)["status"] == "stopped", "expected the container kept, stopped"
    rt.delete(bundle.cid)


def test_run_no_pivot(rt, bundle):
    bundle.sh("echo $$; ls /bin/busybox")
    res = rt.run("run", "--no-pivot", "--bundle", bundle.path, bundle.cid)
    assert res.returncode == 0, res.describe()
    assert res.stdout.split() == ["1", "/bin/busybox"], f"expected to run in the rootfs, saw {res.stdout!r}"
