"""`berth run IMAGE` with an image not in the store: pulled first from a
docker-registry on loopback (as docker run does), per --pull; and many
cold runs of one image at once: no failure, each blob fetched once, the
store left whole."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from registry_env import Store, pushed, registry  # noqa: F401  (fixtures)
from test_images import rootfs_tar  # noqa: F401  (a fixture)


@pytest.fixture
def cold(tmp_path):
    """An empty store and a run root of its own."""
    s = Store(tmp_path / "store")
    s.run_root = tmp_path / "run"
    return s


def run(store, *args, timeout=120):
    return store.run("--run-root", store.run_root, "run", *args, timeout=timeout)


def own_repo(pushed, registry, repo):
    """The pushed image under a repository of its own, so the registry's
    access log counts only one test's requests."""
    name = f"{registry.host}/{repo}:v1"
    pushed["store"].ok("tag", pushed["name"], name)
    pushed["store"].ok("push", name)
    return name


def manifest_gets(registry, repo):
    return len(re.findall(rf'"GET /v2/{repo}/manifests/', registry.log.read_text(errors="replace")))


def test_missing_image_is_pulled_then_run(pushed, registry, cold):
    name = own_repo(pushed, registry, "runpull")
    res = run(cold, "--rm", name, "/bin/echo", "hello")
    err = res.stderr.decode()
    assert res.returncode == 0, err
    assert res.stdout == b"hello\n", "pull output leaked into the container's stdout"
    assert f"Unable to find image '{name}' locally" in err
    assert f"Digest: {pushed['manifest']}" in err and "Status: Downloaded" in err
    assert json.loads(cold.ok("inspect", name))[0]["Descriptor"]["digest"] == pushed["manifest"]
    gets = registry.blob_gets("runpull")
    # A second run finds it: nothing fetched, nothing printed about pulling.
    again = run(cold, "--rm", name, "/bin/true")
    assert again.returncode == 0 and b"Unable to find" not in again.stderr, again.stderr
    assert registry.blob_gets("runpull") == gets
    assert cold.leftovers() == [] and cold.leftovers("containers") == []


def test_pull_never_keeps_the_unknown_image_error(pushed, registry, cold):
    name = own_repo(pushed, registry, "never")
    res = run(cold, "--pull", "never", "--rm", name, "/bin/true")
    assert res.returncode == 125
    assert res.stderr.decode().startswith("berth: no such image"), res.stderr
    assert manifest_gets(registry, "never") == 0
    assert cold.blobs() == [] and cold.refs() == []


def test_pull_always_asks_the_registry_each_time(pushed, registry, cold):
    name = own_repo(pushed, registry, "always")
    for n in (1, 2):
        res = run(cold, "--pull=always", "--rm", name, "/bin/true")
        assert res.returncode == 0, res.stderr
        assert b"Unable to find" not in res.stderr
        assert manifest_gets(registry, "always") == n
    # Blobs already stored are not fetched again.
    assert all(v == 1 for v in registry.blob_gets("always").values())


def test_pull_by_digest_runs_that_manifest(pushed, registry, cold):
    res = run(cold, "--rm", f"{registry.host}/app@{pushed['manifest']}", "/bin/true")
    assert res.returncode == 0, res.stderr
    assert pushed["manifest"] in cold.blobs()


def test_bad_pull_value_is_refused(cold):
    res = run(cold, "--pull", "sometimes", "--rm", "busybox", "/bin/true")
    err = res.stderr.decode()
    assert res.returncode == 125 and err.count("\n") == 1, err
    assert "--pull 'sometimes'" in err and "missing, always or never" in err


def test_failed_pull_fails_the_run_and_stores_nothing(registry, cold):
    res = run(cold, "--rm", f"{registry.host}/app:nope", "/bin/true")
    err = res.stderr.decode()
    assert res.returncode == 125, err
    assert "manifest unknown" in err and "404" in err, err
    assert err.rstrip().splitlines()[-1].startswith("berth: pull"), err
    assert cold.refs() == [] and cold.blobs() == []
    assert cold.leftovers() == [] and cold.leftovers("containers") == []


@pytest.mark.parametrize("flags", [[], ["--userns=auto"]], ids=["host", "userns-auto"])
def test_concurrent_cold_runs_fetch_each_blob_once(pushed, registry, cold, flags):
    repo = "coldburst" + str(len(flags))
    name = own_repo(pushed, registry, repo)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: run(cold, "--rm", *flags, name, "/bin/echo", "ok",
                                              timeout=300), range(20)))
    failures = [r.stderr.decode() for r in results if r.returncode != 0]
    assert failures == [], failures
    assert all(r.stdout == b"ok\n" for r in results)
    gets = registry.blob_gets(repo)
    assert gets and all(n == 1 for n in gets.values()), gets
    # The store is whole: one image, nothing half-written, no container left.
    assert len(json.loads(cold.ok("inspect", name))) == 1
    assert cold.leftovers() == [] and cold.leftovers("locks") == []
    # .userns.lock is the id-range allocator's lock file, kept on purpose.
    assert [c for c in cold.leftovers("containers") if c != ".userns.lock"] == []
    assert run(cold, "--pull", "never", "--rm", *flags, name, "/bin/true").returncode == 0


def test_build_pulls_a_missing_base_image(pushed, registry, cold, tmp_path):
    name = own_repo(pushed, registry, "base-for-build")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {name}\nRUN echo built > /stamp\n")
    res = cold.run("--run-root", cold.run_root, "build", "-t", "built:1", ctx, timeout=120)
    assert res.returncode == 0, (res.stdout + res.stderr).decode()
    assert b"is not in the store: pulling it" in res.stdout
    assert manifest_gets(registry, "base-for-build") >= 1
    out = run(cold, "--rm", "built:1", "cat", "/stamp")
    assert out.returncode == 0 and out.stdout == b"built\n", out.stderr
