"""`exec`: a new process inside a running container."""

import json
import os

import pytest

from conftest import assert_exit, pid_alive

NAMESPACES = ["cgroup", "ipc", "mnt", "net", "pid", "uts"]


@pytest.fixture
def running(rt, bundle):
    """A running container whose init sleeps; returns (id, host pid)."""
    bundle.set_args("sleep", "1000")
    cid = rt.start_detached(bundle)
    return cid, rt.state(cid)["pid"]


def host_ns(pid, ns):
    return os.readlink(f"/proc/{pid}/ns/{ns}")


def host_cgroups(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return sorted(f.read().split())


def test_exec_joins_namespaces_and_cgroup(rt, running):
    cid, pid = running
    # /proc/self/cgroup and /proc/1/cgroup read in the same (possibly
    # cgroup-namespaced) view must agree
    script = ("for n in " + " ".join(NAMESPACES) + "; do readlink /proc/self/ns/$n; done; "
              "echo ---; cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup")
    res = rt.run("exec", cid, "sh", "-c", script)
    assert_exit(res, 0)
    ns_out, own, init = res.stdout.split("---\n")
    expected = [host_ns(pid, ns) for ns in NAMESPACES]
    assert ns_out.split() == expected, (
        f"expected the exec'd process in namespaces {expected}, saw {ns_out.split()}")
    assert sorted(own.split()) == sorted(init.split()), (
        f"expected the exec'd process in the init's cgroups:\n{init}\nsaw:\n{own}")
    assert any(line.endswith(f"/berth-test/{cid}") for line in host_cgroups(pid)), (
        f"expected the init in the test cgroup, saw {host_cgroups(pid)}")


@pytest.mark.parametrize("code", [0, 7, 255])
def test_exec_exit_code(rt, running, code):
    cid, _ = running
    assert_exit(rt.run("exec", cid, "sh", "-c", f"exit {code}"), code)


@pytest.mark.parametrize("flags, command, expected", [
    (["--env", "A=B"], "echo $A", "B"),
    (["--cwd", "/tmp"], "pwd", "/tmp"),
    (["--user", "65534:65534"], "id -u; id -g", "65534\n65534"),
    (["--user", "65534"], "id -un", "nobody"),
], ids=["env", "cwd", "user-uid-gid", "user-uid"])
def test_exec_flags(rt, running, flags, command, expected):
    cid, _ = running
    res = rt.run("exec", *flags, cid, "sh", "-c", command)
    assert_exit(res, 0)
    assert res.stdout.strip() == expected, (
        f"expected `{command}` with {flags} to print {expected!r}, saw {res.stdout!r}")


def test_exec_process_json(rt, running, tmp_path):
    cid, _ = running
    process = {"terminal": False, "user": {"uid": 65534, "gid": 65534},
               "args": ["sh", "-c", "echo $FOO; pwd; id -u"],
               "env": ["PATH=/bin", "FOO=from-json"], "cwd": "/etc"}
    pj = tmp_path / "process.json"
    pj.write_text(json.dumps(process))
    res = rt.run("exec", "--process", pj, cid)
    assert_exit(res, 0)
    assert res.stdout.split() == ["from-json", "/etc", "65534"], (
        f"expected env, cwd and user from process.json, saw {res.stdout!r}")


def test_exec_detached_with_pid_file(rt, running, tmp_path):
    cid, init_pid = running
    pid_file = tmp_path / "exec.pid"
    rt.ok("exec", "-d", "--pid-file", pid_file, cid, "sleep", "999")
    text = pid_file.read_text().strip()
    assert text.isdigit(), f"expected a pid in the pid file, saw {text!r}"
    pid = int(text)
    assert pid_alive(pid), f"expected the detached exec'd process {pid} to be running"
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmdline = f.read()
    assert cmdline == b"sleep\x00999\x00", f"expected `sleep 999`, saw {cmdline!r}"
    assert host_ns(pid, "pid") == host_ns(init_pid, "pid"), (
        "expected the detached process in the container's pid namespace")
    assert host_cgroups(pid) == host_cgroups(init_pid), (
        f"expected the detached process in the init's cgroups {host_cgroups(init_pid)}, "
        f"saw {host_cgroups(pid)}")


def test_exec_in_stopped_container_fails(rt, bundle):
    bundle.set_args("true")
    cid = rt.start_detached(bundle)
    rt.wait_status(cid, "stopped")
    res = rt.run("exec", cid, "true")
    assert res.returncode != 0, f"expected exec into a stopped container to fail:\n{res.describe()}"
