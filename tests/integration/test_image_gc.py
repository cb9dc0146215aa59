"""Removing images and collecting garbage: rmi refusing images containers
use, image prune, image gc, unnamed images in `images`, and the store
staying whole under concurrent load, rmi and run.

Each test has its own store (--root) and run root (--run-root).  After
every test the store is checked: each blob's sha256 matches its name.
"""

import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import berth_binary
from test_images import docker_archive, make_config, oci_layout, sha256, tar_bytes, write_tree
from test_run import busybox_tar

BERTH = berth_binary()


class Store:
    def __init__(self, tmp: Path):
        self.root = tmp / "store"
        self.run_root = tmp / "run"

    def __call__(self, *args, input=None, timeout=120):
        argv = [str(BERTH), "--root", str(self.root), "--run-root", str(self.run_root),
                *map(str, args)]
        return subprocess.run(argv, capture_output=True, text=True, input=input,
                              timeout=timeout)

    def ok(self, *args, **kw):
        res = self(*args, **kw)
        assert res.returncode == 0, f"berth {' '.join(map(str, args))}: {res.stderr}"
        return res.stdout

    def fails(self, *args, expect, **kw):
        res = self(*args, **kw)
        assert res.returncode != 0, f"berth {' '.join(map(str, args))} succeeded"
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("berth: "), res.stderr
        assert expect in res.stderr, res.stderr
        return res.stderr

    def blobs(self):
        return sorted(p.name for p in (self.root / "blobs" / "sha256").iterdir())

    def layers(self):
        return sorted(p.name for p in (self.root / "layers" / "sha256").iterdir())

    def rows(self):
        return [line.split()[:3] for line in self.ok("images").splitlines()[1:]]

    def check_intact(self):
        for blob in (self.root / "blobs" / "sha256").iterdir():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name, blob
        assert list((self.root / "tmp").iterdir()) == []


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    yield s
    subprocess.run(["umount", "-R", str(s.root / "containers")], capture_output=True)
    if s.root.exists():
        s.check_intact()


@pytest.fixture(scope="module")
def busybox(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bb") / "busybox.tar"
    busybox_tar(path)
    return path


def small_image(tmp_path, tag, content):
    """A docker save archive of a one-file image; its layer's digest."""
    layer = tar_bytes({"file": content})
    path = tmp_path / f"{tag.replace(':', '_')}-{sha256(content)[7:15]}.tar"
    path.write_bytes(docker_archive(layer, tags=(tag,)))
    return path, sha256(layer)


def kept_container(store, image, name=None):
    """A container left in the store (no --rm), as `berth run` keeps it."""
    args = ["run"] + (["--name", name] if name else []) + [image, "true"]
    store.ok(*args)
    ids = [p.name for p in (store.root / "containers").iterdir()]
    return ids


# --------------------------------------------------------------------------
# rmi and containers


def test_run_records_the_image_of_its_container(store, busybox):
    store.ok("import", busybox, "bb")
    manifest = store.ok("inspect", "bb")
    digest = json.loads(manifest)[0]["Descriptor"]["digest"]
    (cid,) = kept_container(store, "bb", name="web")
    record = json.loads((store.root / "containers" / cid / "image.json").read_text())
    assert record["manifest"] == digest and record["name"] == "web"


def test_rmi_refuses_an_image_in_use_unless_forced(store, busybox):
    store.ok("import", busybox, "bb")
    (cid,) = kept_container(store, "bb", name="web")
    blobs = store.blobs()
    err = store.fails("rmi", "bb", expect=cid[:12])
    assert "(web)" in err and "-f" in err
    assert store.rows()[0][:2] == ["bb", "latest"] and store.blobs() == blobs
    # By id as well.
    image_id = json.loads(store.ok("inspect", "bb"))[0]["Id"]
    store.fails("rmi", image_id[7:19], expect=cid[:12])
    # A second name can go: the image keeps one.
    store.ok("tag", "bb", "other")
    assert store.ok("rmi", "other") == "Untagged: other:latest\n"
    # -f removes the name; the container keeps its image (shown as <none>).
    assert store.ok("rmi", "-f", "bb") == "Untagged: bb:latest\n"
    assert store.rows() == [["<none>", "<none>", image_id[7:19]]]
    assert store.blobs() == blobs
    assert store.ok("image", "gc").startswith("Removed 0 blobs and 0 unpacked layers")
    assert store.blobs() == blobs and len(store.layers()) == 1
    # Once the container is gone the image is garbage: prune removes it.
    subprocess.run(["rm", "-rf", str(store.root / "containers" / cid)], check=True)
    out = store.ok("image", "prune", "-f")
    assert "deleted: sha256:" in out
    assert store.rows() == [] and store.blobs() == [] and store.layers() == []


def test_rmi_of_last_name_removes_blobs_and_layers(store, tmp_path, busybox):
    a, a_diff = small_image(tmp_path, "a:1", b"a")
    b, b_diff = small_image(tmp_path, "b:1", b"b")
    store.ok("load", "-i", a)
    store.ok("load", "-i", b)
    store.ok("import", busybox, "bb")
    store.ok("run", "--rm", "bb", "true")  # unpacks bb's layer
    before = store.blobs()
    out = store.ok("rmi", "a:1")
    assert out.startswith("Untagged: a:1\nDeleted: sha256:")
    after = store.blobs()
    assert len(before) - len(after) == 3  # manifest, config, layer of a:1
    assert a_diff[7:] not in after and b_diff[7:] in after
    assert sorted(r[:2] for r in store.rows()) == [["b", "1"], ["bb", "latest"]]
    # --no-prune keeps the blobs for a later gc.
    store.ok("rmi", "--no-prune", "b:1")
    assert b_diff[7:] in store.blobs()
    assert "Removed 3 blobs" in store.ok("image", "gc")
    assert b_diff[7:] not in store.blobs()
    assert store.ok("run", "--rm", "bb", "echo", "ok").strip() == "ok"


def test_rmi_unknown_and_damaged_record(store, busybox):
    store.ok("import", busybox, "bb")
    store.fails("rmi", "nothere", expect="nothere")
    (cid,) = kept_container(store, "bb")
    (store.root / "containers" / cid / "image.json").write_text("{broken")
    blobs = store.blobs()
    store.fails("image", "gc", expect=f"containers/{cid}/image.json")
    store.fails("rmi", "bb", expect="image.json")
    assert store.blobs() == blobs and store.rows()[0][0] == "bb"


def test_damaged_image_stops_gc_until_removed(store, tmp_path, busybox):
    files, d = oci_layout(tar_bytes({"x": b"soon damaged"}), ref=None)
    write_tree(tmp_path / "oci", files)
    store.ok("load", "-i", tmp_path / "oci")
    store.ok("import", busybox, "bb")
    manifest = store.root / "blobs" / "sha256" / d["manifest"][7:]
    manifest.write_bytes(manifest.read_bytes().replace(b"schemaVersion", b"schemaversion"))
    blobs = store.blobs()
    store.fails("image", "gc", expect=d["manifest"])
    assert store.blobs() == blobs
    assert store.ok("rmi", d["manifest"]) == f"Deleted: {d['manifest']}\n"
    assert d["blob"][7:] not in store.blobs() and d["manifest"][7:] not in store.blobs()
    assert [r[0] for r in store.rows()] == ["bb"]
    store.ok("image", "gc")


# --------------------------------------------------------------------------
# unnamed images, prune, gc


def test_unnamed_images_are_listed_and_pruned(store, tmp_path, busybox):
    files, d = oci_layout(tar_bytes({"x": b"unnamed"}), ref=None)
    write_tree(tmp_path / "oci", files)
    assert store.ok("load", "-i", tmp_path / "oci") == f"Loaded image digest: {d['manifest']}\n"
    store.ok("import", busybox, "bb")
    rows = store.rows()
    assert sorted(r[:2] for r in rows) == [["<none>", "<none>"], ["bb", "latest"]]
    assert d["config"][7:19] in [r[2] for r in rows]
    # The unnamed image can be found by its id.
    assert json.loads(store.ok("inspect", d["config"][7:19]))[0]["Id"] == d["config"]
    # Without -f, prune asks; "n" keeps everything.
    res = store("image", "prune", input="n\n")
    assert res.returncode == 0 and "Are you sure" in res.stdout
    assert len(store.rows()) == 2
    out = store.ok("image", "prune", "-f")
    assert f"deleted: {d['manifest']}" in out and "Total reclaimed space" in out
    assert store.rows()[0][:2] == ["bb", "latest"] and len(store.rows()) == 1
    for key in ("manifest", "config", "blob"):
        assert d[key][7:] not in store.blobs()
    assert d["diff"][7:] not in store.layers()


def test_retag_leaves_the_old_image_dangling(store, tmp_path):
    a, a_diff = small_image(tmp_path, "app:v1", b"one")
    b, b_diff = small_image(tmp_path, "app:v1", b"two")
    store.ok("load", "-i", a)
    store.ok("load", "-i", b)
    assert sorted(r[0] for r in store.rows()) == ["<none>", "app"]
    store.ok("image", "prune", "-f")
    assert [r[0] for r in store.rows()] == ["app"]
    assert a_diff[7:] not in store.blobs() and b_diff[7:] in store.blobs()


def test_prune_all_keeps_images_in_use(store, tmp_path, busybox):
    a, _ = small_image(tmp_path, "a:1", b"a")
    store.ok("load", "-i", a)
    store.ok("import", busybox, "bb")
    kept_container(store, "bb")
    out = store.ok("image", "prune", "-a", "-f")
    assert "untagged: a:1" in out and "bb" not in out
    assert [r[0] for r in store.rows()] == ["bb"]
    assert store.ok("run", "--rm", "bb", "echo", "ok").strip() == "ok"


def test_gc_removes_only_unreferenced_blobs_and_layers(store, tmp_path, busybox):
    a, a_diff = small_image(tmp_path, "a:1", b"a")
    store.ok("load", "-i", a)
    store.ok("import", busybox, "bb")
    store.ok("run", "--rm", "bb", "true")
    blobs, layers = store.blobs(), store.layers()
    # Stray content nothing references: a blob, an unpacked layer and its
    # index entry; files that are not berth's stay.
    stray = b"nobody uses me"
    (store.root / "blobs" / "sha256" / sha256(stray)[7:]).write_bytes(stray)
    stray_layer = store.root / "layers" / "sha256" / ("ab" * 32)
    (stray_layer / "etc").mkdir(parents=True)
    (store.root / "layers" / "by-blob" / sha256(stray)[7:]).write_text(f"sha256:{'ab' * 32}\n")
    (store.root / "blobs" / "sha256" / "README").write_text("not a blob")
    out = store.ok("image", "gc")
    assert out.startswith("Removed 1 blobs and 1 unpacked layers")
    assert store.blobs() == sorted(blobs + ["README"]) and store.layers() == layers
    assert not (store.root / "layers" / "by-blob" / sha256(stray)[7:]).exists()
    (store.root / "blobs" / "sha256" / "README").unlink()
    assert store.ok("image", "gc").startswith("Removed 0 blobs")
    assert store.ok("run", "--rm", "bb", "echo", "ok").strip() == "ok"


def test_image_verb_errors(store):
    store.fails("image", expect="subcommand")
    store.fails("image", "frob", expect="'frob'")
    store.fails("image", "prune", "-x", expect="-x")
    store.fails("image", "gc", "extra", expect="extra")


# --------------------------------------------------------------------------
# crashes and leftovers


def test_stale_tmp_of_a_reused_pid_is_removed(store):
    store.ok("images")
    tmp = store.root / "tmp"
    # A live process that started after the entry was last written cannot
    # be its writer: the pid was reused.
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        stale = tmp / f"{sleeper.pid}.00000000000000bb"
        stale.write_bytes(b"half a blob")
        old = time.time() - 3600
        os.utime(stale, (old, old))
        live = tmp / f"{os.getpid()}.00000000000000aa"
        live.write_text("a live writer's work")
        store.ok("images")
        assert sorted(p.name for p in tmp.iterdir()) == [live.name]
        live.unlink()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_killed_load_leaves_no_half_blob(store, tmp_path):
    """SIGKILL while a load writes a blob: no blob, no image, and the next
    command removes the half-written file."""
    big = tar_bytes({"data": bytes(64 << 20)})
    archive = tmp_path / "big.tar"
    archive.write_bytes(docker_archive(big, tags=("big:1",)))
    store.ok("images")
    proc = subprocess.Popen([str(BERTH), "--root", str(store.root), "load", "-i", str(archive)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp = store.root / "tmp"
    deadline = time.monotonic() + 20
    while not any(tmp.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.kill()
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the load finished before it could be killed")
    assert store.ok("images", "-q") == ""
    assert sha256(big)[7:] not in store.blobs()
    store.ok("image", "gc")
    assert store.blobs() == []


# --------------------------------------------------------------------------
# concurrency


def test_two_loads_of_one_archive_at_once(store, tmp_path, busybox):
    layer = busybox.read_bytes()
    archive = tmp_path / "bb.tar"
    archive.write_bytes(docker_archive(layer, tags=("bb:1", "bb:2")))
    store.ok("images")
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda _: store("load", "-i", archive), range(2)))
        for res in results:
            assert res.returncode == 0, res.stderr
    assert sorted(r[:2] for r in store.rows()) == [["bb", "1"], ["bb", "2"]]
    assert len(store.blobs()) == 3
    store.check_intact()
    assert store.ok("run", "--rm", "bb:1", "echo", "ok").strip() == "ok"


def test_gc_waits_for_a_load_in_progress(store, tmp_path, busybox):
    """A load holds the store lock from its first blob to its names: a gc
    started meanwhile waits, and then keeps what the load stored."""
    archive = docker_archive(busybox.read_bytes(), tags=("bb:1",))
    store.ok("images")
    load = subprocess.Popen([str(BERTH), "--root", str(store.root), "load"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    gc = None
    try:
        load.stdin.write(archive[:len(archive) // 2])
        load.stdin.flush()
        deadline = time.monotonic() + 10
        while not any((store.root / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        gc = subprocess.Popen([str(BERTH), "--root", str(store.root), "image", "gc"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        assert gc.poll() is None, "gc ran while a load held the store"
        load.stdin.write(archive[len(archive) // 2:])
        load.stdin.close()
        assert load.wait(30) == 0, load.stderr.read()
        assert gc.wait(30) == 0, gc.stderr.read()
    finally:
        for p in (load, gc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    assert [r[:2] for r in store.rows()] == [["bb", "1"]]
    assert len(store.blobs()) == 3
    assert store.ok("run", "--rm", "bb:1", "echo", "ok").strip() == "ok"


def test_load_and_rmi_at_once(store, tmp_path):
    """rmi (and its gc) racing loads of the same image: every command
    succeeds or fails cleanly, and the store ends whole and consistent."""
    a, a_diff = small_image(tmp_path, "a:1", b"a" * 100000)
    store.ok("load", "-i", a)
    failures = []
    for _ in range(10):
        with ThreadPoolExecutor(max_workers=2) as pool:
            load = pool.submit(store, "load", "-i", a)
            rmi = pool.submit(store, "rmi", "a:1")
            lres, rres = load.result(), rmi.result()
        if lres.returncode != 0:
            failures.append(lres.stderr)
        # rmi may find no name if it ran between two loads' removals.
        if rres.returncode != 0 and "a:1" not in rres.stderr:
            failures.append(rres.stderr)
        store.check_intact()
        names = [r[0] for r in store.rows()]
        if names == ["a"]:
            # Named: every blob it needs is there and it unpacks.
            assert a_diff[7:] in store.blobs()
        else:
            assert names == []
            store.ok("load", "-i", a)
    assert failures == []
    # Whatever the interleaving, a named image is whole.
    store.ok("tag", "a:1", "b:1")
    assert a_diff[7:] in store.blobs()


def test_twenty_runs_of_one_image_at_once(store, busybox):
    store.ok("import", busybox, "bb")
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: store("run", "--rm", "bb", "echo", f"run{i}"),
                                range(20)))
    failures = [r.stderr for r in results if r.returncode != 0]
    assert failures == []
    assert sorted(r.stdout.strip() for r in results) == sorted(f"run{i}" for i in range(20))
    assert list((store.root / "containers").iterdir()) == []
    assert len(store.layers()) == 1 and [r[0] for r in store.rows()] == ["bb"]
    store.check_intact()
    assert store.ok("run", "--rm", "bb", "echo", "ok").strip() == "ok"


def test_runs_and_gc_at_once(store, busybox, tmp_path):
    """gc racing runs: no run loses its layers, nothing in use is removed."""
    a, _ = small_image(tmp_path, "a:1", b"a")
    store.ok("load", "-i", a)
    store.ok("rmi", "--no-prune", "a:1")
    store.ok("import", busybox, "bb")
    with ThreadPoolExecutor(max_workers=12) as pool:
        runs = [pool.submit(store, "run", "--rm", "bb", "true") for _ in range(10)]
        gcs = [pool.submit(store, "image", "gc") for _ in range(2)]
        results = [f.result() for f in runs + gcs]
    assert [r.stderr for r in results if r.returncode != 0] == []
    assert len(store.layers()) == 1 and len(store.blobs()) == 3
    store.check_intact()
