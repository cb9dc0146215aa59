"""cgroup limits: memory (OOM kill), pids (fork bomb), `update`."""

import os
from pathlib import Path

import pytest

from conftest import CGROUP_PARENT, assert_exit, wait_for

MiB = 1 << 20


def cgroup_file(controller, cid, name) -> Path:
    return Path("/sys/fs/cgroup") / controller / CGROUP_PARENT / cid / name


def read_cgroup(controller, cid, name) -> str:
    return cgroup_file(controller, cid, name).read_text().strip()


def oom_bundle(bundle):
    # pid 1 (the shell) itself holds 64 MiB in a variable: the OOM killer
    # has to kill it, so the container's exit status is 128 + SIGKILL.
    bundle.cfg["linux"]["resources"]["memory"] = {"limit": 16 * MiB, "swap": 16 * MiB}
    bundle.sh('x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived ${#x}')


def test_memory_limit_oom_kill(rt, bundle):
    oom_bundle(bundle)
    res = rt.run_fg(bundle.cid, bundle)
    assert_exit(res, 137)
    assert "survived" not in res.stdout, f"expected the OOM kill, saw {res.stdout!r}"


@pytest.mark.berth_only
def test_oom_kill_reported(rt, bundle):
    # berth's foreground `run` reports an OOM kill of the container on stderr.
    oom_bundle(bundle)
    res = rt.run_fg(bundle.cid, bundle)
    assert_exit(res, 137)
    assert "OOM" in res.stderr, f"expected an OOM report on stderr, saw {res.stderr!r}"


PIDS_LIMIT = 20
# Runs as pid 1.  The fork bomb runs in a child shell (ash exits when a fork
# fails); the parent then counts processes with a glob (no fork needed, the
# pids are used up) and waits on a fifo until the test tells it to exit.
# The bomb stops at 200 processes in case the limit is not enforced at all.
FORK_BOMB = (
    "sh -c 'i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done' "
    "2>/tmp/bomb.err; echo $? > /tmp/bomb.rc; "
    "set -- /proc/[0-9]*; echo $# > /tmp/count.tmp; mv /tmp/count.tmp /tmp/count; "
    "read line < /tmp/ctl; exit 0"
)


def test_pids_limit_holds_fork_bomb(rt, bundle):
    bundle.cfg["linux"]["resources"]["pids"] = {"limit": PIDS_LIMIT}
    bundle.sh(FORK_BOMB)
    tmp = bundle.rootfs / "tmp"
    os.mkfifo(tmp / "ctl")
    run = rt.spawn("run", "--bundle", bundle.path, bundle.cid)
    wait_for(lambda: (tmp / "count").exists() or run.proc.poll() is not None,
             what="the fork bomb to finish")
    assert run.proc.poll() is None, f"container exited early: {run.finish().describe()}"
    assert read_cgroup("pids", bundle.cid, "pids.max") == str(PIDS_LIMIT)
    current = int(read_cgroup("pids", bundle.cid, "pids.current"))
    count = int((tmp / "count").read_text())
    assert 10 < count <= PIDS_LIMIT, f"expected 10 < processes <= {PIDS_LIMIT}, saw {count}"
    assert current <= PIDS_LIMIT, f"expected pids.current <= {PIDS_LIMIT}, saw {current}"
    assert (tmp / "bomb.rc").read_text().strip() != "0", "expected the fork bomb to fail"
    err = (tmp / "bomb.err").read_text()
    assert "fork" in err, f"expected a fork failure message, saw {err!r}"
    with open(tmp / "ctl", "w") as ctl:
        ctl.write("stop\n")
    assert_exit(run.finish(), 0)


@pytest.mark.parametrize("flag, value, controller, name, expected", [
    ("--memory", "32M", "memory", "memory.limit_in_bytes", str(32 * MiB)),
    ("--pids-limit", "50", "pids", "pids.max", "50"),
    ("--cpu-share", "512", "cpu", "cpu.shares", "512"),
], ids=["memory", "pids", "cpu-shares"])
def test_update(rt, bundle, flag, value, controller, name, expected):
    bundle.set_args("sleep", "1000")
    cid = rt.start_detached(bundle)
    before = read_cgroup(controller, cid, name)
    rt.ok("update", flag, value, cid)
    after = read_cgroup(controller, cid, name)
    assert after == expected, (
        f"expected {controller}/{name} = {expected} after update {flag} {value}, "
        f"saw {after} (before: {before})")


def test_update_resources_from_stdin(rt, bundle):
    bundle.set_args("sleep", "1000")
    cid = rt.start_detached(bundle)
    rt.ok("update", "--resources", "-", cid,
          input='{"memory": {"limit": 50331648}, "pids": {"limit": 33}}')
    seen = (read_cgroup("memory", cid, "memory.limit_in_bytes"),
            read_cgroup("pids", cid, "pids.max"))
    assert seen == ("50331648", "33"), f"expected memory/pids limits 50331648/33, saw {seen}"


V1 = Path("/sys/fs/cgroup")


@pytest.mark.skipif(not (V1 / "cpu").is_dir() or (V1 / "cgroup.controllers").exists(),
                    reason="checks cgroup v1 files")
def test_v1_resource_files(rt, bundle):
    """What create writes into the host's v1 cgroup files for each
    resource the config sets."""
    bundle.cfg["linux"]["resources"].update({
        "memory": {"limit": 64 * MiB, "reservation": 32 * MiB, "swap": 128 * MiB},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 42},
    })
    bundle.sh("sleep 1000")
    rt.start_detached(bundle)
    path = f"berth-test/{bundle.cid}"
    expected = {
        "memory/memory.limit_in_bytes": str(64 * MiB),
        "memory/memory.soft_limit_in_bytes": str(32 * MiB),
        "cpu/cpu.shares": "512",
        "cpu/cpu.cfs_quota_us": "50000",
        "cpu/cpu.cfs_period_us": "100000",
        "cpuset/cpuset.cpus": "0",
        "pids/pids.max": "42",
    }
    if (V1 / "memory" / "memory.memsw.limit_in_bytes").exists():
        expected["memory/memory.memsw.limit_in_bytes"] = str(128 * MiB)
    seen = {k: (V1 / k.split("/")[0] / path / k.split("/")[1]).read_text().strip()
            for k in expected}
    assert seen == expected, f"expected {expected}, saw {seen}"
    rt.kill(bundle.cid)


def test_seccomp_argument_condition(rt, bundle):
    """kill(2) refused only when its signal argument is SIGUSR1."""
    bundle.cfg["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                      "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]}
    bundle.sh("trap '' USR1; kill -0 $$ && echo zero-ok; kill -USR1 $$ 2>/dev/null || echo usr1-refused")
    res = rt.run_fg(bundle.cid, bundle)
    assert res.returncode == 0, res.describe()
    assert res.stdout.split() == ["zero-ok", "usr1-refused"], (
        f"expected kill -0 allowed and kill -USR1 refused, saw {res.stdout!r}")
