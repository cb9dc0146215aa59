"""OCI hooks: order, namespaces and the state JSON given on stdin."""

import json
import os

import pytest

from conftest import assert_nothing_left, wait_for

HOOK_SCRIPT = '#!/bin/sh\nstate=$(cat)\nprintf "%s %s\\n" "$1" "$state" >> "$2"\n'
HOOKS = ["prestart", "createRuntime", "createContainer", "startContainer",
         "poststart", "poststop"]
# Hooks run by the container's init, inside its namespaces.
IN_CONTAINER = {"createContainer", "startContainer"}
# Status in the state each hook reads on stdin, as runc 1.1 gives it.
# poststart: runc 1.1 runs it at the end of `create` ("created"); per spec
# (and runc >= 1.2) it runs after the user process started ("running").
EXPECTED_STATUS = {
    "prestart": {"creating"},
    "createRuntime": {"creating"},
    "createContainer": {"creating"},
    "startContainer": {"created"},
    "poststart": {"created", "running"},
    "poststop": {"stopped"},
}
# Orderings both the spec and runc 1.1 guarantee.
MUST_PRECEDE = [("prestart", "createRuntime"), ("createRuntime", "createContainer"),
                ("createContainer", "startContainer"), ("startContainer", "poststop"),
                ("createContainer", "poststart"), ("poststart", "poststop")]


@pytest.fixture
def hooked(bundle, tmp_path):
    """Bundle with every hook appending "<name> <state JSON>" to one log."""
    logdir = tmp_path / "hooklog"
    logdir.mkdir()
    host_script = tmp_path / "hook.sh"
    for script in (host_script, bundle.rootfs / "hook.sh"):
        script.write_text(HOOK_SCRIPT)
        script.chmod(0o755)
    log = logdir / "log"
    hooks = {}
    for name in HOOKS:
        if name == "startContainer":
            # runs inside the container: path and log resolve in its root
            hooks[name] = [{"path": "/hook.sh", "args": ["hook.sh", name, "/hooklog/log"]}]
        else:
            hooks[name] = [{"path": str(host_script),
                            "args": ["hook.sh", name, str(log)]}]
    bundle.cfg["hooks"] = hooks
    bundle.bind(logdir, "/hooklog")
    bundle.set_args("sh", "-c", "read x < /hooklog/go")
    return bundle, log


def hook_records(log):
    if not log.exists():
        return []
    records = []
    for line in log.read_text().splitlines():
        name, _, state = line.partition(" ")
        records.append((name, json.loads(state)))
    return records


def hook_names(log):
    return [name for name, _ in hook_records(log)]


def run_hooked_container(rt, bundle, log):
    """create, start, let the process exit, delete; returns hook names
    seen after create and the host pid of the container's init."""
    go = log.parent / "go"
    os.mkfifo(go)
    rt.create(bundle.cid, bundle)
    after_create = hook_names(log)
    init_pid = rt.state(bundle.cid)["pid"]
    rt.start(bundle.cid)
    wait_for(lambda: "startContainer" in hook_names(log), what="startContainer hook")
    with open(go, "w") as f:
        f.write("go\n")
    rt.wait_status(bundle.cid, "stopped")
    rt.delete(bundle.cid)
    return after_create, init_pid


def test_hooks_order_and_state(rt, hooked):
    bundle, log = hooked
    after_create, init_pid = run_hooked_container(rt, bundle, log)
    assert after_create[:3] == HOOKS[:3], (
        f"expected {HOOKS[:3]} to have run after create, saw {after_create}")
    assert "startContainer" not in after_create, "expected startContainer only at start"

    records = hook_records(log)
    names = [n for n, _ in records]
    assert sorted(names) == sorted(HOOKS), f"expected each hook once, saw {names}"
    for first, then in MUST_PRECEDE:
        assert names.index(first) < names.index(then), (
            f"expected {first} before {then}, saw order {names}")
    for name, state in records:
        assert state.get("ociVersion"), f"{name}: expected ociVersion in {state}"
        assert state.get("id") == bundle.cid, f"{name}: expected id {bundle.cid}, saw {state}"
        assert state.get("bundle") == str(bundle.path), (
            f"{name}: expected bundle {bundle.path}, saw {state.get('bundle')}")
        assert state.get("status") in EXPECTED_STATUS[name], (
            f"{name}: expected status in {EXPECTED_STATUS[name]}, saw {state.get('status')!r}")
        if name == "poststop":
            assert not state.get("pid"), f"poststop: expected no pid, saw {state.get('pid')}"
        elif name in IN_CONTAINER:
            # runc reports the pid as seen in the container's pid namespace (1)
            assert state.get("pid") in (1, init_pid), (
                f"{name}: expected pid 1 or {init_pid}, saw {state.get('pid')}")
        else:
            assert state.get("pid") == init_pid, (
                f"{name}: expected pid {init_pid}, saw {state.get('pid')}")


@pytest.mark.berth_only
def test_poststart_after_start(rt, hooked):
    # berth runs poststart hooks after the user process started, as the spec
    # says (runc 1.1 runs them at the end of `create`), with status "running".
    bundle, log = hooked
    after_create, _ = run_hooked_container(rt, bundle, log)
    assert after_create == HOOKS[:3], f"expected {HOOKS[:3]} after create, saw {after_create}"
    records = dict(hook_records(log))
    assert list(records) == HOOKS, f"expected hooks in order {HOOKS}, saw {list(records)}"
    assert records["poststart"]["status"] == "running", (
        f"expected poststart to see status running, saw {records['poststart']}")


def test_failing_prestart_hook_aborts_create(rt, bundle):
    bundle.cfg["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    bundle.set_args("true")
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert res.returncode != 0, f"expected create to fail with a failing hook:\n{res.describe()}"
    assert_nothing_left(rt)


def test_poststop_runs_when_a_create_hook_fails(rt, bundle, tmp_path):
    """Runtime spec: a failing createRuntime hook stops the container and
    the lifecycle continues with delete, which runs poststop."""
    marker = tmp_path / "poststop-ran"
    script = tmp_path / "poststop.sh"
    script.write_text(f"#!/bin/sh\ncat > {marker}\n")
    script.chmod(0o755)
    bundle.cfg["hooks"] = {"createRuntime": [{"path": "/bin/false"}],
                           "poststop": [{"path": str(script)}]}
    bundle.set_args("true")
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert res.returncode != 0, f"expected create to fail:\n{res.describe()}"
    assert marker.exists(), "expected the poststop hook to run after the failed create"
    assert '"status":"stopped"' in marker.read_text().replace(" ", ""), marker.read_text()
    assert_nothing_left(rt)


def test_every_poststop_hook_runs_and_failures_warn(rt, bundle, tmp_path):
    marker = tmp_path / "second-ran"
    script = tmp_path / "second.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    bundle.cfg["hooks"] = {"poststop": [{"path": "/bin/false"}, {"path": str(script)}]}
    bundle.set_args("true")
    res = rt.run_fg(bundle.cid, bundle)
    assert res.returncode == 0, res.describe()
    assert "poststop hook failed with exit code 1" in res.stderr, res.stderr
    assert marker.exists(), "expected the second poststop hook to run after the first failed"
