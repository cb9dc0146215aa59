"""`berth run IMAGE`: an image from the store run in the foreground with
docker run's flags, through the in-process runtime.  Each test has its own
store (--root) and run root (--run-root); the image is a busybox rootfs
imported with `berth import`."""

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import berth_binary

BERTH = berth_binary()


def busybox_tar(path: Path):
    """A busybox rootfs as a tar, with /etc/passwd and /etc/group."""
    with tarfile.open(path, "w") as tar:
        def add_dir(name, mode=0o755):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/app"):
            add_dir(d, 0o1777 if d == "tmp" else 0o755)
        tar.add("/bin/busybox", "bin/busybox")
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
                                 text=True, check=True).stdout.split()
        for a in applets:
            if a != "busybox":
                info = tarfile.TarInfo(f"bin/{a}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(info)
        for name, text in (("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                          "app:x:1000:1000:app:/home/app:/bin/sh\n"),
                           ("etc/group", "root:x:0:\napp:x:1000:\nstaff:x:50:\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            import io
            tar.addfile(info, io.BytesIO(data))


class Berth:
    def __init__(self, tmp: Path):
        self.store = tmp / "store"
        self.run_root = tmp / "run"

    def __call__(self, *args, input=None, timeout=60):
        argv = [str(BERTH), "--root", str(self.store), "--run-root", str(self.run_root),
                *map(str, args)]
        return subprocess.run(argv, capture_output=True, text=True, input=input,
                              timeout=timeout)


@pytest.fixture
def berth(tmp_path):
    b = Berth(tmp_path)
    tar = tmp_path / "rootfs.tar"
    busybox_tar(tar)
    res = b("import", "--change", 'CMD ["sh"]', tar, "busybox:test")
    assert res.returncode == 0, res.stderr
    yield b
    subprocess.run(["umount", "-R", str(b.store / "containers")], capture_output=True)


def out(res):
    return res.stdout.splitlines()


def test_run_pid1_env_exit_code(berth):
    res = berth("run", "--rm", "-e", "GREETING=hi", "busybox:test",
                "sh", "-c", 'echo $$ $GREETING; exit 3')
    assert res.returncode == 3, res.stderr
    assert out(res) == ["1 hi"], res.stdout


def test_rm_removes_the_container(berth):
    res = berth("run", "--rm", "busybox:test", "true")
    assert res.returncode == 0, res.stderr
    assert not any((berth.store / "containers").iterdir()), "expected no container left with --rm"


def root_mount_options(res):
    """Super options of the container's / from its /proc/self/mountinfo."""
    for line in out(res):
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/":
            return fields[-1].split(",")
    raise AssertionError(f"no / in mountinfo:\n{res.stdout}")


def test_rm_writable_layer_is_volatile_and_writable(berth):
    """--rm's writable layer is never synced (overlay "volatile"); one that
    is kept is, and either way the container can write to its /."""
    show = ["sh", "-c", "echo data > /written && cat /written && cat /proc/self/mountinfo"]
    res = berth("run", "--rm", "busybox:test", *show)
    assert res.returncode == 0 and out(res)[0] == "data", res.stderr
    assert any(o in root_mount_options(res) for o in ("volatile", "fsync=volatile")), res.stdout
    res = berth("run", "busybox:test", *show)
    assert res.returncode == 0 and out(res)[0] == "data", res.stderr
    assert not {"volatile", "fsync=volatile"} & set(root_mount_options(res)), res.stdout
    kept = list((berth.store / "containers").iterdir())
    assert len(kept) == 1 and (kept[0] / "upper" / "written").read_text() == "data\n"
    assert not (kept[0] / "empty").exists(), "an image with layers needs no empty lower dir"


def test_image_cmd_and_entrypoint_override(berth):
    res = berth("run", "--rm", "--entrypoint", "echo", "busybox:test", "a", "b")
    assert res.returncode == 0 and out(res) == ["a b"], (res.stdout, res.stderr)


def test_workdir_user_hostname(berth):
    res = berth("run", "--rm", "-w", "/tmp", "-u", "app", "-h", "box", "busybox:test",
                "sh", "-c", "pwd; id -u; id -g; hostname; echo $HOME")
    assert res.returncode == 0, res.stderr
    assert out(res) == ["/tmp", "1000", "1000", "box", "/home/app"], res.stdout


def test_user_with_group_name(berth):
    res = berth("run", "--rm", "-u", "1000:staff", "busybox:test", "sh", "-c", "id -u; id -g")
    assert out(res) == ["1000", "50"], (res.stdout, res.stderr)


def test_read_only_and_tmpfs(berth):
    res = berth("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox:test",
                "sh", "-c", "touch /x 2>/dev/null && echo rw || echo ro; touch /scratch/y && echo ok")
    assert out(res) == ["ro", "ok"], (res.stdout, res.stderr)


def test_volume_bind_ro(berth, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_text("host\n")
    res = berth("run", "--rm", "-v", f"{data}:/data:ro", "busybox:test",
                "sh", "-c", "cat /data/f; touch /data/g 2>/dev/null || echo ro")
    assert out(res) == ["host", "ro"], (res.stdout, res.stderr)


def test_limits_reach_the_cgroup(berth):
    res = berth("run", "--rm", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5",
                "busybox:test", "sh", "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
                " /sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    assert out(res) == [str(64 << 20), "50", "50000"], (res.stdout, res.stderr)


def test_default_capabilities_and_cap_drop(berth):
    res = berth("run", "--rm", "busybox:test", "sh", "-c", "grep CapEff /proc/self/status | cut -f2")
    assert out(res) == ["00000000a80425fb"], (res.stdout, res.stderr)
    res = berth("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
                "busybox:test", "sh", "-c", "grep CapEff /proc/self/status | cut -f2")
    assert out(res) == ["0000000000000400"], (res.stdout, res.stderr)


def test_default_seccomp_blocks_namespaces_and_mount(berth):
    res = berth("run", "--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                "busybox:test", "sh", "-c", "unshare -U true && echo unshared")
    assert out(res) == ["unshared"], (res.stdout, res.stderr)
    res = berth("run", "--rm", "busybox:test", "sh", "-c",
                "unshare -U true 2>/dev/null || echo refused")
    assert out(res) == ["refused"], (res.stdout, res.stderr)


def test_no_new_privileges_and_ulimit(berth):
    res = berth("run", "--rm", "--security-opt", "no-new-privileges", "--ulimit",
                "nofile=512:1024", "busybox:test", "sh", "-c",
                "grep NoNewPrivs /proc/self/status | cut -f2; ulimit -n; ulimit -Hn")
    assert out(res) == ["1", "512", "1024"], (res.stdout, res.stderr)


def test_network_none_and_host(berth):
    res = berth("run", "--rm", "busybox:test", "sh", "-c", "ls /sys/class/net | tr '\\n' ' '")
    assert res.stdout.split() == ["lo"], (res.stdout, res.stderr)
    res = berth("run", "--rm", "--network", "host", "busybox:test", "sh", "-c",
                "readlink /proc/self/ns/net")
    assert out(res) == [os.readlink("/proc/self/ns/net")], (res.stdout, res.stderr)


def test_stdin_only_with_interactive(berth):
    res = berth("run", "--rm", "-i", "busybox:test", "cat", input="piped\n")
    assert out(res) == ["piped"], (res.stdout, res.stderr)
    res = berth("run", "--rm", "busybox:test", "cat", input="piped\n")
    assert out(res) == [], (res.stdout, res.stderr)


def test_env_file(berth, tmp_path):
    env = tmp_path / "env"
    env.write_text("# comment\nA=1\nB=two words\n")
    res = berth("run", "--rm", "--env-file", env, "-e", "A=override", "busybox:test",
                "sh", "-c", "echo $A; echo $B")
    assert out(res) == ["override", "two words"], (res.stdout, res.stderr)


@pytest.mark.parametrize("args, code, words", [
    (["--pull", "never", "nosuchimage:1", "true"], 125, "nosuchimage"),
    (["busybox:test", "/no/such/command"], 127, "/no/such/command"),
    (["busybox:test", "/etc/passwd"], 126, "/etc/passwd"),
    (["--memory", "lots", "busybox:test", "true"], 125, "--memory"),
    (["-v", "/does/not/exist:/x", "busybox:test", "true"], 125, "/does/not/exist"),
    # An unknown network fails before anything is made (a real one would
    # change the host's networking: see test_network.py).
    (["--network", "nosuch", "busybox:test", "true"], 125, "network 'nosuch' not found"),
], ids=["unknown-image", "not-found", "not-executable", "bad-memory", "missing-volume",
        "network"])
def test_failures_have_docker_exit_codes(berth, args, code, words):
    res = berth("run", "--rm", *args)
    assert res.returncode == code, (res.returncode, res.stderr)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and words in lines[0], f"expected one line naming {words!r}: {res.stderr!r}"


def test_container_writes_stay_in_its_own_layer(berth):
    res = berth("run", "--rm", "busybox:test", "sh", "-c", "echo x > /etc/written")
    assert res.returncode == 0, res.stderr
    res = berth("run", "--rm", "busybox:test", "sh", "-c", "cat /etc/written 2>/dev/null || echo clean")
    assert out(res) == ["clean"], "a container's write leaked into the image"


def statically_linked(path):
    return b"/ld-linux" not in Path(path).read_bytes()[:65536]


@pytest.mark.skipif(not statically_linked(BERTH), reason="--init needs the static berth")
def test_init_reaps_orphans_and_passes_the_exit_code(berth):
    script = ("(sleep 0.1 &); sleep 0.5; "
              "echo pid=$$; cat /proc/[0-9]*/stat | awk '$3 == \"Z\"' | wc -l; exit 5")
    res = berth("run", "--rm", "--init", "busybox:test", "sh", "-c", script)
    assert res.returncode == 5, (res.returncode, res.stderr)
    lines_ = out(res)
    assert lines_[0] != "pid=1", "expected berth-init as pid 1, not the command"
    assert lines_[1].strip() == "0", f"expected no zombie left, saw {lines_[1]!r}"


def test_layer_not_matching_the_configs_diff_id_is_refused(berth, tmp_path):
    """A compressed layer is only unpacked when first run; what it unpacks
    to must be what the image config says, or the image is not what it
    claims to be."""
    from test_images import oci_layout, sha256, tar_bytes, write_tree
    real = tar_bytes({"hello": b"hi\n"})
    files, d = oci_layout(real)
    config = json.loads(files["blobs/sha256/" + d["config"].split(":")[1]])
    config["rootfs"]["diff_ids"] = [sha256(b"some other layer")]
    config_bytes = json.dumps(config).encode()
    # Re-point the manifest at the edited config.
    manifest = json.loads(files["blobs/sha256/" + d["manifest"].split(":")[1]])
    manifest["config"].update(digest=sha256(config_bytes), size=len(config_bytes))
    manifest_bytes = json.dumps(manifest).encode()
    files["blobs/sha256/" + sha256(config_bytes).split(":")[1]] = config_bytes
    files["blobs/sha256/" + sha256(manifest_bytes).split(":")[1]] = manifest_bytes
    index = json.loads(files["index.json"])
    index["manifests"][0].update(digest=sha256(manifest_bytes), size=len(manifest_bytes))
    files["index.json"] = json.dumps(index).encode()
    write_tree(tmp_path / "layout", files)
    res = berth("load", "-i", tmp_path / "layout")
    assert res.returncode == 0, res.stderr
    res = berth("run", "--rm", "oci:1", "/bin/true")
    assert res.returncode == 125
    assert "diff_ids[0]" in res.stderr and d["diff"] in res.stderr, res.stderr
    assert not any((berth.store / "containers").iterdir())


def test_userns_auto_maps_root_to_an_unprivileged_range(berth):
    res = berth("run", "--rm", "--userns=auto", "busybox:test", "sh", "-c",
                "cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox;"
                " touch /made && stat -c %u /made")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    uid_map, gid_map = lines[0].split(), lines[1].split()
    assert uid_map[0] == "0" and int(uid_map[1]) >= 100000 and uid_map[2] == "65536", lines
    assert gid_map == uid_map
    # Inside, the image's files are root's and root can write its own layer.
    assert lines[2:5] == ["0", "0", "0"], lines


def test_userns_auto_ranges_do_not_overlap(berth):
    """A container that is kept holds its range; the next one gets another,
    and its files on the host belong to that range, not to root."""
    first = berth("run", "--userns=auto", "busybox:test", "sh", "-c",
                  "touch /mine; cat /proc/self/uid_map")
    assert first.returncode == 0, first.stderr
    second = berth("run", "--rm", "--userns=auto", "busybox:test", "cat", "/proc/self/uid_map")
    assert second.returncode == 0, second.stderr
    base1, base2 = int(first.stdout.split()[1]), int(second.stdout.split()[1])
    assert abs(base1 - base2) >= 65536
    kept = [d for d in (berth.store / "containers").iterdir() if d.is_dir()]
    assert len(kept) == 1
    assert (kept[0] / "upper" / "mine").stat().st_uid == base1


@pytest.mark.parametrize("args, words", [
    (["--userns=bogus"], "--userns 'bogus'"),
    (["--userns=auto", "--network", "host"], "--network host"),
])
def test_userns_bad_values(berth, args, words):
    res = berth("run", "--rm", *args, "busybox:test", "true")
    assert res.returncode == 125
    assert words in res.stderr, res.stderr


def two_layer_image(berth, tmp_path):
    """busybox, then a layer that deletes /etc/group, makes /home opaque
    (its app/ goes) and adds /home/other/f and /note."""
    from test_images import make_config, sha256, tar_bytes
    base = (tmp_path / "rootfs.tar").read_bytes()
    top = tar_bytes({"etc/.wh.group": b"", "home/.wh..wh..opq": b"",
                     "home/other/f": b"f\n", "note": b"original\n"})
    config = make_config([sha256(base), sha256(top)], Cmd=["sh"])
    files = {"config.json": config, "l1/layer.tar": base, "l2/layer.tar": top,
             "manifest.json": json.dumps([{"Config": "config.json", "RepoTags": ["two:1"],
                                           "Layers": ["l1/layer.tar", "l2/layer.tar"]}]).encode()}
    archive = tmp_path / "two.tar"
    archive.write_bytes(tar_bytes(files))
    res = berth("load", "-i", archive)
    assert res.returncode == 0, res.stderr


LOOK = "ls /etc | grep -c '^group$'; ls /home; cat /note; echo changed > /note; stat -c %u /bin/busybox"


@pytest.mark.parametrize("fallback", [False, True], ids=["overlay", "copy"])
def test_layers_merge_the_same_with_overlay_or_copy(berth, tmp_path, fallback, monkeypatch):
    two_layer_image(berth, tmp_path)
    if fallback:
        monkeypatch.setenv("BERTH_FORCE_FALLBACK", "overlay")
    for _ in range(2):  # the second run must not see the first one's write
        res = berth("run", "--rm", "two:1", "sh", "-c", LOOK + "; stat -f -c %t /")
        assert res.returncode == 0, res.stderr
        *seen, fstype = res.stdout.split()
        assert seen == ["0", "other", "original", "0"], res.stdout
        assert (fstype != "794c7630") == fallback, fstype  # OVERLAYFS_SUPER_MAGIC
    assert not any((berth.store / "containers").iterdir())


def test_copy_fallback_with_userns_shifts_owners(berth, tmp_path, monkeypatch):
    two_layer_image(berth, tmp_path)
    monkeypatch.setenv("BERTH_FORCE_FALLBACK", "overlay")
    res = berth("run", "--userns=auto", "two:1", "sh", "-c", LOOK + "; cat /proc/self/uid_map")
    assert res.returncode == 0, res.stderr
    out = res.stdout.split()
    assert out[:4] == ["0", "other", "original", "0"], out
    base = int(out[5])
    (kept,) = [d for d in (berth.store / "containers").iterdir() if d.is_dir()]
    rootfs = kept / "rootfs"
    assert (rootfs / "bin" / "busybox").stat().st_uid == base
    assert (rootfs / "note").read_text() == "changed\n"
    assert not os.path.ismount(rootfs)
