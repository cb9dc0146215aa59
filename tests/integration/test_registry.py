"""`berth pull` and `berth push` against registries on loopback only: Debian's
docker-registry (the reference implementation, started here with a
temporary config and stopped by pid) and small fake registries in this
process for what a real one will not do (bad content, auth challenges,
dropped connections)."""

import http.server
import json
import os
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from registry_env import (BERTH, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST,  # noqa: F401
                          Store, free_port, pushed, registry, sha256, store)
from test_images import oci_layout, rootfs_tar, write_tree  # noqa: F401  (rootfs_tar: a fixture)

# --------------------------------------------------------------------------
# the real registry


def test_push_then_pull_into_a_clean_store_keeps_the_digests(pushed, store):
    out = store.ok("pull", pushed["name"])
    assert f"Digest: {pushed['manifest']}" in out
    src = json.loads(pushed["store"].ok("inspect", pushed["name"]))[0]
    got = json.loads(store.ok("inspect", pushed["name"]))[0]
    assert got["Id"] == src["Id"]
    assert got["Descriptor"]["digest"] == pushed["manifest"]
    assert store.blobs() == pushed["store"].blobs()
    assert store.leftovers() == []


def test_loaded_oci_layout_keeps_its_digest_through_a_registry(registry, tmp_path, rootfs_tar):
    files, digests = oci_layout(rootfs_tar, ref=None)
    write_tree(tmp_path / "layout", files)
    src, dst = Store(tmp_path / "src"), Store(tmp_path / "dst")
    src.ok("load", "-i", tmp_path / "layout")
    name = f"{registry.host}/loaded:v1"
    src.ok("tag", digests["manifest"], name)
    assert digests["manifest"] in src.ok("push", name)
    assert dst.ok("pull", "-q", name).strip() == digests["manifest"]
    assert {digests["blob"], digests["config"], digests["manifest"]} <= set(dst.blobs())


def test_progress_only_on_a_terminal(pushed, tmp_path):
    quiet = Store(tmp_path / "a").run("pull", pushed["name"])
    assert quiet.returncode == 0 and quiet.stderr == b"", quiet.stderr
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([str(BERTH), "--root", str(tmp_path / "b"), "pull", pushed["name"]],
                                stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        slave = -1
        proc.wait(60)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert proc.returncode == 0
    assert b"KiB" in shown, shown


def test_pull_again_downloads_nothing(pushed, store, registry):
    store.ok("pull", pushed["name"])
    before = registry.blob_gets("app")
    store.ok("pull", pushed["name"])
    assert registry.blob_gets("app") == before


def test_pull_by_digest_stores_no_name(pushed, store, registry):
    out = store.ok("pull", "-q", f"{registry.host}/app@{pushed['manifest']}")
    assert out.strip() == pushed["manifest"]
    assert store.refs() == []
    assert pushed["manifest"] in store.blobs()


def test_push_twice_uploads_blobs_once(pushed, registry):
    log_before = registry.log.read_text(errors="replace").count('"POST /v2/app/blobs/uploads/')
    pushed["store"].ok("push", pushed["name"])
    after = registry.log.read_text(errors="replace").count('"POST /v2/app/blobs/uploads/')
    assert after == log_before, "blobs the registry has were uploaded again"


def test_pull_of_an_unknown_tag_is_a_clear_error(pushed, store, registry):
    store.fails("pull", f"{registry.host}/app:nope", expect=("'nope'", "manifest unknown", "404"))
    assert store.refs() == [] and store.blobs() == []


def test_pull_of_an_unknown_repository_is_a_clear_error(registry, store):
    store.fails("pull", f"{registry.host}/nothing/here:v1", expect=("404",))
    assert store.refs() == []


def test_bad_references_are_refused(store):
    store.fails("pull", "127.0.0.1:1/UPPER:v1", expect=("UPPER",))
    store.fails("pull", "127.0.0.1:1/app:bad*tag", expect=("bad*tag",))
    store.fails("pull", "127.0.0.1:1/app@sha256:abc", expect=("sha256:abc",))
    store.fails("pull", expect=("expected one image name",))


def test_registry_that_is_not_there_is_a_clear_error(store):
    store.fails("pull", f"127.0.0.1:{free_port()}/app:v1", expect=("127.0.0.1",))


def test_index_pulls_the_linux_amd64_manifest(pushed, registry, store, tmp_path, rootfs_tar):
    other = Store(tmp_path / "other")
    tar = tmp_path / "other.tar"
    tar.write_bytes(rootfs_tar + b"\0" * 1024)
    arm = other.ok("import", tar, f"{registry.host}/app:arm").strip()
    other.ok("push", f"{registry.host}/app:arm")
    index = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": arm, "size": len(
                (other.root / "blobs/sha256" / arm.split(":")[1]).read_bytes()),
             "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": OCI_MANIFEST, "digest": pushed["manifest"], "size": len(
                (pushed["store"].root / "blobs/sha256" / pushed["manifest"].split(":")[1]).read_bytes()),
             "platform": {"os": "linux", "architecture": "amd64"}},
        ]}).encode()
    registry.put_manifest("app", "multi", index, OCI_INDEX)
    out = store.ok("pull", f"{registry.host}/app:multi")
    assert f"Digest: {pushed['manifest']}" in out
    assert arm not in store.blobs()


def test_concurrent_pulls_fetch_each_blob_once(pushed, registry, tmp_path, rootfs_tar):
    # A repository of its own, so the count sees only these pulls.
    src = pushed["store"]
    name = f"{registry.host}/burst:v1"
    src.ok("tag", pushed["name"], name)
    src.ok("push", name)
    cold = Store(tmp_path / "cold")
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: cold.run("pull", "-q", name, timeout=120), range(20)))
    failures = [r.stderr.decode() for r in results if r.returncode != 0]
    assert failures == [], failures
    assert {r.stdout.decode().strip() for r in results} == {pushed["manifest"]}
    gets = registry.blob_gets("burst")
    assert gets and all(n == 1 for n in gets.values()), gets
    assert cold.leftovers() == [] and cold.leftovers("locks") == []


# --------------------------------------------------------------------------
# fake registries


class Fake(http.server.ThreadingHTTPServer):
    """Serves /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest> from
    dicts; behaviour switches make it hostile or demanding."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.host = f"127.0.0.1:{self.server_address[1]}"
        self.manifests = {}  # ref -> (media type, bytes)
        self.blobs = {}      # digest -> bytes served
        self.token = None    # Bearer token required when set
        self.creds = None    # "user:pass" the token endpoint wants
        self.basic = None    # "user:pass" asked for with a Basic challenge
        self.cut_once = set()  # blobs whose first GET stops half way
        self.hang = set()      # blobs whose GET sends half, then stalls
        self.release = threading.Event()
        self.requests = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class FakeHandler(http.server.BaseHTTPRequestHandler):
    # A blob in fake.hang sends its first half, then waits for the event.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorised(self):
        import base64
        fake = self.server
        if fake.basic is not None:
            if self.headers.get("Authorization") == "Basic " + base64.b64encode(fake.basic.encode()).decode():
                return True
            self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}',
                      {"WWW-Authenticate": 'Basic realm="fake"'})
            return False
        if fake.token is None or self.headers.get("Authorization") == f"Bearer {fake.token}":
            return True
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}', {
            "WWW-Authenticate": f'Bearer realm="http://{fake.host}/token",service="fake",'
                                'scope="repository:app:pull"'})
        return False

    def token_endpoint(self):
        import base64
        fake = self.server
        want = "Basic " + base64.b64encode(fake.creds.encode()).decode()
        if self.headers.get("Authorization") != want or "scope=repository%3Aapp%3Apull" not in self.path:
            return self.send(401, b'{"errors":[{"code":"DENIED","message":"bad credentials"}]}')
        self.send(200, json.dumps({"token": fake.token}).encode())

    def do_GET(self):
        fake = self.server
        fake.requests.append((self.command, self.path, self.headers.get("Range")))
        if self.path.startswith("/token"):
            return self.token_endpoint()
        if not self.authorised():
            return
        m = re.fullmatch(r"/v2/app/(manifests|blobs)/([^/?]+)", self.path)
        if m and m.group(1) == "manifests" and m.group(2) in fake.manifests:
            mt, body = fake.manifests[m.group(2)]
            return self.send(200, body, {"Content-Type": mt, "Docker-Content-Digest": sha256(body)})
        if m and m.group(1) == "blobs" and m.group(2) in fake.blobs:
            return self.blob(m.group(2))
        self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":"unknown"}]}')

    def send_half(self, body):
        """Announce the whole body, send its first half only."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def blob(self, digest):
        fake = self.server
        body = fake.blobs[digest]
        rng = self.headers.get("Range")
        if digest in fake.hang:
            fake.hang.discard(digest)
            self.send_half(body)
            fake.release.wait(30)
            return
        if digest in fake.cut_once:
            fake.cut_once.discard(digest)
            self.send_half(body)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if rng:
            start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
            return self.send(206, body[start:], {
                "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"})
        self.send(200, body)


@pytest.fixture
def fake():
    f = Fake()
    yield f
    f.stop()


def fake_image(fake, layer: bytes, media_type=DOCKER_MANIFEST, corrupt=False):
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]}}).encode()
    docker = media_type == DOCKER_MANIFEST
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": media_type,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json" if docker
                   else "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar" if docker
                    else "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256(layer), "size": len(layer)}],
    }).encode()
    fake.manifests["v1"] = (media_type, manifest)
    fake.blobs[sha256(config)] = config
    fake.blobs[sha256(layer)] = (layer[:-1] + b"X") if corrupt else layer
    return {"manifest": sha256(manifest), "config": sha256(config), "layer": sha256(layer)}


def test_blob_not_matching_its_digest_is_refused_and_nothing_stored(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar, corrupt=True)
    store.fails("pull", f"{fake.host}/app:v1", expect=(digests["layer"], "digest"))
    assert digests["layer"] not in store.blobs()
    assert digests["manifest"] not in store.blobs()
    assert store.refs() == [] and store.leftovers() == []


def test_manifest_not_matching_the_registry_digest_is_refused(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar)
    mt, body = fake.manifests["v1"]
    fake.manifests[digests["manifest"]] = (mt, body + b" ")
    store.fails("pull", f"{fake.host}/app@{digests['manifest']}", expect=("manifest",))
    assert store.blobs() == [] and store.refs() == []


def test_docker_schema2_behind_a_bearer_token(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar)
    fake.token, fake.creds = "tok123", "alice:secret"
    store.fails("pull", f"{fake.host}/app:v1", expect=("bad credentials", "401"))
    out = store.ok("pull", "--creds", "alice:secret", f"{fake.host}/app:v1")
    assert f"Digest: {digests['manifest']}" in out
    store.ok("pull", f"{fake.host}/app:v1", env={"BERTH_REGISTRY_AUTH": "alice:secret"})
    assert {digests["config"], digests["layer"], digests["manifest"]} <= set(store.blobs())


def test_dropped_download_resumes_with_a_range(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar, media_type=OCI_MANIFEST)
    fake.cut_once.add(digests["layer"])
    store.ok("pull", f"{fake.host}/app:v1")
    gets = [r for r in fake.requests if r[1].endswith(digests["layer"])]
    assert len(gets) == 2 and gets[0][2] is None, gets
    assert gets[1][2] == f"bytes={len(rootfs_tar) // 2}-", gets
    assert digests["layer"] in store.blobs() and store.leftovers() == []


def test_killed_pull_resumes_from_its_partial_file(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar, media_type=OCI_MANIFEST)
    fake.hang.add(digests["layer"])
    partial = store.root / "tmp" / ("partial-" + digests["layer"].split(":")[1])
    proc = subprocess.Popen([str(BERTH), "--root", str(store.root), "pull", f"{fake.host}/app:v1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (partial.exists() and partial.stat().st_size == len(rootfs_tar) // 2):
            assert time.monotonic() < deadline and proc.poll() is None, "no partial download seen"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
        fake.release.set()
    store.ok("pull", f"{fake.host}/app:v1")
    gets = [r for r in fake.requests if r[1].endswith(digests["layer"])]
    assert [g[2] for g in gets] == [None, f"bytes={len(rootfs_tar) // 2}-"], gets
    assert digests["layer"] in store.blobs()
    assert store.leftovers() == [] and store.leftovers("locks") == []


def test_corrupt_partial_file_is_dropped(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar, media_type=OCI_MANIFEST)
    (store.root / "tmp").mkdir(parents=True)
    partial = store.root / "tmp" / ("partial-" + digests["layer"].split(":")[1])
    partial.write_bytes(b"garbage" * 100)
    store.fails("pull", f"{fake.host}/app:v1", expect=(digests["layer"],))
    assert not partial.exists() and digests["layer"] not in store.blobs()
    store.ok("pull", f"{fake.host}/app:v1")
    assert digests["layer"] in store.blobs()


def test_basic_auth_uses_the_given_credentials(fake, store, rootfs_tar):
    digests = fake_image(fake, rootfs_tar)
    fake.basic = "bob:pw"
    store.fails("pull", f"{fake.host}/app:v1", expect=("--creds",))
    store.fails("pull", "--creds", "bob:wrong", f"{fake.host}/app:v1", expect=("401",))
    store.fails("pull", "--creds", "nocolon", f"{fake.host}/app:v1", expect=("USER:PASSWORD",))
    assert store.blobs() == []
    store.ok("pull", f"{fake.host}/app:v1", env={"BERTH_REGISTRY_AUTH": "bob:pw"})
    assert digests["layer"] in store.blobs()
