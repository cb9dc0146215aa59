"""The cgroup v2 manager for real, on the cgroup2 hierarchy of this hybrid
host (BERTH_CGROUP_ROOT=/sys/fs/cgroup/unified), which holds hugetlb only:
creation with the controller enabled, limits, joining (init and exec),
freeze, kill --all, removal.  Skipped where no cgroup2 hierarchy with a
controller is mounted there."""

import os
from pathlib import Path

import pytest

from conftest import IS_BERTH, assert_exit

UNIFIED = Path("/sys/fs/cgroup/unified")
HUGE_2M = Path("/sys/kernel/mm/hugepages/hugepages-2048kB")


def available():
    try:
        return "hugetlb" in (UNIFIED / "cgroup.controllers").read_text().split()
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(not IS_BERTH, reason="BERTH_CGROUP_ROOT is berth's"),
    pytest.mark.skipif(not available() or not HUGE_2M.exists(),
                       reason="no cgroup2 hierarchy with hugetlb at /sys/fs/cgroup/unified"),
]


@pytest.fixture
def v2(monkeypatch):
    """Point berth at the cgroup2 hierarchy; restore the root's
    subtree_control and remove our parent cgroup afterwards."""
    before = (UNIFIED / "cgroup.subtree_control").read_text().split()
    monkeypatch.setenv("BERTH_CGROUP_ROOT", str(UNIFIED))
    yield UNIFIED / "berth-test"
    parent = UNIFIED / "berth-test"
    if parent.exists():
        for child in parent.iterdir():
            if child.is_dir():
                child.rmdir()
        parent.rmdir()
    if "hugetlb" not in before:
        (UNIFIED / "cgroup.subtree_control").write_text("-hugetlb")


def test_v2_limits_membership_freeze_and_removal(rt, bundle, v2):
    bundle.cfg["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 0}]
    bundle.sh("sleep 1000")
    rt.start_detached(bundle)
    cg = v2 / bundle.cid
    pid = rt.state(bundle.cid)["pid"]
    assert (cg / "hugetlb.2MB.max").read_text().strip() == "0", "expected the hugetlb limit"
    assert str(pid) in (cg / "cgroup.procs").read_text().split(), "expected the init in the cgroup"

    res = rt.run("exec", bundle.cid, "sh", "-c", "cat /proc/self/cgroup")
    assert_exit(res, 0)
    assert "0::/" in res.stdout.split(), f"expected the exec'd process at its cgroup ns root, saw {res.stdout!r}"

    rt.ok("pause", bundle.cid)
    assert (cg / "cgroup.freeze").read_text().strip() == "1"
    assert rt.state(bundle.cid)["status"] == "paused"
    rt.ok("resume", bundle.cid)
    assert rt.state(bundle.cid)["status"] == "running"

    rt.ok("kill", "--all", bundle.cid, "KILL")
    rt.wait_status(bundle.cid, "stopped")
    rt.delete(bundle.cid)
    assert not cg.exists(), "expected the cgroup removed"


def test_v2_cgroup_mount_inside(rt, bundle, v2):
    bundle.sh("cat /sys/fs/cgroup/cgroup.controllers; ls /sys/fs/cgroup | grep -c '^hugetlb'")
    res = rt.run_fg(bundle.cid, bundle)
    assert_exit(res, 0)
    out = res.stdout.split()
    assert out[0] == "hugetlb" and int(out[-1]) > 0, (
        f"expected a cgroup2 mount showing hugetlb inside, saw {res.stdout!r}")



def openable_misc_device():
    """A host device that root opens without any capability, so that only
    the device rules can refuse it: /dev/kmsg, /dev/mem and the like need
    CAP_SYSLOG or CAP_SYS_RAWIO as well."""
    for path in ("/dev/fuse", "/dev/loop-control", "/dev/autofs"):
        if Path(path).is_char_device():
            rdev = os.stat(path).st_rdev
            return os.major(rdev), os.minor(rdev)
    return None


def test_v2_device_rules(rt, make_bundle, v2):
    """The default device rules hold on v2 too (a BPF program): /dev/zero
    reads, while a node made inside for a device not on the list cannot be
    opened even with CAP_MKNOD, until a config rule allows it."""
    dev = openable_misc_device()
    if dev is None:
        pytest.skip("no /dev/fuse, /dev/loop-control or /dev/autofs on the host")
    script = (f"head -c1 /dev/zero | wc -c; "
              f"mknod /dev/x c {dev[0]} {dev[1]} || echo mknod-failed; "
              f": </dev/x && echo opened")
    results = []
    for name, rules in (("default", []),
                        ("allowed", [{"allow": True, "type": "c", "major": dev[0],
                                      "minor": dev[1], "access": "rw"}])):
        b = make_bundle(name)
        b.sh(script)
        for kind in ("bounding", "effective", "permitted"):
            b.process["capabilities"][kind].append("CAP_MKNOD")
        b.cfg["linux"].setdefault("resources", {})["devices"] = rules
        b.write()
        results.append(rt.run_fg(b.cid, b))
    denied, allowed = results
    out = denied.stdout + denied.stderr
    assert denied.stdout.split()[:1] == ["1"], f"expected one byte read from /dev/zero:\n{denied.describe()}"
    assert "mknod-failed" not in out, f"expected mknod allowed (c *:* m):\n{denied.describe()}"
    assert "opened" not in out and "Operation not permitted" in out, (
        f"expected opening c {dev[0]}:{dev[1]} refused:\n{denied.describe()}")
    assert_exit(allowed, 0)
    assert allowed.stdout.split() == ["1", "opened"], (
        f"expected c {dev[0]}:{dev[1]} opened once a rule allows it:\n{allowed.describe()}")
