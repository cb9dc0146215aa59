"""`berth save` and `berth history`, driven as a user would.

Round trips: an image saved by berth and loaded into a fresh store keeps
its id (config digest), manifest digest and layer digests, in docker's
format and in OCI's.  Failures (unknown image, a terminal as output, a
damaged store) give a one-line error and write nothing.
"""

import gzip
import hashlib
import io
import json
import os
import pty
import subprocess
import tarfile

import pytest

from test_images import (BERTH, Store, docker_archive, make_config, oci_layout, rootfs_tar,
                         sha256, store, tar_bytes, write_tree)

__all__ = ["rootfs_tar", "store"]  # fixtures used below


def members(archive: bytes) -> dict:
    """{name: bytes} of the regular files in a tar (directories: None)."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for m in tar.getmembers():
            out[m.name] = tar.extractfile(m).read() if m.isfile() else None
    return out


def fresh(tmp_path, name) -> Store:
    return Store(tmp_path / name)


def same_image(a: dict, b: dict):
    assert b["Id"] == a["Id"], "the image id (config digest) changed"
    assert b["Descriptor"] == a["Descriptor"], "the manifest digest changed"
    assert b["RootFS"] == a["RootFS"], "the layers' diff ids changed"


def manifest_layers(st: Store, img: dict) -> list:
    doc = json.loads(st.blob(img["Descriptor"]["digest"]).read_bytes())
    return [l["digest"] for l in doc["layers"]]


# --------------------------------------------------------------------------
# save


def test_save_docker_round_trip_of_import(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar.gz"
    tarball.write_bytes(gzip.compress(rootfs_tar, mtime=0))
    store.ok("import", "-c", 'CMD ["sh"]', "-c", "ENV A=b", tarball, "app:v1")
    before = store.inspect("app:v1")
    out = tmp_path / "out.tar"
    assert store.ok("save", "-o", out, "app:v1") == ""

    files = members(out.read_bytes())
    for name in ("manifest.json", "repositories", "index.json", "oci-layout"):
        assert name in files, f"expected {name} in the archive, saw {sorted(files)}"
    entry = json.loads(files["manifest.json"])
    assert entry == [{"Config": "blobs/sha256/" + before["Id"][7:],
                      "RepoTags": ["app:v1"],
                      "Layers": ["blobs/sha256/" + sha256(tarball.read_bytes())[7:]]}]
    for name, data in files.items():
        if name.startswith("blobs/sha256/") and data is not None:
            assert sha256(data) == "sha256:" + name.rsplit("/", 1)[1], f"{name} is not its digest"
    index = json.loads(files["index.json"])
    assert index["manifests"][0]["digest"] == before["Descriptor"]["digest"]
    assert json.loads(files["repositories"]) == {"app": {"v1": sha256(tarball.read_bytes())[7:]}}

    other = fresh(tmp_path, "other")
    assert other.ok("load", "-i", out) == "Loaded image: app:v1\n"
    after = other.inspect("app:v1")
    same_image(before, after)
    assert manifest_layers(other, after) == manifest_layers(store, before)
    assert after["Config"]["Cmd"] == ["sh"] and "A=b" in after["Config"]["Env"]


def test_save_oci_round_trip_of_loaded_layout(store, tmp_path, rootfs_tar):
    """A foreign OCI manifest (gzip layer, other JSON spacing) is kept as is."""
    files, d = oci_layout(rootfs_tar, ref="oci:1")
    write_tree(tmp_path / "layout", files)
    store.ok("load", "-i", tmp_path / "layout")
    before = store.inspect("oci:1")
    archive = store.run("save", "--format", "oci", "oci:1")
    assert archive.returncode == 0, archive.stderr.decode()
    saved = members(archive.stdout)
    assert "manifest.json" not in saved and "repositories" not in saved
    assert json.loads(saved["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    desc = json.loads(saved["index.json"])["manifests"]
    assert [m["digest"] for m in desc] == [d["manifest"]]
    assert desc[0]["annotations"]["org.opencontainers.image.ref.name"] == "1"

    other = fresh(tmp_path, "other")
    assert other.ok("load", input=archive.stdout) == "Loaded image: oci:1\n"
    after = other.inspect("oci:1")
    same_image(before, after)
    assert after["Descriptor"]["digest"] == d["manifest"]
    assert manifest_layers(other, after) == [d["blob"]]


def test_save_docker_round_trip_of_loaded_layout(store, tmp_path, rootfs_tar):
    """manifest.json alone would give a new manifest: load keeps the one
    the archive's index.json lists for the same config and layers."""
    files, d = oci_layout(rootfs_tar, ref="oci:1")
    write_tree(tmp_path / "layout", files)
    store.ok("load", "-i", tmp_path / "layout")
    before = store.inspect("oci:1")
    archive = store.run("save", "oci:1").stdout
    other = fresh(tmp_path, "other")
    assert other.ok("load", input=archive) == "Loaded image: oci:1\n"
    same_image(before, other.inspect("oci:1"))
    assert other.inspect("oci:1")["Descriptor"]["digest"] == d["manifest"]


def test_load_ignores_an_index_that_does_not_match(store, tmp_path, rootfs_tar):
    """An index.json beside manifest.json whose manifest names other
    layers is not taken: the image is what manifest.json says."""
    files, d = oci_layout(rootfs_tar, ref="oci:1")
    config = make_config([sha256(rootfs_tar)], Cmd=["sh"])
    files.update({"c.json": config, "l.tar": rootfs_tar,
                  "manifest.json": json.dumps([{"Config": "c.json", "RepoTags": ["d:1"],
                                                "Layers": ["l.tar"]}]).encode()})
    store.ok("load", input=tar_bytes(files))
    img = store.inspect("d:1")
    assert img["Id"] == sha256(config) and img["Descriptor"]["digest"] != d["manifest"]
    assert manifest_layers(store, img) == [sha256(rootfs_tar)]


def test_save_docker_round_trip_of_two_loaded_images(store, tmp_path, rootfs_tar):
    """Two images sharing a layer: the layer goes in once, both come back."""
    layer2 = tar_bytes({"etc/extra": b"x"})
    config1 = make_config([sha256(rootfs_tar)], Cmd=["sh"])
    config2 = make_config([sha256(rootfs_tar), sha256(layer2)], Cmd=["true"])
    store.ok("load", input=docker_archive(rootfs_tar, tags=["one:1"], config=config1))
    store.ok("load", input=tar_bytes({
        sha256(config2)[7:] + ".json": config2, "a/layer.tar": rootfs_tar,
        "b/layer.tar": layer2,
        "manifest.json": json.dumps([{"Config": sha256(config2)[7:] + ".json",
                                      "RepoTags": ["two:2"],
                                      "Layers": ["a/layer.tar", "b/layer.tar"]}]).encode()}))
    before = [store.inspect("one:1"), store.inspect("two:2")]
    out = tmp_path / "both.tar"
    store.ok("save", "-o", out, "one:1", "two:2")
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert len(names) == len(set(names)), f"a blob was written twice: {names}"
    assert names.count("blobs/sha256/" + sha256(rootfs_tar)[7:]) == 1

    other = fresh(tmp_path, "other")
    assert other.ok("load", "-i", out).splitlines() == ["Loaded image: one:1",
                                                         "Loaded image: two:2"]
    for img, name in zip(before, ("one:1", "two:2")):
        same_image(img, other.inspect(name))


def test_save_by_id_has_no_names(store, tmp_path, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    img = store.inspect("app:v1")
    res = store.run("save", img["Id"][7:19])
    assert res.returncode == 0, res.stderr.decode()
    entry = json.loads(members(res.stdout)["manifest.json"])[0]
    assert entry["RepoTags"] is None
    other = fresh(tmp_path, "other")
    assert other.ok("load", input=res.stdout) == \
        f"Loaded image digest: {img['Descriptor']['digest']}\n"


def test_save_unknown_image_writes_nothing(store, tmp_path, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    out = tmp_path / "out.tar"
    store.fails("save", "-o", out, "app:v1", "nothere", expect="no such image: nothere:latest")
    assert not out.exists(), "a failed save left a file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    # An existing file is left as it was.
    out.write_bytes(b"old")
    store.fails("save", "-o", out, "nothere", expect="no such image")
    assert out.read_bytes() == b"old"
    # To stdout: nothing written.
    res = store.run("save", "nothere")
    assert res.returncode == 1 and res.stdout == b""


def test_save_refuses_a_terminal(store, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    master, slave = pty.openpty()
    try:
        res = subprocess.run([str(BERTH), "--root", str(store.root), "save", "app:v1"],
                             stdout=slave, stderr=subprocess.PIPE, timeout=30)
        os.set_blocking(master, False)
        try:
            written = os.read(master, 4096)
        except BlockingIOError:
            written = b""
    finally:
        os.close(master)
        os.close(slave)
    assert res.returncode == 1, res.stderr.decode()
    assert "terminal" in res.stderr.decode() and res.stderr.decode().count("\n") == 1
    assert written == b"", "something was written to the terminal"


def test_save_bad_flags(store, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    store.fails("save", "--format", "zip", "app:v1", expect="--format 'zip'")
    store.fails("save", expect="expected at least one image")


def test_save_of_a_damaged_blob_fails(store, tmp_path, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    blob = store.blob(sha256(rootfs_tar))
    data = bytearray(blob.read_bytes())
    data[1000] ^= 0xff
    blob.write_bytes(bytes(data))
    out = tmp_path / "out.tar"
    store.fails("save", "-o", out, "app:v1", expect="store damaged")
    assert not out.exists()


# --------------------------------------------------------------------------
# history


def table(text: str) -> list:
    """Rows of docker's table, split on runs of 3+ spaces."""
    import re
    return [re.split(r" {3,}", line.rstrip()) for line in text.splitlines()]


def test_history_of_import_with_change(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("import", "--change", 'CMD ["sh"]', "-c", "ENV A=b", tarball, "app:v1")
    img = store.inspect("app:v1")
    rows = table(store.ok("history", "app:v1"))
    assert rows[0] == ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
    assert len(rows) == 2
    size = f"{len(rootfs_tar) / 1e6:.3g}MB"
    assert rows[1][0] == img["Id"][7:19] and rows[1][2:] == ["berth import", size]
    assert rows[1][1].endswith("ago") or rows[1][1] == "Less than a second ago"
    assert store.ok("history", "-q", "app:v1") == img["Id"][7:19] + "\n"
    assert store.ok("history", "-q", "--no-trunc", "app:v1") == img["Id"] + "\n"


def test_history_of_loaded_image(store, rootfs_tar):
    long_cmd = "/bin/sh -c apt-get update && apt-get install -y curl ca-certificates\tgit"
    layer2 = tar_bytes({"etc/extra": b"x"})
    config = json.loads(make_config([sha256(rootfs_tar), sha256(layer2)]))
    config["history"] = [
        {"created": "2024-01-02T03:04:05Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in /"},
        {"created": "2024-01-02T03:04:06Z", "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
         "empty_layer": True},
        {"created": "2024-01-02T03:04:07Z", "created_by": long_cmd, "comment": "buildkit.dockerfile.v0"},
    ]
    config = json.dumps(config).encode()
    files = {"c.json": config, "a/layer.tar": rootfs_tar, "b/layer.tar": layer2,
             "manifest.json": json.dumps([{"Config": "c.json", "RepoTags": ["app:v1"],
                                           "Layers": ["a/layer.tar", "b/layer.tar"]}]).encode()}
    store.ok("load", input=tar_bytes(files))
    rows = table(store.ok("history", "app:v1"))
    assert [r[0] for r in rows[1:]] == [sha256(config)[7:19], "<missing>", "<missing>"]
    assert rows[1][2] == long_cmd.replace("\t", " ")[:44] + "…"
    assert rows[1][3:] == [f"{len(layer2) / 1e3:.3g}kB", "buildkit.dockerfile.v0"]
    assert rows[2][2:] == ['/bin/sh -c #(nop)  CMD ["sh"]', "0B"]
    assert rows[3][2:] == ["/bin/sh -c #(nop) ADD file:abc in /", f"{len(rootfs_tar) / 1e6:.3g}MB"]
    assert all(r[1].endswith("ago") for r in rows[1:])
    full = table(store.ok("history", "--no-trunc", "app:v1"))
    assert full[1][0] == sha256(config) and full[1][2] == long_cmd.replace("\t", " ")
    assert store.ok("history", "-q", "app:v1").split() == [sha256(config)[7:19], "<missing>", "<missing>"]


def test_history_bad_config_and_unknown_image(store, rootfs_tar):
    config = json.loads(make_config([sha256(rootfs_tar)]))
    config["history"] = [{"created_by": 7}]
    store.ok("load", input=docker_archive(rootfs_tar, tags=["bad:1"],
                                          config=json.dumps(config).encode()))
    store.fails("history", "bad:1", expect="history[0].created_by: expected a string")
    store.fails("history", "nothere", expect="no such image: nothere:latest")
    store.fails("history", expect="expected one image")


def test_save_output_paths(store, tmp_path, rootfs_tar):
    store.ok("load", input=docker_archive(rootfs_tar, tags=["app:v1"]))
    store.fails("save", "-o", tmp_path / "no" / "out.tar", "app:v1",
                expect=f"save -o '{tmp_path / 'no' / 'out.tar'}'")
    store.fails("save", "-o", tmp_path, "app:v1", expect="Is a directory")
    # A device is written in place, not replaced by a file.
    assert store.ok("save", "-o", "/dev/null", "app:v1") == ""
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    # -o - is standard output.
    res = store.run("save", "-o", "-", "app:v1")
    assert res.returncode == 0 and "manifest.json" in members(res.stdout)


PODMAN = "/usr/bin/podman"


@pytest.mark.skipif(not os.access(PODMAN, os.X_OK), reason="podman is not installed")
@pytest.mark.parametrize("fmt", ["docker", "oci"])
def test_podman_loads_what_berth_saves(store, tmp_path, short_tmp, rootfs_tar, fmt):
    """Another engine reads both formats and finds the same image id; its
    storage lives in a short temporary directory (podman caps the run root's
    length; vfs: no mounts), nothing is left running."""
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("import", "-c", 'CMD ["sh"]', tarball, "app:v1")
    img = store.inspect("app:v1")
    out = tmp_path / "out.tar"
    store.ok("save", "--format", fmt, "-o", out, "app:v1")
    podman = [PODMAN, "--root", short_tmp / "root", "--runroot", short_tmp / "run",
              "--tmpdir", short_tmp / "tmp", "--storage-driver", "vfs",
              "--events-backend", "none", "--cgroup-manager", "cgroupfs"]
    res = subprocess.run([*map(str, podman), "load", "-i", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    ids = subprocess.run([*map(str, podman), "images", "--no-trunc", "--format",
                          "{{.ID}} {{.Repository}}:{{.Tag}}"],
                         capture_output=True, text=True, timeout=60)
    assert ids.returncode == 0, ids.stderr
    assert ids.stdout.split() == [img["Id"].split(":")[1], "docker.io/library/app:v1"] or \
        ids.stdout.split() == [img["Id"], "docker.io/library/app:v1"], ids.stdout
