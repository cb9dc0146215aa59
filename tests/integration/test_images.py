"""The image store, driven through `berth` as a user would: import, images,
inspect, tag, rmi and load (docker save archives and OCI image layouts).

Each test has its own store (`berth --root <tmp>`).  Archives are built
here with Python, digests computed independently, so the tests check that
berth keeps them.  Hostile archives must give a one-line error and leave
no name behind.

The binary is $BERTH, or `berth` next to $BERTH_RUNTIME, or build/berth.
"""

import gzip
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

from conftest import berth_binary, make_rootfs

REPO = Path(__file__).resolve().parents[2]


BERTH = berth_binary()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Store:
    """`berth --root <dir>` with helpers for the checks every test makes."""

    def __init__(self, root: Path):
        self.root = root

    def run(self, *args, input=None, timeout=60):
        return subprocess.run([str(BERTH), "--root", str(self.root), *map(str, args)],
                              input=input, capture_output=True, timeout=timeout)

    def ok(self, *args, **kw):
        res = self.run(*args, **kw)
        assert res.returncode == 0, (f"berth {' '.join(map(str, args))} failed "
                                     f"({res.returncode}): {res.stderr.decode()}")
        return res.stdout.decode()

    def fails(self, *args, expect=None, **kw):
        """A failure with exactly one line on stderr, naming `expect`."""
        res = self.run(*args, **kw)
        err = res.stderr.decode()
        assert res.returncode != 0, f"berth {' '.join(map(str, args))} succeeded"
        assert err.count("\n") == 1 and err.startswith("berth: "), \
            f"expected a one-line error, got: {err!r}"
        if expect:
            assert expect in err, f"expected {expect!r} in the error: {err!r}"
        return err

    def inspect(self, name):
        return json.loads(self.ok("inspect", name))[0]

    def refs(self):
        return sorted(p.name for p in (self.root / "refs").iterdir()
                      if not p.name.startswith("."))

    def blob(self, digest) -> Path:
        return self.root / "blobs" / "sha256" / digest.split(":", 1)[1]


@pytest.fixture
def store(tmp_path):
    if not os.access(BERTH, os.X_OK):
        pytest.fail(f"{BERTH} not built", pytrace=False)
    return Store(tmp_path / "store")


@pytest.fixture(scope="module")
def rootfs_tar(tmp_path_factory) -> bytes:
    """An uncompressed busybox rootfs tarball."""
    base = tmp_path_factory.mktemp("rootfs")
    make_rootfs(base / "rootfs")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(base / "rootfs", arcname=".")
    return buf.getvalue()


def tar_bytes(files: dict) -> bytes:
    """A tar of {name: bytes | ("symlink", target)}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def make_config(diff_ids, **config) -> bytes:
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": "2024-01-02T03:04:05.123456789Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }).encode()


def docker_archive(layer: bytes, tags=("app:v1",), config=None, layer_path="aaa/layer.tar",
                   manifest=None, extra=None) -> bytes:
    """A `docker save` archive (the classic layout) of one image."""
    config = config if config is not None else make_config([sha256(layer)], Cmd=["sh"])
    config_name = sha256(config).split(":")[1] + ".json"
    files = {config_name: config, layer_path: layer}
    files.update(extra or {})
    if manifest is None:
        manifest = [{"Config": config_name, "RepoTags": list(tags), "Layers": [layer_path]}]
    files["manifest.json"] = json.dumps(manifest).encode()
    return tar_bytes(files)


def oci_layout(layer: bytes, ref="oci:1", gz=True):
    """Files of an OCI image layout of one image, and its digests."""
    blob = gzip.compress(layer, mtime=0) if gz else layer
    config = make_config([sha256(layer)], Entrypoint=["/bin/sh"], WorkingDir="/tmp")
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else ""),
                    "digest": sha256(blob), "size": len(blob)}],
    }).encode()
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(manifest), "size": len(manifest)}
    if ref:
        desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
             "index.json": json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode()}
    for data in (blob, config, manifest):
        files["blobs/sha256/" + sha256(data).split(":")[1]] = data
    return files, {"manifest": sha256(manifest), "config": sha256(config),
                   "blob": sha256(blob), "diff": sha256(layer)}


def write_tree(root: Path, files: dict):
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


# --------------------------------------------------------------------------
# import, images, inspect


def test_import_then_images_and_inspect(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    out = store.ok("import", "--change", 'CMD ["sh", "-c", "echo hi"]',
                   "-c", "ENV FOO=bar", "-c", "WORKDIR /tmp", "-c", "USER nobody",
                   "-c", "LABEL team=infra", "-c", "EXPOSE 8080/tcp", tarball, "busybox")
    manifest = out.strip()
    assert manifest.startswith("sha256:") and store.blob(manifest).exists()

    img = store.inspect("busybox")
    assert img["RepoTags"] == ["busybox:latest"]
    assert img["Descriptor"]["digest"] == manifest
    assert img["Architecture"] == "amd64" and img["Os"] == "linux"
    cfg = img["Config"]
    assert cfg["Cmd"] == ["sh", "-c", "echo hi"] and cfg["Entrypoint"] is None
    assert cfg["Env"][0].startswith("PATH=/usr/local/sbin") and "FOO=bar" in cfg["Env"]
    assert cfg["WorkingDir"] == "/tmp" and cfg["User"] == "nobody"
    assert cfg["Labels"] == {"team": "infra"} and cfg["ExposedPorts"] == {"8080/tcp": {}}
    # The id is the config's digest; the layer is the tarball itself.
    assert sha256(store.blob(img["Id"]).read_bytes()) == img["Id"]
    assert img["RootFS"]["Layers"] == [sha256(rootfs_tar)]
    assert store.blob(sha256(rootfs_tar)).read_bytes() == rootfs_tar
    assert img["Size"] == len(rootfs_tar)
    # Unpacked once, under its diff id.
    layer = store.root / "layers" / "sha256" / sha256(rootfs_tar).split(":")[1]
    assert (layer / "bin" / "busybox").is_file()

    lines = store.ok("images").splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    row = lines[1].split()
    assert row[:3] == ["busybox", "latest", img["Id"][7:19]]
    assert store.ok("images", "-q").split() == [img["Id"][7:19]]
    # Found by id prefix and by manifest digest as well as by name.
    assert store.inspect(img["Id"][7:19])["Id"] == img["Id"]
    assert store.inspect(img["Id"])["Id"] == img["Id"]
    assert store.inspect(manifest)["Id"] == img["Id"]
    assert list((store.root / "tmp").iterdir()) == []


def test_import_gzip_from_stdin(store, rootfs_tar):
    gz = gzip.compress(rootfs_tar, mtime=0)
    manifest = store.ok("import", "-", "docker.io/library/app:1", input=gz).strip()
    img = store.inspect("app:1")
    assert img["RepoTags"] == ["app:1"]
    doc = json.loads(store.blob(manifest).read_bytes())
    assert doc["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    assert doc["layers"][0]["digest"] == sha256(gz)
    assert img["RootFS"]["Layers"] == [sha256(rootfs_tar)]


def test_import_twice_unpacks_once(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("import", tarball, "a")
    layer = store.root / "layers" / "sha256" / sha256(rootfs_tar).split(":")[1]
    marker = layer / "marker"
    marker.write_text("from the first unpack")
    store.ok("import", tarball, "b")
    assert marker.exists(), "the second import unpacked the layer again"


def test_import_bad_change_and_bad_tarball(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.fails("import", "-c", "RUN rm -rf /", tarball, "x", expect="RUN cannot be changed")
    store.fails("import", "-c", "BOGUS x", tarball, "x", expect="unknown instruction 'BOGUS'")
    store.fails("import", "-c", "EXPOSE http", tarball, "x",
                expect="EXPOSE: 'http' is not an integer in [1, 65535]")
    store.fails("import", "-c", "ENV =x", tarball, "x", expect="expected KEY=VALUE")
    junk = tmp_path / "junk"
    junk.write_bytes(b"this is not a tarball" * 100)
    store.fails("import", junk, "x")
    assert store.refs() == []


# --------------------------------------------------------------------------
# names: tag, rmi, normalisation


def test_tag_and_rmi(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("import", tarball, "busybox")
    store.ok("tag", "busybox", "registry.local:5000/team/bb:v2")
    img = store.inspect("registry.local:5000/team/bb:v2")
    assert img["RepoTags"] == ["busybox:latest", "registry.local:5000/team/bb:v2"]
    rows = [line.split() for line in store.ok("images").splitlines()[1:]]
    assert sorted(r[:2] for r in rows) == [["busybox", "latest"],
                                          ["registry.local:5000/team/bb", "v2"]]

    # By id, an image with two names needs -f.
    store.fails("rmi", img["Id"][7:19], expect="-f")
    assert store.ok("rmi", "busybox") == "Untagged: busybox:latest\n"
    store.ok("tag", img["Id"], "again")
    out = store.ok("rmi", "-f", img["Id"][7:19])
    assert sorted(out.splitlines()) == [f"Deleted: {img['Descriptor']['digest']}",
                                        "Untagged: again:latest",
                                        "Untagged: registry.local:5000/team/bb:v2"]
    assert store.refs() == []
    store.fails("inspect", "busybox", expect="no such image: busybox:latest")
    store.fails("rmi", "busybox", expect="busybox:latest")


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "Busybox", "a b", "a" * 300, "x:", ":tag", "a//b",
    "-rf", "name@sha256:1234", "a:b:c",
])
def test_hostile_names_refused(store, tmp_path, rootfs_tar, name):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("import", tarball, "ok")
    store.fails("tag", "ok", name, expect="image name")
    assert store.refs() == ["ok=latest"]
    store.fails("import", tarball, name, expect="image name")
    assert store.refs() == ["ok=latest"]


def test_unknown_image(store):
    store.fails("inspect", "nothere", expect="no such image: nothere:latest")
    store.fails("inspect", "0123456789abcdef", expect="no such image")
    store.fails("inspect", "sha256:" + "0" * 64, expect="no such image")


# --------------------------------------------------------------------------
# load: docker save archives


def test_load_docker_archive(store, tmp_path, rootfs_tar):
    config = make_config([sha256(rootfs_tar)], Cmd=["sh"], Env=["A=1"])
    archive = docker_archive(rootfs_tar, tags=["app:v1", "app:latest"], config=config)
    path = tmp_path / "save.tar"
    path.write_bytes(archive)
    out = store.ok("load", "-i", path)
    assert out.splitlines() == ["Loaded image: app:v1", "Loaded image: app:latest"]
    img = store.inspect("app:v1")
    assert img["Id"] == sha256(config), "the image id (config digest) changed"
    assert img["RepoTags"] == ["app:latest", "app:v1"]
    assert img["Config"]["Cmd"] == ["sh"] and img["Config"]["Env"] == ["A=1"]
    assert img["RootFS"]["Layers"] == [sha256(rootfs_tar)]
    assert store.blob(sha256(rootfs_tar)).read_bytes() == rootfs_tar
    # Loading the same archive again (from stdin) gives the same image.
    store.ok("load", input=archive)
    assert store.inspect("app:v1")["Descriptor"] == img["Descriptor"]


def test_load_docker_archive_with_shared_layer_symlink(store, tmp_path, rootfs_tar):
    """docker save writes a layer shared by two images once, plus a symlink."""
    layer2 = tar_bytes({"etc/extra": b"x"})
    config1 = make_config([sha256(rootfs_tar)])
    config2 = make_config([sha256(rootfs_tar), sha256(layer2)], Cmd=["true"])
    name1 = sha256(config1)[7:] + ".json"
    name2 = sha256(config2)[7:] + ".json"
    files = {name1: config1, name2: config2, "base/layer.tar": rootfs_tar,
             "copy/layer.tar": ("symlink", "../base/layer.tar"), "top/layer.tar": layer2,
             "manifest.json": json.dumps([
                 {"Config": name1, "RepoTags": ["one:1"], "Layers": ["base/layer.tar"]},
                 {"Config": name2, "RepoTags": None,
                  "Layers": ["copy/layer.tar", "./top/layer.tar"]}]).encode()}
    out = store.ok("load", input=tar_bytes(files))
    assert out.splitlines()[0] == "Loaded image: one:1"
    assert out.splitlines()[1].startswith("Loaded image digest: sha256:")
    two = store.inspect(out.splitlines()[1].split(": ")[1])
    assert two["Id"] == sha256(config2) and two["RepoTags"] == []
    assert two["Config"]["Cmd"] == ["true"]


# --------------------------------------------------------------------------
# load: OCI image layouts


def test_load_oci_layout_directory(store, tmp_path, rootfs_tar):
    files, d = oci_layout(rootfs_tar, ref="oci:1")
    write_tree(tmp_path / "layout", files)
    assert store.ok("load", "-i", tmp_path / "layout") == "Loaded image: oci:1\n"
    img = store.inspect("oci:1")
    assert img["Descriptor"]["digest"] == d["manifest"], "the manifest digest changed"
    assert img["Id"] == d["config"]
    assert img["Config"]["Entrypoint"] == ["/bin/sh"] and img["Config"]["WorkingDir"] == "/tmp"
    assert img["RootFS"]["Layers"] == [d["diff"]]
    for key in ("manifest", "config", "blob"):
        assert store.blob(d[key]).exists()


def test_load_oci_layout_tar_gz_from_stdin(store, rootfs_tar):
    files, d = oci_layout(rootfs_tar, ref="docker.io/library/oci:2", gz=False)
    out = store.ok("load", input=gzip.compress(tar_bytes(files)))
    assert out == "Loaded image: oci:2\n"
    assert store.inspect("oci:2")["Descriptor"]["digest"] == d["manifest"]


# --------------------------------------------------------------------------
# load: hostile archives refused, no name set


def _oci_with(rootfs_tar, edit):
    files, d = oci_layout(rootfs_tar)
    edit(files, d)
    return tar_bytes(files)


def _corrupt_blob(files, d):
    files["blobs/sha256/" + d["config"][7:]] = b'{"rootfs": "evil"}'


def _config_edit(files, d, config):
    """Replace the config (and the manifest and index that point at it)."""
    del files["blobs/sha256/" + d["config"][7:]]
    del files["blobs/sha256/" + d["manifest"][7:]]
    files["blobs/sha256/" + sha256(config)[7:]] = config
    manifest = json.dumps({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": d["blob"], "size": 1}]}).encode()
    files["blobs/sha256/" + sha256(manifest)[7:]] = manifest
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": sha256(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": "oci:1"}}]}).encode()


def _nested_index(files, d):
    inner = files["index.json"]
    files["blobs/sha256/" + sha256(inner)[7:]] = inner
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json",
         "digest": sha256(inner), "size": len(inner)}]}).encode()


def _docker_layers(layer, paths, extra=None):
    config = make_config([sha256(layer)])
    return docker_archive(layer, config=config, extra=extra, manifest=[
        {"Config": sha256(config)[7:] + ".json", "RepoTags": ["bad:1"], "Layers": paths}])


HOSTILE = [
    ("docker-layer-escapes", "points outside the archive",
     lambda t: _docker_layers(t, ["../x/layer.tar"])),
    ("docker-config-escapes", "points outside the archive",
     lambda t: docker_archive(t, manifest=[{"Config": "../../etc/passwd",
                                            "RepoTags": ["bad:1"], "Layers": []}])),
    ("docker-manifest-not-json", "manifest.json: not valid JSON",
     lambda t: tar_bytes({"manifest.json": b"[{"})),
    ("docker-manifest-wrong-types", "RepoTags[0]: expected a string",
     lambda t: docker_archive(t, tags=[42])),
    ("docker-manifest-huge", "larger than",
     lambda t: tar_bytes({"manifest.json": b" " * (4 * 1024 * 1024 + 1)})),
    ("docker-config-not-json", "config is not valid JSON",
     lambda t: docker_archive(t, config=b"not json")),
    ("docker-config-env-type", "config.Env[1]: expected a string",
     lambda t: docker_archive(t, config=make_config([sha256(t)], Env=["A=1", 2]))),
    ("docker-config-cmd-type", "config.Cmd: expected an array",
     lambda t: docker_archive(t, config=make_config([sha256(t)], Cmd="sh"))),
    ("docker-diff-id-mismatch", "rootfs.diff_ids[0]",
     lambda t: docker_archive(t, config=make_config(["sha256:" + "1" * 64]))),
    ("docker-layer-count", "diff_ids has 2 entries for 1 layers",
     lambda t: docker_archive(t, config=make_config([sha256(t), sha256(t)]))),
    ("docker-missing-layer", "is not in the archive",
     lambda t: _docker_layers(t, ["nothere.tar"])),
    ("docker-layer-symlink-escapes", "is not in the archive",
     lambda t: _docker_layers(t, ["link/layer.tar"],
                              extra={"link/layer.tar": ("symlink", "../../../etc/passwd")})),
    ("absolute-entry", "absolute path",
     lambda t: tar_bytes({"/etc/evil": b"x", "manifest.json": b"[]"})),
    ("oci-digest-mismatch", "content has digest",
     lambda t: _oci_with(t, _corrupt_blob)),
    ("oci-config-wrong-type", "config.Entrypoint[0]: expected a string",
     lambda t: _oci_with(t, lambda f, d: _config_edit(
         f, d, make_config([sha256(t)], Entrypoint=[["sh"]])))),
    ("oci-nested-index", "manifest lists are not supported yet",
     lambda t: _oci_with(t, _nested_index)),
    ("not-an-image", "neither a docker save archive",
     lambda t: tar_bytes({"hello.txt": b"hi"})),
    ("not-a-tar", None, lambda t: b"\x00garbage" * 1000),
]


@pytest.mark.parametrize("make,expect", [(m, e) for _, e, m in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_hostile_archive_refused(store, tmp_path, rootfs_tar, make, expect):
    path = tmp_path / "evil.tar"
    path.write_bytes(make(rootfs_tar))
    store.fails("load", "-i", path, expect=expect)
    assert store.refs() == [], "a name was set by a refused load"
    assert store.ok("images", "-q") == ""
    assert list((store.root / "tmp").iterdir()) == []


def test_oci_layout_directory_symlink_cannot_escape(store, tmp_path, rootfs_tar):
    files, d = oci_layout(rootfs_tar)
    write_tree(tmp_path / "layout", files)
    cfg = tmp_path / "layout" / "blobs" / "sha256" / d["config"][7:]
    cfg.unlink()
    cfg.symlink_to("/etc/passwd")
    store.fails("load", "-i", tmp_path / "layout")
    assert store.refs() == []


# --------------------------------------------------------------------------
# concurrency and crash leftovers


def test_concurrent_imports_of_one_tarball(store, tmp_path, rootfs_tar):
    tarball = tmp_path / "rootfs.tar"
    tarball.write_bytes(rootfs_tar)
    store.ok("images")  # create the store first
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: store.run("import", tarball, f"img{i}"), range(6)))
    for res in results:
        assert res.returncode == 0, res.stderr.decode()
    assert len(store.refs()) == 6
    layers = list((store.root / "layers" / "sha256").iterdir())
    assert [p.name for p in layers] == [sha256(rootfs_tar)[7:]]
    assert list((store.root / "tmp").iterdir()) == []
    # One layer blob; configs differ only by their creation time.
    assert store.blob(sha256(rootfs_tar)).exists()


def test_dead_writers_leftovers_removed(store):
    store.ok("images")
    dead = subprocess.Popen(["true"])
    dead.wait()
    tmp = store.root / "tmp"
    (tmp / f"{dead.pid}.0123456789abcdef").write_bytes(b"half a blob")
    (tmp / f"{dead.pid}.fedcba9876543210").mkdir()
    (tmp / f"{dead.pid}.fedcba9876543210" / "file").write_text("half a layer")
    (tmp / "garbage").write_text("not ours")
    live = tmp / f"{os.getpid()}.00000000000000aa"
    live.write_text("a live writer's work")
    (store.root / "refs" / f".x=latest.tmp.{dead.pid}").write_text("partial")
    store.ok("images")
    assert sorted(p.name for p in tmp.iterdir()) == [live.name]
    assert store.refs() == [] and not (store.root / "refs" / f".x=latest.tmp.{dead.pid}").exists()


def test_killed_import_leaves_nothing_visible(store, tmp_path):
    """SIGKILL in the middle of a blob write: no blob, no name, and the
    next command removes the half-written file."""
    big = tmp_path / "big.tar"
    with tarfile.open(big, "w") as tar:
        info = tarfile.TarInfo("data")
        info.size = 256 << 20
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    store.ok("images")
    proc = subprocess.Popen([str(BERTH), "--root", str(store.root), "import", str(big), "big"])
    tmp = store.root / "tmp"
    deadline = time.monotonic() + 20
    while not any(tmp.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the import finished before it could be killed")
    assert store.refs() == []
    assert store.ok("images", "-q") == ""
    assert list(tmp.iterdir()) == []
    for blob in (store.root / "blobs" / "sha256").iterdir():
        assert sha256(blob.read_bytes()) == "sha256:" + blob.name
