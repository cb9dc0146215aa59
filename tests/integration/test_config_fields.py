"""The remaining Linux fields of config.json, each checked from inside the
container: sysctl, oomScoreAdj, domainname, user (additionalGids, umask),
devices, mount options and propagation, namespaces joined by path, the time
namespace, noNewPrivileges, ambient capabilities, personality, scheduler,
I/O priority, CPU affinity, hook timeouts, annotations."""

import os
import time

import pytest

from conftest import assert_exit, assert_one_line_error, assert_nothing_left


def run_sh(rt, bundle, script):
    bundle.sh(script)
    return rt.run_fg(bundle.cid, bundle)


def lines(res):
    return res.stdout.splitlines()


def test_sysctl(rt, bundle):
    bundle.cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                     "kernel.shmmax": "123456789"}
    res = run_sh(rt, bundle, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax")
    assert_exit(res, 0)
    assert lines(res) == ["1", "123456789"], f"expected the sysctl values, saw {res.stdout!r}"
    with open("/proc/sys/kernel/shmmax") as f:
        assert f.read().strip() != "123456789", "the host's shmmax must be untouched"


def test_oom_score_adj(rt, bundle):
    bundle.process["oomScoreAdj"] = 500
    res = run_sh(rt, bundle, "cat /proc/self/oom_score_adj")
    assert_exit(res, 0)
    assert lines(res) == ["500"], f"expected oom_score_adj 500, saw {res.stdout!r}"


def test_domainname(rt, bundle):
    bundle.cfg["domainname"] = "berth.example"
    res = run_sh(rt, bundle, "cat /proc/sys/kernel/domainname")
    assert_exit(res, 0)
    assert lines(res) == ["berth.example"], f"expected the domainname, saw {res.stdout!r}"


def test_user_additional_gids_and_umask(rt, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 65534],
                              "umask": 0o077}
    res = run_sh(rt, bundle, "id -u; id -g; id -G; umask; touch /tmp/f; stat -c %a /tmp/f")
    assert_exit(res, 0)
    out = lines(res)
    assert out[0:2] == ["1000", "1001"], f"expected uid 1000 gid 1001, saw {out}"
    assert sorted(out[2].split()) == sorted(["1001", "5", "65534"]), (
        f"expected groups 1001 5 65534, saw {out[2]}")
    assert out[3] == "0077" and out[4] == "600", f"expected umask 0077 and mode 600, saw {out}"


def test_devices_created(rt, bundle):
    bundle.cfg["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
         "fileMode": 0o666, "uid": 7, "gid": 8}]
    res = run_sh(rt, bundle, "stat -c '%t %T %a %u %g' /dev/mynull; echo hi > /dev/mynull && echo ok;"
                             " ls /dev")
    assert_exit(res, 0)
    out = lines(res)
    assert out[0] == "1 3 666 7 8", f"expected char 1:3 mode 666 owner 7:8, saw {out[0]}"
    assert out[1] == "ok", f"expected the device to be writable (allowed in the cgroup), saw {out}"
    for dev in ("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx"):
        assert dev in out, f"expected /dev/{dev} in the default set, saw {out[2:]}"


def test_device_cgroup_denies_unlisted(rt, bundle):
    # /dev/kmsg (c 1:11) is neither a default nor listed: mknod works
    # (m is allowed) but opening it is refused by the device cgroup.
    res = run_sh(rt, bundle, "mknod /dev/kmsg2 c 1 11 && cat /dev/kmsg2 >/dev/null; echo rc=$?")
    assert "rc=0" not in res.stdout, f"expected the device cgroup to refuse 1:11, saw {res.stdout!r}"


@pytest.mark.parametrize("options, script, expected", [
    (["size=1m", "mode=700"], "stat -c %a /mnt; df -k /mnt | tail -1 | awk '{print $2}'",
     ["700", "1024"]),
    (["ro"], "touch /mnt/x 2>/dev/null && echo writable || echo read-only", ["read-only"]),
    (["noexec"], "cp /bin/busybox /mnt/bb && /mnt/bb true 2>/dev/null && echo exec || echo noexec",
     ["noexec"]),
], ids=["size-mode", "ro", "noexec"])
def test_tmpfs_options(rt, bundle, options, script, expected):
    bundle.add_mount("/mnt", "tmpfs", "tmpfs", options)
    res = run_sh(rt, bundle, script)
    assert_exit(res, 0)
    assert lines(res) == expected, f"expected {expected} with {options}, saw {res.stdout!r}"


def test_bind_mount_readonly(rt, bundle, tmp_path):
    host = tmp_path / "data"
    host.mkdir()
    (host / "file").write_text("from-host\n")
    bundle.bind(host, "/data", ro=True)
    res = run_sh(rt, bundle, "cat /data/file; touch /data/new 2>/dev/null && echo rw || echo ro")
    assert_exit(res, 0)
    assert lines(res) == ["from-host", "ro"], f"expected host content, read-only; saw {res.stdout!r}"
    assert not (host / "new").exists()


def test_bind_mount_file_and_relative_source(rt, bundle):
    (bundle.path / "hello.txt").write_text("relative\n")
    bundle.add_mount("/etc/hello.txt", "bind", "hello.txt", ["bind", "ro"])
    res = run_sh(rt, bundle, "cat /etc/hello.txt")
    assert_exit(res, 0)
    assert lines(res) == ["relative"], f"expected the bundle-relative file, saw {res.stdout!r}"


def test_rbind_carries_submounts(rt, bundle, tmp_path):
    host = tmp_path / "tree"
    (host / "sub").mkdir(parents=True)
    os.system(f"mount -t tmpfs tmpfs {host / 'sub'}")
    try:
        (host / "sub" / "marker").write_text("sub\n")
        bundle.add_mount("/tree", "bind", host, ["rbind"])
        res = run_sh(rt, bundle, "cat /tree/sub/marker")
    finally:
        os.system(f"umount {host / 'sub'}")
    assert_exit(res, 0)
    assert lines(res) == ["sub"], f"expected rbind to bring the submount, saw {res.stdout!r}"


def test_mount_does_not_propagate_to_host(rt, bundle, tmp_path):
    host = tmp_path / "shared"
    host.mkdir()
    bundle.add_mount("/shared", "bind", host, ["rbind", "rw"])
    bundle.process["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    bundle.process["capabilities"]["effective"].append("CAP_SYS_ADMIN")
    bundle.process["capabilities"]["permitted"].append("CAP_SYS_ADMIN")
    res = run_sh(rt, bundle, "mkdir -p /shared/m && mount -t tmpfs none /shared/m && echo mounted")
    assert_exit(res, 0)
    with open("/proc/self/mountinfo") as f:
        assert str(host / "m") not in f.read(), "a mount made in the container reached the host"


def test_join_network_namespace_by_path(rt, bundle, make_bundle):
    first = bundle
    first.sh("sleep 1000")
    rt.start_detached(first)
    pid = rt.state(first.cid)["pid"]
    second = make_bundle("second")
    for ns in second.cfg["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = f"/proc/{pid}/ns/net"
    second.sh("readlink /proc/self/ns/net")
    res = rt.run_fg(second.cid, second)
    assert_exit(res, 0)
    assert lines(res) == [os.readlink(f"/proc/{pid}/ns/net")], (
        f"expected the first container's network namespace, saw {res.stdout!r}")
    rt.kill(first.cid)


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/time"), reason="no time namespace")
def test_time_namespace_offsets(rt, bundle):
    bundle.cfg["linux"]["namespaces"].append({"type": "time"})
    bundle.cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    res = run_sh(rt, bundle, "cut -d. -f1 /proc/uptime")
    assert_exit(res, 0)
    with open("/proc/uptime") as f:
        host_uptime = int(float(f.read().split()[0]))
    inside = int(lines(res)[0])
    assert inside >= host_uptime + 86400 * 365 - 5, (
        f"expected uptime shifted by a year, host {host_uptime} s, inside {inside} s")


@pytest.mark.parametrize("nnp, expected", [(True, "1"), (False, "0")])
def test_no_new_privileges(rt, bundle, nnp, expected):
    bundle.process["noNewPrivileges"] = nnp
    res = run_sh(rt, bundle, "grep NoNewPrivs /proc/self/status | cut -f2")
    assert_exit(res, 0)
    assert lines(res) == [expected], f"expected NoNewPrivs {expected}, saw {res.stdout!r}"


def test_ambient_capabilities_for_non_root(rt, bundle):
    caps = ["CAP_NET_BIND_SERVICE"]
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {k: caps for k in
                                      ("bounding", "effective", "permitted", "inheritable", "ambient")}
    res = run_sh(rt, bundle, "grep -E 'CapEff|CapAmb' /proc/self/status | cut -f2")
    assert_exit(res, 0)
    assert lines(res) == ["0000000000000400", "0000000000000400"], (
        f"expected CAP_NET_BIND_SERVICE effective and ambient for uid 1000, saw {res.stdout!r}")


def test_personality_linux32(rt, bundle):
    bundle.cfg["linux"]["personality"] = {"domain": "LINUX32"}
    res = run_sh(rt, bundle, "uname -m")
    assert_exit(res, 0)
    assert lines(res) in (["i686"], ["i386"]), f"expected a 32-bit machine name, saw {res.stdout!r}"


def test_scheduler_and_io_priority(rt, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    bundle.process["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
    res = run_sh(rt, bundle, "cut -d' ' -f19,41 /proc/self/stat")
    assert_exit(res, 0)
    nice, policy = lines(res)[0].split()
    assert (nice, policy) == ("5", "3"), f"expected nice 5 and SCHED_BATCH (3), saw {res.stdout!r}"


def test_exec_cpu_affinity(rt, bundle):
    bundle.process["execCPUAffinity"] = {"initial": "0", "final": "0"}
    res = run_sh(rt, bundle, "grep Cpus_allowed_list /proc/self/status | cut -f2")
    assert_exit(res, 0)
    assert lines(res) == ["0"], f"expected the process pinned to cpu 0, saw {res.stdout!r}"


def test_hook_timeout_fails_create(rt, bundle):
    bundle.cfg["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"],
                                              "timeout": 1}]}
    bundle.sh("true")
    started = time.monotonic()
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert time.monotonic() - started < 10, "expected the hook to be killed after its timeout"
    assert_one_line_error(res)
    assert "timed out" in res.stderr, f"expected a timeout message, saw {res.stderr!r}"
    assert_nothing_left(rt)


def test_annotations_in_state(rt, bundle):
    bundle.cfg["annotations"] = {"org.example.key": "value"}
    bundle.sh("sleep 1000")
    rt.start_detached(bundle)
    state = rt.state(bundle.cid)
    assert state.get("annotations") == {"org.example.key": "value"}, (
        f"expected the annotations in the state, saw {state}")
    rt.kill(bundle.cid)


def test_rootfs_propagation_private(rt, bundle):
    bundle.cfg["linux"]["rootfsPropagation"] = "private"
    res = run_sh(rt, bundle, "awk '$5 == \"/\"' /proc/self/mountinfo")
    assert_exit(res, 0)
    assert res.stdout.strip(), "expected the root mount in mountinfo"
    assert "shared:" not in res.stdout and "master:" not in res.stdout, (
        f"expected a private root mount, saw {res.stdout!r}")


@pytest.mark.berth_only
@pytest.mark.skipif(os.path.exists("/sys/module/apparmor") or os.path.exists("/sys/fs/selinux"),
                    reason="the host has an LSM: labels would be applied")
def test_lsm_labels_accepted_with_warning(rt, bundle):
    bundle.process["apparmorProfile"] = "berth-test-profile"
    bundle.process["selinuxLabel"] = "system_u:system_r:container_t:s0"
    res = run_sh(rt, bundle, "echo ran")
    assert_exit(res, 0)
    assert lines(res) == ["ran"]
    for field in ("process.apparmorProfile", "process.selinuxLabel"):
        assert field in res.stderr and "ignored" in res.stderr, (
            f"expected a warning naming {field}, saw {res.stderr!r}")


def test_join_netns_with_new_user_and_pid_namespaces(rt, bundle, make_bundle):
    """A joined network namespace plus a new user namespace: the new pid
    namespace must belong to the new user namespace, or the container's
    /proc cannot be mounted."""
    first = bundle
    first.sh("sleep 1000")
    rt.start_detached(first)
    pid = rt.state(first.cid)["pid"]
    second = make_bundle("userns")
    linux = second.cfg["linux"]
    for ns in linux["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = f"/proc/{pid}/ns/net"
    linux["namespaces"].append({"type": "user"})
    linux["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    second.sh("echo $$; readlink /proc/self/ns/net; cat /proc/self/uid_map")
    res = rt.run_fg(second.cid, second)
    assert_exit(res, 0)
    out = lines(res)
    assert out[0] == "1", f"expected pid 1 in the new pid namespace, saw {out}"
    assert out[1] == os.readlink(f"/proc/{pid}/ns/net"), f"expected the joined netns, saw {out}"
    assert out[2].split() == ["0", "0", "65536"], f"expected the uid map, saw {out}"
    rt.kill(first.cid)


@pytest.mark.parametrize("sysctl, drop", [
    ({"vm.swappiness": "1"}, None),
    ({"kernel.hostname": "x"}, None),
    ({"fs.mqueue.queues_max": "100"}, "ipc"),
    ({"net.ipv4.ping_group_range": "0 0"}, "network"),
], ids=["global", "hostname", "ipc-without-ipcns", "net-without-netns"])
def test_sysctl_that_would_change_the_host_is_refused(rt, bundle, sysctl, drop):
    key = next(iter(sysctl))
    path = "/proc/sys/" + key.replace(".", "/")
    before = open(path).read()
    bundle.cfg["linux"]["sysctl"] = sysctl
    if drop:
        bundle.cfg["linux"]["namespaces"] = [
            ns for ns in bundle.cfg["linux"]["namespaces"] if ns["type"] != drop]
    bundle.sh("true")
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert_one_line_error(res, "linux.sysctl")
    assert open(path).read() == before, f"{key} changed on the host"
    assert_nothing_left(rt)


@pytest.mark.parametrize("uid, env, expected", [
    (0, [], "/root"),
    (65534, [], "/nonexistent"),
    (424242, [], "/"),
    (0, ["HOME=/custom"], "/custom"),
], ids=["root", "nobody", "unknown-uid", "given"])
def test_home_set_when_missing(rt, bundle, uid, env, expected):
    bundle.process["user"] = {"uid": uid, "gid": 0}
    bundle.process["env"] = [e for e in bundle.process["env"] if not e.startswith("HOME=")] + env
    res = run_sh(rt, bundle, "echo $HOME")
    assert_exit(res, 0)
    assert lines(res) == [expected], f"expected HOME={expected} for uid {uid}, saw {res.stdout!r}"


def test_missing_cwd_created_under_readonly_root(rt, bundle):
    bundle.cfg["root"]["readonly"] = True
    bundle.process["cwd"] = "/does/not/exist"
    res = run_sh(rt, bundle, "pwd")
    assert_exit(res, 0)
    assert lines(res) == ["/does/not/exist"], f"expected the cwd created, saw {res.stdout!r}"


def socket_activated(path, argv, listen_pid="$$"):
    """argv run with path as fd 3 and LISTEN_FDS=1, LISTEN_PID as given
    ($$: the runtime itself, which keeps the shell's pid through exec)."""
    script = f'exec 3<"$0"; LISTEN_FDS=1 LISTEN_PID={listen_pid} exec "$@"'
    return ["/bin/sh", "-c", script, str(path), *map(str, argv)]


def test_socket_activation_fds(rt, bundle, tmp_path):
    import subprocess
    passed = tmp_path / "listen"
    passed.write_text("activated\n")
    bundle.sh("echo $LISTEN_FDS $LISTEN_PID; cat <&3")
    argv = socket_activated(passed, rt.argv("run", "--bundle", bundle.path, bundle.cid))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["1 1", "activated"], (
        f"expected LISTEN_FDS=1 LISTEN_PID=1 and fd 3 passed on, saw {proc.stdout!r}")


def test_stale_socket_activation_is_ignored(rt, bundle, tmp_path):
    """LISTEN_FDS meant for another process passes nothing on."""
    import subprocess
    passed = tmp_path / "listen"
    passed.write_text("leaked\n")
    bundle.sh("echo fds=$LISTEN_FDS; ls /proc/self/fd")
    argv = socket_activated(passed, rt.argv("run", "--bundle", bundle.path, bundle.cid),
                            listen_pid="1")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split()
    assert out[0] == "fds=" and sorted(out[1:]) == ["0", "1", "2", "3"], (
        f"expected no LISTEN_FDS and only stdio (+ls's own fd), saw {proc.stdout!r}")


def test_preserve_fds_passes_only_what_was_open(rt, bundle, tmp_path):
    """--preserve-fds 5 with only fd 3 open: fd 3 passes, and none of the
    runtime's own fds slips in under the numbers 4..7 that were closed."""
    import subprocess
    passed = tmp_path / "passed"
    passed.write_text("three\n")
    bundle.sh("cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '")
    argv = ["/bin/sh", "-c", 'exec 3<"$0"; exec "$@"', str(passed),
            *map(str, rt.argv("run", "--preserve-fds", "5", "--bundle", bundle.path, bundle.cid))]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines_ = proc.stdout.splitlines()
    assert lines_[0] == "three", proc.stdout
    assert lines_[1].split() == ["0", "1", "2", "3", "4"], (
        f"expected fds 0-3 and ls's own 4, saw {lines_[1]!r}")


def test_bind_source_unreachable_from_the_user_namespace(rt, bundle, tmp_path):
    """The runtime opens bind sources itself: a source under a directory the
    container's (mapped) root could not traverse still mounts, on a mount
    point the mapped root could not have created."""
    locked = tmp_path / "locked"
    (locked / "m").mkdir(parents=True)
    (locked / "m" / "f").write_text("reached\n")
    locked.chmod(0)
    linux = bundle.cfg["linux"]
    linux["namespaces"].append({"type": "user"})
    linux["uidMappings"] = [{"containerID": 0, "hostID": 1, "size": 65536}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": 1, "size": 65536}]
    # /m does not exist in the rootfs, which the mapped root does not own:
    # berth creates it before it becomes the namespace's root.
    bundle.bind(locked / "m", "/m", ro=True)
    res = run_sh(rt, bundle, "cat /m/f")
    locked.chmod(0o755)
    assert_exit(res, 0)
    assert lines(res) == ["reached"], f"expected the file through the bind, saw {res.stdout!r}"


def test_idmapped_mount(rt, bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_text("x\n")      # owned by root on disk
    bundle.cfg["mounts"].append({
        "destination": "/data", "type": "bind", "source": str(data),
        "options": ["rbind", "idmap"],
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    res = run_sh(rt, bundle, "stat -c '%u %g' /data/f")
    assert_exit(res, 0)
    assert lines(res) == ["1000 1000"], f"expected root's file shown as 1000:1000, saw {res.stdout!r}"
    assert os.stat(data / "f").st_uid == 0, "the file on disk must keep its owner"


def test_idmap_option_without_mappings_refused(rt, bundle, tmp_path):
    bundle.cfg["mounts"].append({"destination": "/data", "type": "bind",
                                 "source": str(tmp_path), "options": ["rbind", "idmap"]})
    bundle.sh("true")
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert_one_line_error(res, "idmap")
    assert_nothing_left(rt)


@pytest.mark.parametrize("link", ["../foo/bar/not/here", "/foo/bar/not/here",
                                  "../../../../../../../foo/bar/not/here"],
                         ids=["relative", "absolute", "escaping"])
def test_mount_destination_behind_dangling_symlink(rt, bundle, link):
    """/etc/not-existing -> a missing path: the target is created inside
    the rootfs and mounted there, as runc and crun do."""
    (bundle.rootfs / "etc" / "not-existing").symlink_to(link)
    bundle.add_mount("/etc/not-existing", "tmpfs", "tmpfs", ["size=1m"])
    res = run_sh(rt, bundle, "grep -c ' /foo/bar/not/here ' /proc/self/mountinfo")
    assert_exit(res, 0)
    assert lines(res) == ["1"], f"expected the tmpfs at /foo/bar/not/here, saw {res.stdout!r}"
    assert (bundle.rootfs / "foo" / "bar" / "not" / "here").is_dir()


def test_seccomp_listener_gets_fd_and_state(rt, bundle, short_tmp):
    import json as jsonlib
    import socket
    path = short_tmp / "seccomp.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)
    srv.settimeout(10)
    bundle.cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                      "listenerPath": str(path),
                                      "listenerMetadata": "berth-meta"}
    bundle.sh("sleep 1000")
    rt.create(bundle.cid, bundle)
    rt.start(bundle.cid)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
    conn.close()
    srv.close()
    try:
        assert len(fds) == 1, "expected one fd"
        kind = os.readlink(f"/proc/self/fd/{fds[0]}")
        assert "seccomp" in kind, f"expected a seccomp notify fd, got {kind}"
    finally:
        for fd in fds:
            os.close(fd)
    state = jsonlib.loads(msg)
    assert state["fds"] == ["seccompFd"] and state["metadata"] == "berth-meta", state
    assert state["state"]["id"] == bundle.cid and state["pid"] == rt.state(bundle.cid)["pid"], state
    rt.kill(bundle.cid)


def test_tmpfs_takes_the_mode_of_its_mount_point(rt, bundle):
    (bundle.rootfs / "spool").mkdir(mode=0o712)
    os.chmod(bundle.rootfs / "spool", 0o712)
    bundle.add_mount("/spool", "tmpfs", "tmpfs", ["ro"])
    res = run_sh(rt, bundle, "stat -c %a /spool")
    assert_exit(res, 0)
    assert lines(res) == ["712"], f"expected the tmpfs to keep mode 712, saw {res.stdout!r}"


def test_effective_capabilities_are_permitted_too(rt, bundle):
    """As crun: an effective capability not listed as permitted is made
    permitted rather than failing the start."""
    bundle.process["capabilities"] = {"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"]}
    res = run_sh(rt, bundle, "grep -E 'CapEff|CapBnd' /proc/self/status | cut -f2")
    assert_exit(res, 0)
    assert lines(res) == ["0000000000200000", "0000000000200000"], (
        f"expected CAP_SYS_ADMIN effective and bounding, saw {res.stdout!r}")


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/time"), reason="no time namespace")
def test_exec_joins_time_namespace(rt, bundle):
    bundle.cfg["linux"]["namespaces"].append({"type": "time"})
    bundle.cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    bundle.sh("sleep 1000")
    rt.start_detached(bundle)
    res = rt.run("exec", bundle.cid, "sh", "-c", "cut -d. -f1 /proc/uptime")
    assert_exit(res, 0)
    with open("/proc/uptime") as f:
        host_uptime = int(float(f.read().split()[0]))
    assert int(lines(res)[0]) >= host_uptime + 86400 * 365 - 5, (
        f"expected the exec'd process in the container's time namespace, saw {res.stdout!r}")
    rt.kill(bundle.cid)
