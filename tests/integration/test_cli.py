"""Verbs that need no running container: features, spec."""

import json
import os


from conftest import RUNTIME, RUNTIME_PREFIX, assert_exit, run_cmd

HOOKS = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
         "poststop"}
NAMESPACES = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
MOUNT_OPTIONS = {"ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "private",
                 "rprivate", "relatime", "strictatime"}


def spec(where, *flags):
    return run_cmd([RUNTIME, *RUNTIME_PREFIX, "spec", *flags], cwd=where)


def load_spec(where):
    return json.loads((where / "config.json").read_text())


def test_features(rt):
    feats = json.loads(rt.ok("features").stdout)
    assert feats.get("ociVersionMin", "").startswith("1.0"), f"expected ociVersionMin 1.0.x in {feats}"
    assert feats.get("ociVersionMax", "").startswith("1."), f"expected ociVersionMax in {feats}"
    checks = [("hooks", set(feats.get("hooks", [])), HOOKS),
              ("mountOptions", set(feats.get("mountOptions", [])), MOUNT_OPTIONS),
              ("linux.namespaces", set(feats.get("linux", {}).get("namespaces", [])), NAMESPACES)]
    for name, seen, expected in checks:
        assert expected <= seen, f"expected {name} to include {sorted(expected - seen)}, saw {sorted(seen)}"
    linux = feats["linux"]
    assert "CAP_SYS_ADMIN" in linux.get("capabilities", []), f"expected capabilities in {linux}"
    assert linux.get("cgroup", {}).get("v1") is True, f"expected cgroup v1 support in {linux}"
    seccomp = linux.get("seccomp", {})
    assert seccomp.get("enabled") is True and {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"} <= set(
        seccomp.get("actions", [])), f"expected seccomp with ALLOW/ERRNO, saw {seccomp}"


def test_spec_default(tmp_path):
    assert_exit(spec(tmp_path), 0)
    cfg = load_spec(tmp_path)
    assert cfg.get("ociVersion", "").startswith("1."), f"expected an ociVersion in {cfg}"
    assert cfg["root"]["path"] == "rootfs", f"expected root.path rootfs, saw {cfg['root']}"
    assert cfg["process"]["args"] and cfg["process"]["cwd"] == "/", f"expected args/cwd in {cfg['process']}"
    ns = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "mount", "ipc", "uts", "network"} <= ns, f"expected the usual namespaces, saw {ns}"
    assert "/proc" in [m["destination"] for m in cfg["mounts"]], "expected a /proc mount"


def test_spec_bundle_flag(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    assert_exit(spec(tmp_path, "--bundle", target), 0)
    assert (target / "config.json").exists() and not (tmp_path / "config.json").exists(), (
        "expected config.json in the --bundle dir only")


def test_spec_refuses_to_overwrite(tmp_path):
    (tmp_path / "config.json").write_text("keep me")
    res = spec(tmp_path)
    assert_exit(res, 1)
    assert (tmp_path / "config.json").read_text() == "keep me", "expected config.json untouched"


def test_spec_rootless(tmp_path):
    assert_exit(spec(tmp_path, "--rootless"), 0)
    linux = load_spec(tmp_path)["linux"]
    ns = {n["type"] for n in linux["namespaces"]}
    assert "user" in ns, f"expected a user namespace, saw {ns}"
    expected = {"uid": os.getuid(), "gid": os.getgid()}
    for kind, host_id in expected.items():
        maps = linux.get(f"{kind}Mappings")
        assert maps == [{"containerID": 0, "hostID": host_id, "size": 1}], (
            f"expected {kind}Mappings 0 -> {host_id} size 1, saw {maps}")


def test_user_namespace_mapping(rt, bundle):
    """A container in a user namespace sees the configured id mappings."""
    bundle.cfg["linux"]["namespaces"].append({"type": "user"})
    bundle.cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1000}]
    bundle.cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1000}]
    bundle.sh("cat /proc/self/uid_map /proc/self/gid_map")
    res = rt.run_fg(bundle.cid, bundle)
    assert_exit(res, 0)
    rows = [l.split() for l in res.stdout.splitlines()]
    assert rows == [["0", "0", "1000"]] * 2, f"expected uid/gid maps 0 0 1000, saw {rows}"
