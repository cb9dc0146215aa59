"""What the container's process sees: namespaces, root, masks, capabilities,
seccomp, rlimits, file descriptors."""

import os
from pathlib import Path
import re
import uuid

import pytest

from conftest import assert_nothing_left, assert_exit, assert_one_line_error, run_cmd, with_fd3

CAP_BITS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5,
            "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
            "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29}


def run_sh(rt, bundle, script, *extra):
    bundle.sh(script)
    return rt.run_fg(bundle.cid, bundle, *extra)


def output_lines(res):
    return res.stdout.splitlines()


def test_pid1_and_hostname(rt, bundle):
    bundle.cfg["hostname"] = "berth-host-1"
    res = run_sh(rt, bundle, "echo $$; hostname")
    assert_exit(res, 0)
    assert output_lines(res) == ["1", "berth-host-1"], (
        f"expected pid 1 and hostname berth-host-1, saw {res.stdout!r}")


def test_readonly_root_with_tmpfs(rt, bundle):
    bundle.cfg["root"]["readonly"] = True
    bundle.add_mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "mode=1777"])
    res = run_sh(rt, bundle,
                 "touch /x 2>/dev/null; echo root=$?; "
                 "echo hi > /tmp/y && cat /tmp/y")
    assert_exit(res, 0)
    lines = output_lines(res)
    assert lines[0] != "root=0", f"expected touch /x to fail on a read-only root, saw {lines}"
    assert lines[1:] == ["hi"], f"expected a writable /tmp tmpfs, saw {lines}"
    assert not (bundle.rootfs / "x").exists(), "expected no /x in the rootfs on the host"


def masked_setup(bundle):
    (bundle.rootfs / "etc" / "secret").write_text("top secret\n")
    (bundle.rootfs / "etc" / "secretdir").mkdir()
    (bundle.rootfs / "etc" / "secretdir" / "inner").write_text("inner secret\n")
    bundle.cfg["linux"]["maskedPaths"] = ["/proc/kcore", "/proc/timer_list",
                                          "/etc/secret", "/etc/secretdir"]


@pytest.mark.parametrize("script, expected", [
    # a masked file reads as empty (or is denied), a masked dir lists as empty
    ("cat /proc/timer_list 2>/dev/null | wc -c", "0"),
    ("cat /etc/secret 2>/dev/null | wc -c", "0"),
    ("ls -A /etc/secretdir 2>/dev/null | wc -l", "0"),
], ids=["proc-timer-list", "file", "directory"])
def test_masked_paths(rt, bundle, script, expected):
    masked_setup(bundle)
    res = run_sh(rt, bundle, script)
    assert_exit(res, 0)
    assert res.stdout.strip() == expected, (
        f"expected {expected!r} from `{script}` on a masked path, saw {res.stdout!r}")
    assert (bundle.rootfs / "etc" / "secret").read_text() == "top secret\n"


def add_caps(bundle, *caps):
    for s in ("bounding", "effective", "permitted"):
        bundle.cfg["process"]["capabilities"][s] += list(caps)


@pytest.mark.parametrize("script", [
    "echo berth > /proc/sys/kernel/domainname",
    "touch /etc/rodir/new",
], ids=["proc-sys", "custom-dir"])
def test_readonly_paths(rt, bundle, script):
    # CAP_SYS_ADMIN so that only the read-only mount can stop the writes
    # (domainname is per uts namespace: no harm to the host if it works).
    add_caps(bundle, "CAP_SYS_ADMIN")
    (bundle.rootfs / "etc" / "rodir").mkdir()
    bundle.cfg["linux"]["readonlyPaths"] = ["/proc/sys", "/etc/rodir"]
    res = run_sh(rt, bundle, f"{script} 2>/dev/null; echo rc=$?; touch /etc/rw && echo rw=ok")
    assert_exit(res, 0)
    lines = output_lines(res)
    assert lines[0] != "rc=0", f"expected `{script}` to fail on a read-only path, saw {lines}"
    assert lines[1:] == ["rw=ok"], f"expected the rest of the root to be writable, saw {lines}"
    assert not (bundle.rootfs / "etc" / "rodir" / "new").exists()


@pytest.mark.parametrize("caps", [
    [],
    ["CAP_CHOWN"],
    ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
], ids=["none", "chown", "four"])
def test_capabilities(rt, bundle, caps):
    bundle.cfg["process"]["capabilities"] = {
        s: list(caps) for s in ("bounding", "effective", "permitted", "inheritable", "ambient")}
    res = run_sh(rt, bundle, "grep -E '^Cap(Eff|Prm|Bnd|Inh):' /proc/self/status")
    assert_exit(res, 0)
    seen = {k: int(v, 16) for k, v in re.findall(r"(Cap\w+):\s*([0-9a-f]+)", res.stdout)}
    mask = sum(1 << CAP_BITS[c] for c in caps)
    expected = {"CapEff": mask, "CapPrm": mask, "CapBnd": mask, "CapInh": mask}
    assert seen == expected, (
        f"expected capability masks {({k: hex(v) for k, v in expected.items()})}, "
        f"saw {({k: hex(v) for k, v in seen.items()})}")


def test_capability_really_dropped(rt, bundle):
    """Without CAP_CHOWN, root cannot chown a file it does not own."""
    caps = ["CAP_KILL"]
    bundle.cfg["process"]["capabilities"] = {s: caps for s in ("bounding", "effective",
                                                                "permitted")}
    res = run_sh(rt, bundle, "touch /tmp/f; chown 65534 /tmp/f 2>&1; echo rc=$?")
    assert "rc=0" not in res.stdout, f"expected chown to fail without CAP_CHOWN, saw {res.stdout!r}"
    assert "Operation not permitted" in res.stdout, f"expected EPERM from chown, saw {res.stdout!r}"


@pytest.mark.parametrize("errno, message", [(1, "Operation not permitted"),
                                            (13, "Permission denied")])
def test_seccomp_errno(rt, bundle, errno, message):
    bundle.cfg["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": errno}],
    }
    res = run_sh(rt, bundle, "mkdir /tmp/x; echo rc=$?; touch /tmp/y && echo touch=ok")
    assert_exit(res, 0)
    assert output_lines(res) == ["rc=1", "touch=ok"], (
        f"expected mkdir to fail and touch to work, saw {res.stdout!r}")
    assert message in res.stderr, f"expected {message!r} from mkdir, saw {res.stderr!r}"
    assert not (bundle.rootfs / "tmp" / "x").exists()


@pytest.mark.parametrize("soft, hard", [(1024, 1024), (512, 2048)])
def test_rlimit_nofile(rt, bundle, soft, hard):
    bundle.cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": soft, "hard": hard}]
    res = run_sh(rt, bundle, "ulimit -Sn; ulimit -Hn")
    assert_exit(res, 0)
    assert output_lines(res) == [str(soft), str(hard)], (
        f"expected soft/hard nofile {soft}/{hard}, saw {res.stdout!r}")


def over_hard_limit(rt, bundle):
    bundle.cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024,
                                         "hard": 10**9}]
    bundle.sh("echo started")
    return rt.run("create", "--bundle", bundle.path, bundle.cid)


def test_rlimit_above_host_hard_limit_fails(rt, bundle):
    res = over_hard_limit(rt, bundle)
    assert_one_line_error(res)
    assert_nothing_left(rt)


@pytest.mark.berth_only
def test_rlimit_error_names_the_limit(rt, bundle):
    # berth names the rlimit by its spec name; runc says "rlimit type 7".
    assert_one_line_error(over_hard_limit(rt, bundle), "RLIMIT_NOFILE")


def test_no_fd_leak(rt, bundle, tmp_path):
    """The runtime gets an extra fd 3 but, without --preserve-fds, the
    container sees only stdio (and the fd ls opens itself)."""
    secret = tmp_path / "leak"
    secret.write_text("leaked\n")
    bundle.sh("ls /proc/self/fd")
    res = run_cmd(with_fd3(secret, rt.argv("run", "--bundle", bundle.path, bundle.cid)))
    assert_exit(res, 0)
    assert sorted(res.stdout.split()) == ["0", "1", "2", "3"], (
        f"expected only fds 0 1 2 and ls's own 3, saw {res.stdout.split()}")


def test_preserve_fds(rt, bundle, tmp_path):
    passed = tmp_path / "passed"
    passed.write_text("through-fd-3\n")
    bundle.sh("cat <&3; ls /proc/self/fd | wc -l")
    res = run_cmd(with_fd3(passed, rt.argv("run", "--preserve-fds", "1",
                                           "--bundle", bundle.path, bundle.cid)))
    assert_exit(res, 0)
    assert output_lines(res) == ["through-fd-3", "5"], (
        f"expected fd 3 content and 5 fds (0-3 + ls's own), saw {res.stdout!r}")


def test_no_host_path_reachable(rt, bundle):
    """After pivot_root the root is the rootfs: a marker beside the bundle
    is nowhere to be found and `..` of / is / itself."""
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    (bundle.path.parent / marker).write_text("host\n")
    (bundle.path / marker).write_text("bundle\n")
    res = run_sh(rt, bundle,
                 "ls -A /; echo ---; ls -A /..; echo ---; "
                 f"find / -path /proc -prune -o -path /sys -prune -o -name '{marker}' -print")
    assert_exit(res, 0)
    root, parent, found = res.stdout.split("---\n")
    expected = sorted(os.listdir(bundle.rootfs))
    assert sorted(root.split()) == expected, f"expected / to list {expected}, saw {root.split()}"
    assert sorted(parent.split()) == expected, f"expected /.. == /, saw {parent.split()}"
    assert found.strip() == "", f"expected the host marker to be unreachable, found {found!r}"


@pytest.mark.berth_only
def test_init_exe_not_accessible_while_created(rt, bundle):
    # While the container is "created", its pid 1 is still the berth binary.
    # berth makes that waiting init non-dumpable so a process exec'd into the
    # container can neither read nor open for writing /proc/1/exe (the
    # runtime binary; cf. CVE-2019-5736).
    bundle.set_args("sleep", "1000")
    rt.create(bundle.cid, bundle)
    res = rt.run("exec", bundle.cid, "sh", "-c",
                 "cat /proc/1/exe > /dev/null 2>&1; echo read=$?; "
                 "echo x 2>/dev/null >> /proc/1/exe; echo write=$?")
    assert_exit(res, 0)
    lines = output_lines(res)
    assert lines[0] != "read=0" and lines[1] != "write=0", (
        f"expected reading and writing /proc/1/exe to fail, saw {lines}")


@pytest.mark.berth_only
def test_runtime_binary_safe_from_ptrace_capable_container(rt, bundle):
    # A container with CAP_SYS_PTRACE (and no user namespace) passes the
    # non-dumpable check, so berth runs such containers from a sealed
    # in-memory copy of its binary: /proc/1/exe leads to the copy, which
    # cannot be written, and the binary on disk is untouched.
    import hashlib
    real = os.path.realpath(rt.binary)
    before = hashlib.sha256(open(real, "rb").read()).hexdigest()
    for s in ("bounding", "effective", "permitted"):
        bundle.process["capabilities"][s] += ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]
    bundle.set_args("sleep", "1000")
    rt.create(bundle.cid, bundle)
    res = rt.run("exec", bundle.cid, "sh", "-c",
                 "readlink /proc/1/exe; echo x 2>/dev/null >> /proc/1/exe; echo write=$?")
    assert_exit(res, 0)
    lines = output_lines(res)
    assert lines[0].startswith("/memfd:"), f"expected the init to run from a memfd copy, saw {lines}"
    assert lines[1] != "write=0", f"expected writing /proc/1/exe to fail, saw {lines}"
    assert hashlib.sha256(open(real, "rb").read()).hexdigest() == before, "the runtime binary changed"


def test_fake_cap_last_cap_in_rootfs_does_not_widen_capabilities(rt, bundle):
    """The bounding set is sized by asking the kernel, not by reading the
    container's (here faked, /proc unmounted) /proc/sys/kernel/cap_last_cap."""
    fake = bundle.rootfs / "proc" / "sys" / "kernel"
    fake.mkdir(parents=True)
    (fake / "cap_last_cap").write_text("-1\n")
    bundle.cfg["mounts"] = [m for m in bundle.cfg["mounts"] if m["destination"] != "/proc"]
    bundle.cfg["linux"]["maskedPaths"] = []
    bundle.cfg["linux"]["readonlyPaths"] = []
    bundle.process["noNewPrivileges"] = False
    bundle.set_args("sleep", "1000")
    rt.start_detached(bundle)
    pid = rt.state(bundle.cid)["pid"]
    with open(f"/proc/{pid}/status") as f:
        bnd = [l.split()[1] for l in f if l.startswith("CapBnd")]
    rt.kill(bundle.cid)
    assert bnd == ["0000000020000420"], f"expected only the configured bounding set, saw {bnd}"


def test_cgroup_with_processes_is_refused(rt, bundle):
    """A cgroupsPath naming a cgroup that already has processes would put
    them in the container's fate (kill --all, delete): refused."""
    import subprocess
    import time as _time
    victim = Path("/sys/fs/cgroup/pids/berth-test/victim")
    victim.mkdir(parents=True, exist_ok=True)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (victim / "cgroup.procs").write_text(str(sleeper.pid))
        bundle.cfg["linux"]["cgroupsPath"] = "/berth-test/victim"
        bundle.sh("true")
        res = rt.run("create", "--bundle", bundle.path, bundle.cid)
        assert_one_line_error(res, "already has processes")
        _time.sleep(0.1)
        assert sleeper.poll() is None, "the process already in the cgroup was killed"
        # Refused before anything was made: no hierarchy got a directory.
        made = [str(p) for p in Path("/sys/fs/cgroup").glob("*/berth-test/victim")
                if not str(p).startswith("/sys/fs/cgroup/pids/")]
        assert made == [], f"the refused create left {made}"
    finally:
        sleeper.kill()
        sleeper.wait()
        for _ in range(50):
            try:
                victim.rmdir()
                break
            except OSError:
                _time.sleep(0.02)
