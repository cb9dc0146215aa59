"""What the registry tests share: a store driven through the berth
binary, Debian's docker-registry on loopback (temporary config, stopped by
pid) with its access log, and an image pushed to it."""

import hashlib
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import berth_binary, stop_process
from test_images import rootfs_tar  # noqa: F401  (a fixture)

BERTH = berth_binary()
REGISTRY_BIN = "/usr/bin/docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Store:
    def __init__(self, root: Path):
        self.root = root

    def run(self, *args, env=None, timeout=60):
        return subprocess.run([str(BERTH), "--root", str(self.root), *map(str, args)],
                              capture_output=True, timeout=timeout,
                              env={**os.environ, **(env or {})})

    def ok(self, *args, **kw) -> str:
        res = self.run(*args, **kw)
        assert res.returncode == 0, f"berth {args} failed: {res.stderr.decode()}"
        return res.stdout.decode()

    def fails(self, *args, expect=(), **kw) -> str:
        res = self.run(*args, **kw)
        err = res.stderr.decode()
        assert res.returncode != 0, f"berth {args} succeeded"
        assert err.count("\n") == 1 and err.startswith("berth: "), f"not one line: {err!r}"
        for word in expect:
            assert word in err, f"expected {word!r} in {err!r}"
        return err

    def blobs(self):
        d = self.root / "blobs" / "sha256"
        return sorted("sha256:" + p.name for p in d.iterdir()) if d.exists() else []

    def refs(self):
        d = self.root / "refs"
        return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) if d.exists() else []

    def leftovers(self, sub="tmp"):
        d = self.root / sub
        return sorted(p.name for p in d.iterdir()) if d.exists() else []


class Registry:
    """docker-registry on 127.0.0.1:<free port>, storage and log in tmp."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = tmp / "registry.log"
        config = tmp / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: info\n  accesslog:\n    disabled: false\n"
            f"storage:\n  filesystem:\n    rootdirectory: {tmp / 'data'}\n"
            f"http:\n  addr: {self.host}\n")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)],
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"docker-registry did not start: {self.log.read_text()[-2000:]}")
                time.sleep(0.1)

    def stop(self):
        stop_process(self.proc)

    def blob_gets(self, repo):
        """{digest: number of GET requests} from the access log."""
        counts = {}
        pattern = re.compile(rf'"GET /v2/{re.escape(repo)}/blobs/(sha256:[0-9a-f]{{64}}) ')
        for m in pattern.finditer(self.log.read_text(errors="replace")):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        return counts

    def put_manifest(self, repo, ref, body: bytes, media_type):
        req = urllib.request.Request(f"http://{self.host}/v2/{repo}/manifests/{ref}",
                                     data=body, method="PUT",
                                     headers={"Content-Type": media_type})
        with urllib.request.urlopen(req, timeout=10) as res:
            assert res.status == 201


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    if not os.access(REGISTRY_BIN, os.X_OK):
        pytest.fail(f"{REGISTRY_BIN} missing: run scripts/install-deps", pytrace=False)
    reg = Registry(tmp_path_factory.mktemp("registry"))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory, rootfs_tar):
    """An imported image pushed as <registry>/app:v1; its manifest digest."""
    src = Store(tmp_path_factory.mktemp("src") / "store")
    tar = tmp_path_factory.mktemp("tar") / "rootfs.tar"
    tar.write_bytes(rootfs_tar)
    name = f"{registry.host}/app:v1"
    manifest = src.ok("import", tar, name).strip()
    out = src.ok("push", name)
    assert manifest in out, out
    return {"store": src, "name": name, "manifest": manifest}


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")
