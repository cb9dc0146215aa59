"""Named volumes: `berth volume create/ls/inspect/rm/prune` and
`berth run -v NAME:/path[:ro]`, on the real binary with a store of its own
(the busybox image of test_run's fixture)."""

import io
import json
import re
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from test_run import berth, busybox_tar, out  # noqa: F401  (berth: the fixture)

HEX12 = re.compile(r"[0-9a-f]{12}")


def volumes_dir(berth):
    return berth.store / "volumes"


def volume_names(berth):
    d = volumes_dir(berth)
    return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) if d.exists() else []


@pytest.fixture
def seeded(berth, tmp_path):
    """busybox with /srv/seed (uid 1000, mode 0750) holding hello (0640)."""
    tar = tmp_path / "seeded.tar"
    busybox_tar(tar)
    with tarfile.open(tar, "a") as t:
        info = tarfile.TarInfo("srv/seed")
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o750, 1000, 1000
        t.addfile(info)
        data = b"from the image\n"
        info = tarfile.TarInfo("srv/seed/hello")
        info.size, info.mode, info.uid, info.gid = len(data), 0o640, 1000, 1000
        t.addfile(info, io.BytesIO(data))
    res = berth("import", "--change", 'CMD ["sh"]', tar, "seeded:test")
    assert res.returncode == 0, res.stderr
    return "seeded:test"


def test_data_persists_across_containers(berth):
    res = berth("run", "--rm", "-v", "data:/data", "busybox:test",
                "sh", "-c", "echo kept > /data/f")
    assert res.returncode == 0, res.stderr
    assert volume_names(berth) == ["data"], "expected run to create the missing volume"
    res = berth("run", "--rm", "-v", "data:/mnt/other", "busybox:test", "cat", "/mnt/other/f")
    assert res.returncode == 0 and out(res) == ["kept"], (res.stdout, res.stderr)
    assert (volumes_dir(berth) / "data" / "_data" / "f").read_text() == "kept\n"


def test_image_content_is_copied_into_a_new_volume(berth, seeded):
    show = "stat -c '%u %g %a' /srv/seed /srv/seed/hello; cat /srv/seed/hello"
    res = berth("run", "--rm", "-v", "seed:/srv/seed", seeded, "sh", "-c", show)
    assert res.returncode == 0, res.stderr
    assert out(res) == ["1000 1000 750", "1000 1000 640", "from the image"], res.stdout
    data = volumes_dir(berth) / "seed" / "_data"
    assert (data / "hello").read_text() == "from the image\n"
    assert data.stat().st_uid == 1000 and (data.stat().st_mode & 0o7777) == 0o750

    # A volume with content is not filled again: what the container left stays.
    res = berth("run", "--rm", "-v", "seed:/srv/seed", seeded,
                "sh", "-c", "rm /srv/seed/hello; echo mine > /srv/seed/other")
    assert res.returncode == 0, res.stderr
    res = berth("run", "--rm", "-v", "seed:/srv/seed", seeded, "ls", "/srv/seed")
    assert out(res) == ["other"], (res.stdout, res.stderr)


def test_empty_image_path_gives_an_empty_volume(berth):
    res = berth("run", "--rm", "-v", "fresh:/not/in/image", "busybox:test",
                "sh", "-c", "ls -A /not/in/image | wc -l")
    assert res.returncode == 0 and out(res) == ["0"], (res.stdout, res.stderr)


def test_read_only_volume(berth):
    assert berth("run", "--rm", "-v", "data:/data", "busybox:test",
                 "sh", "-c", "echo v1 > /data/f").returncode == 0
    res = berth("run", "--rm", "-v", "data:/data:ro", "busybox:test",
                "sh", "-c", "cat /data/f; echo v2 > /data/f || echo refused")
    assert out(res) == ["v1", "refused"], (res.stdout, res.stderr)
    assert "Read-only file system" in res.stderr
    assert (volumes_dir(berth) / "data" / "_data" / "f").read_text() == "v1\n"


def test_create_ls_inspect(berth):
    res = berth("volume", "create", "--label", "tier=db", "--label", "empty", "dbdata")
    assert res.returncode == 0 and out(res) == ["dbdata"], (res.stdout, res.stderr)
    res = berth("volume", "create")
    assert res.returncode == 0 and re.fullmatch(r"[0-9a-f]{64}", res.stdout.strip()), res.stdout
    anon = res.stdout.strip()
    # Creating an existing volume keeps it (docker's behaviour).
    assert berth("volume", "create", "dbdata").returncode == 0

    res = berth("volume", "ls")
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in out(res)]
    assert rows[0] == ["DRIVER", "VOLUME", "NAME"]
    assert sorted(rows[1:]) == sorted([["local", "dbdata"], ["local", anon]]), res.stdout
    assert sorted(out(berth("volume", "ls", "-q"))) == sorted(["dbdata", anon])

    res = berth("volume", "inspect", "dbdata", anon)
    assert res.returncode == 0, res.stderr
    docs = json.loads(res.stdout)
    assert [d["Name"] for d in docs] == ["dbdata", anon]
    d = docs[0]
    assert d["Driver"] == "local" and d["Scope"] == "local" and d["Options"] == {}
    assert d["Labels"] == {"tier": "db", "empty": ""}
    assert d["Mountpoint"] == str((volumes_dir(berth) / "dbdata" / "_data").resolve())
    datetime.strptime(d["CreatedAt"], "%Y-%m-%dT%H:%M:%SZ")

    res = berth("volume", "inspect", "dbdata", "missing")
    assert res.returncode == 1 and "no such volume: missing" in res.stderr, res.stderr
    assert res.stdout == ""


def run_keeping_record(berth, *args):
    """A container whose record (config.json) stays, as a stopped one's."""
    res = berth("run", *args)
    assert res.returncode == 0, res.stderr
    [cid] = [p.name for p in (berth.store / "containers").iterdir()]
    return cid


def test_rm_refused_while_a_container_uses_it(berth):
    cid = run_keeping_record(berth, "-v", "data:/data", "busybox:test", "true")
    for flags in ([], ["-f"]):
        res = berth("volume", "rm", *flags, "data")
        assert res.returncode == 1, res.stdout
        assert f"volume 'data' is in use by container {cid[:12]}" in res.stderr, res.stderr
        assert volume_names(berth) == ["data"]

    subprocess.run(["rm", "-rf", str(berth.store / "containers" / cid)], check=True)
    res = berth("volume", "rm", "data")
    assert res.returncode == 0 and out(res) == ["data"], (res.stdout, res.stderr)
    assert volume_names(berth) == []
    res = berth("volume", "rm", "data")
    assert res.returncode == 1 and "no such volume: data" in res.stderr
    assert berth("volume", "rm", "-f", "data").returncode == 0, "-f: a missing volume is fine"


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../../etc", "-rf", ".hidden", "a b",
                                  "x" * 129, "name:colon"])
def test_hostile_names_are_refused(berth, name):
    res = berth("volume", "create", "--", name)
    assert res.returncode == 1, res.stdout
    assert res.stderr.startswith(f"berth: volume name '{name[:32]}") and (
        "must match" in res.stderr or "longer than" in res.stderr), res.stderr
    assert volume_names(berth) == []
    for verb in ("inspect", "rm"):
        res = berth("volume", verb, *(["--"] if verb == "rm" else []), name)
        assert res.returncode == 1 and res.stderr.startswith("berth: "), res.stderr
    res = berth("run", "--rm", "-v", f"{name}:/data", "busybox:test", "true")
    assert res.returncode == 125, res.stderr
    assert f"-v '{name}:/data'" in res.stderr, res.stderr
    assert volume_names(berth) == []
    assert not any((berth.store / "containers").iterdir())


def test_empty_name_and_bad_specs(berth):
    res = berth("volume", "create", "")
    assert res.returncode == 1 and "volume name: empty" in res.stderr, res.stderr
    for spec, why in (("data:relative", "absolute path other than /"),
                      ("data:/", "absolute path other than /"),
                      ("data:/x:rx", "mode 'rx' is not ro or rw"),
                      ("data", "expected SOURCE:DESTINATION")):
        res = berth("run", "--rm", "-v", spec, "busybox:test", "true")
        assert res.returncode == 125 and why in res.stderr, (spec, res.stderr)
    assert volume_names(berth) == []


def test_prune_removes_unused_volumes_only(berth):
    for name in ("unused1", "unused2"):
        assert berth("volume", "create", name).returncode == 0
    cid = run_keeping_record(berth, "-v", "kept:/data", "busybox:test", "true")

    res = berth("volume", "prune", input="n\n")
    assert res.returncode == 0 and "Are you sure" in res.stdout
    assert volume_names(berth) == ["kept", "unused1", "unused2"], "declined: nothing removed"

    res = berth("volume", "prune", "-f")
    assert res.returncode == 0, res.stderr
    assert out(res) == ["Deleted Volumes:", "unused1", "unused2"], res.stdout
    assert volume_names(berth) == ["kept"]
    assert cid


def test_concurrent_runs_share_one_new_volume(berth, seeded):
    def run(i):
        return berth("run", "--rm", "-v", "shared:/srv/seed", seeded,
                     "sh", "-c", f"cat /srv/seed/hello && echo {i} > /srv/seed/run{i}")

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    for res in results:
        assert res.returncode == 0 and out(res) == ["from the image"], (res.stdout, res.stderr)
    assert volume_names(berth) == ["shared"]
    data = volumes_dir(berth) / "shared" / "_data"
    assert sorted(p.name for p in data.iterdir()) == ["hello", "run0", "run1", "run2", "run3"]
    assert not [p for p in volumes_dir(berth).iterdir() if p.name.startswith(".tmp-")]
