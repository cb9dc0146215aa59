"""Bad configurations: a clean one-line error, exit 1, nothing left behind."""

import os

import pytest

from conftest import assert_nothing_left, assert_one_line_error, mounts_under


def set_path(cfg, dotted, value):
    *parents, last = dotted.split(".")
    for p in parents:
        cfg = cfg.setdefault(p, {})
    cfg[last] = value


def unknown_namespace(cfg):
    cfg["linux"]["namespaces"].append({"type": "foo"})


# (id, field named in berth's error, edit of the config)
BAD_CONFIGS = [
    ("args-string", "process.args", lambda c: set_path(c, "process.args", "sh")),
    ("args-empty", "process.args", lambda c: set_path(c, "process.args", [])),
    ("namespace-foo", "linux.namespaces", unknown_namespace),
    ("cwd-relative", "process.cwd", lambda c: set_path(c, "process.cwd", "tmp")),
    ("console-size-huge", "process.consoleSize",
     lambda c: set_path(c, "process.consoleSize", {"height": 2**70, "width": 80})),
    ("memory-limit-string", "linux.resources.memory.limit",
     lambda c: set_path(c, "linux.resources.memory", {"limit": "lots"})),
    ("root-not-object", "root", lambda c: set_path(c, "root", "rootfs")),
    ("rlimit-unknown", "process.rlimits",
     lambda c: set_path(c, "process.rlimits", [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])),
]


def create_with(rt, bundle, edit=None, raw=None):
    if edit:
        edit(bundle.cfg)
        bundle.write()
    if raw is not None:
        (bundle.path / "config.json").write_text(raw)
    return rt.run("create", "--bundle", bundle.path, bundle.cid)


@pytest.mark.parametrize("field, edit", [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_rejected(rt, bundle, field, edit):
    res = create_with(rt, bundle, edit)
    assert_one_line_error(res)
    assert_nothing_left(rt)


@pytest.mark.berth_only
@pytest.mark.parametrize("field, edit", [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_error_names_field(rt, bundle, field, edit):
    # berth's validation error names the offending field by its JSON path.
    assert_one_line_error(create_with(rt, bundle, edit), field)


@pytest.mark.parametrize("raw", ["{not json", "", "[]", '{"ociVersion": "1.0.2"'],
                         ids=["garbage", "empty", "array", "truncated"])
def test_malformed_json(rt, bundle, raw):
    res = create_with(rt, bundle, raw=raw)
    assert_one_line_error(res)
    assert_nothing_left(rt)


def test_missing_config(rt, bundle):
    (bundle.path / "config.json").unlink()
    assert_one_line_error(create_with(rt, bundle))
    assert_nothing_left(rt)


@pytest.mark.berth_only
def test_root_path_escaping_bundle(rt, bundle):
    # runc accepts any root.path; berth refuses one that leaves the bundle.
    def escape(cfg):
        cfg["root"]["path"] = "../../etc"
    assert_one_line_error(create_with(rt, bundle, escape), "root.path")
    assert_nothing_left(rt)


def test_mount_through_symlink_stays_in_rootfs(rt, bundle, tmp_path):
    """rootfs/evil -> <host dir>: a mount at /evil/x must not land in the host
    dir.  runc resolves the symlink inside the rootfs and mounts there; a
    runtime may also refuse the config.  Either way the host dir is untouched."""
    hostdir = tmp_path / "somehostdir"
    hostdir.mkdir()
    (bundle.rootfs / "evil").symlink_to(hostdir)
    bundle.add_mount("/evil/x", "tmpfs", "tmpfs")
    bundle.sh("echo inside > /evil/x/file")
    res = rt.run_fg(bundle.cid, bundle)
    assert os.listdir(hostdir) == [], (
        f"expected the host dir untouched, found {os.listdir(hostdir)} ({res.describe()})")
    assert mounts_under(hostdir) == [], f"expected no mount on the host dir, saw {mounts_under(hostdir)}"
    if res.returncode != 0:
        assert_one_line_error(res)
