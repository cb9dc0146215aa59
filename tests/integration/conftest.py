"""Integration tests for `berth runtime`, the runc-compatible OCI runtime.

The binary under test comes from $BERTH_RUNTIME (default: build/berth-runtime
of this repository).  Every test is written against runc's behaviour, so the
suite can be validated with `BERTH_RUNTIME=$(which runc)`.  Tests that check
something only berth does are marked `berth_only` and skipped for other
runtimes.

Needs root.  Each test gets its own --root state directory and a bundle whose
config.json comes from `<runtime> spec`; every container lives in the cgroup
/berth-test/<id> so that leftovers can be found after the test.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_runtime = os.environ.get("BERTH_RUNTIME", str(REPO / "build" / "berth-runtime"))
RUNTIME = Path(shutil.which(_runtime) or _runtime if "/" not in _runtime else _runtime)
IS_BERTH = RUNTIME.name in ("berth", "berth-runtime")
# `berth` itself needs the `runtime` sub-command; `berth-runtime` is runc-like.
RUNTIME_PREFIX = ["runtime"] if RUNTIME.name == "berth" else []
CGROUP_PARENT = "berth-test"
BUSYBOX = "/bin/busybox"
TIMEOUT = 30


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "berth_only: checks a berth behaviour that runc does not have; "
        "skipped unless $BERTH_RUNTIME is berth/berth-runtime")


def pytest_collection_modifyitems(config, items):
    if IS_BERTH:
        return
    skip = pytest.mark.skip(reason=f"berth-only behaviour ({RUNTIME.name} under test)")
    for item in items:
        if "berth_only" in item.keywords:
            item.add_marker(skip)


# --------------------------------------------------------------------------
# running the runtime


class Result(subprocess.CompletedProcess):
    """CompletedProcess (text) of one command, with a describe() for messages."""

    def describe(self):
        return (f"`{' '.join(map(str, self.args))}` exited {self.returncode}\n"
                f"--- stdout:\n{self.stdout}--- stderr:\n{self.stderr}")


def run_cmd(argv, *, timeout=TIMEOUT, stdin=subprocess.DEVNULL, input=None,
            pass_fds=(), cwd=None):
    """Run argv with stdout/stderr going to temporary files.

    Files rather than pipes: a detached container inherits the runtime's
    stdio, and reading a pipe to EOF would wait for the container to exit.
    On timeout only the process started here is killed (by pid).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        if input is not None:
            stdin = subprocess.PIPE
        proc = subprocess.Popen([str(a) for a in argv], stdin=stdin, stdout=out,
                                stderr=err, pass_fds=pass_fds, cwd=cwd)
        try:
            if input is not None:
                proc.stdin.write(input.encode())
                proc.stdin.close()
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out.seek(0)
            err.seek(0)
            pytest.fail(f"`{' '.join(map(str, argv))}` timed out after {timeout}s\n"
                        f"stdout: {out.read().decode(errors='replace')}\n"
                        f"stderr: {err.read().decode(errors='replace')}")
        out.seek(0)
        err.seek(0)
        return Result([str(a) for a in argv], proc.returncode,
                      out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"))


class Background:
    """A command left running (e.g. a foreground `run`); finish() collects it."""

    def __init__(self, argv, **popen_kw):
        self.argv = [str(a) for a in argv]
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, **popen_kw)
        self.pid = self.proc.pid

    def finish(self, timeout=TIMEOUT) -> Result:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"`{' '.join(self.argv)}` did not finish within {timeout}s")
        finally:
            out, err = (self._read(f) for f in (self._out, self._err))
        return Result(self.argv, self.proc.returncode, out, err)

    def stop(self):
        """Teardown: kill what this test started, by pid, if still running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @staticmethod
    def _read(f):
        f.seek(0)
        data = f.read().decode(errors="replace")
        f.close()
        return data


class Runtime:
    """The runtime under test with a private --root state directory."""

    def __init__(self, root: Path):
        self.binary = RUNTIME
        self.root = root
        self.ids = []        # every container id handed out to the test
        self.bundles = []    # every bundle dir created for the test
        self.background = [] # commands left running, stopped at teardown

    def argv(self, *args, global_args=()):
        return [self.binary, *RUNTIME_PREFIX, "--root", self.root, *global_args, *args]

    def new_id(self):
        cid = "t-" + uuid.uuid4().hex[:10]
        self.ids.append(cid)
        return cid

    def run(self, *args, global_args=(), **kw) -> Result:
        return run_cmd(self.argv(*args, global_args=global_args), **kw)

    def ok(self, *args, **kw) -> Result:
        res = self.run(*args, **kw)
        assert res.returncode == 0, f"expected success:\n{res.describe()}"
        return res

    def fails(self, *args, **kw) -> Result:
        res = self.run(*args, **kw)
        assert res.returncode != 0, f"expected failure:\n{res.describe()}"
        return res

    # verbs ---------------------------------------------------------------
    def create(self, cid, bundle, *extra, **kw):
        return self.ok("create", "--bundle", bundle.path, *extra, cid, **kw)

    def start(self, cid):
        return self.ok("start", cid)

    def state(self, cid) -> dict:
        return json.loads(self.ok("state", cid).stdout)

    def kill(self, cid, sig="KILL", *extra):
        return self.ok("kill", *extra, cid, sig)

    def delete(self, cid, *extra):
        return self.ok("delete", *extra, cid)

    def list(self) -> list:
        out = self.ok("list", "--format", "json").stdout.strip()
        return json.loads(out) or []   # runc prints `null` for none

    def run_fg(self, cid, bundle, *extra, **kw) -> Result:
        """`run` in the foreground: the container's stdio is ours."""
        return self.run("run", "--bundle", bundle.path, *extra, cid, **kw)

    def spawn(self, *args, global_args=(), **kw) -> Background:
        """Start the runtime without waiting for it (e.g. a foreground run)."""
        bg = Background(self.argv(*args, global_args=global_args), **kw)
        self.background.append(bg)
        return bg

    def start_detached(self, bundle, *extra, cid=None) -> str:
        """create + start; returns the id of the running container."""
        cid = cid or bundle.cid
        self.create(cid, bundle, *extra)
        self.start(cid)
        return cid

    def wait_status(self, cid, status, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(cid)
            if st["status"] == status:
                return st
            assert time.monotonic() < deadline, (
                f"expected {cid} to reach status {status!r}, still {st['status']!r}")
            time.sleep(0.05)


# --------------------------------------------------------------------------
# bundles


@dataclass
class Bundle:
    path: Path
    cid: str
    cfg: dict = field(default_factory=dict)

    @property
    def rootfs(self) -> Path:
        return self.path / "rootfs"

    @property
    def process(self) -> dict:
        return self.cfg["process"]

    def write(self):
        write_config(self, self.cfg)

    def set_args(self, *args):
        self.cfg["process"]["args"] = list(args)
        self.write()

    def sh(self, script):
        """Make the container run `sh -c script`."""
        self.set_args("sh", "-c", script)

    def add_mount(self, destination, type_="tmpfs", source="tmpfs", options=None):
        self.cfg["mounts"].append({"destination": destination, "type": type_,
                                   "source": str(source),
                                   "options": options or []})
        self.write()

    def bind(self, host_dir, destination, ro=False):
        self.add_mount(destination, "bind", host_dir,
                       ["rbind", "ro" if ro else "rw"])


def write_config(bundle: Bundle, cfg: dict):
    bundle.cfg = cfg
    (bundle.path / "config.json").write_text(json.dumps(cfg, indent=2))


def make_rootfs(dest: Path):
    (dest / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        link = dest / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    for d in ("proc", "sys", "dev", "tmp", "etc", "root"):
        (dest / d).mkdir(exist_ok=True)
    (dest / "tmp").chmod(0o1777)
    (dest / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (dest / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")


# --------------------------------------------------------------------------
# leftovers


def cgroup_dirs(cid):
    return glob.glob(f"/sys/fs/cgroup/*/{CGROUP_PARENT}/{cid}")


def mounts_under(path: Path):
    prefix = str(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mnt = line.split()[4].encode().decode("unicode_escape")
            if mnt == prefix or mnt.startswith(prefix + "/"):
                found.append(mnt)
    return found


def leftovers(rt: Runtime):
    """What a deleted container left behind, as a list of descriptions."""
    problems = []
    for cid in rt.ids:
        problems += [f"cgroup dir {d}" for d in cgroup_dirs(cid)]
        if (rt.root / cid).exists():
            problems.append(f"state dir {rt.root / cid}")
    for b in rt.bundles:
        problems += [f"mount {m}" for m in mounts_under(b)]
    return problems


def reap_leftovers(rt: Runtime):
    """Last resort after a failed cleanup: kill the processes left in this
    test's own cgroups (by pid) and remove those cgroups, so later tests
    start clean."""
    for cid in rt.ids:
        for d in cgroup_dirs(cid):
            try:
                pids = Path(d, "cgroup.procs").read_text().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass
    time.sleep(0.2)
    for cid in rt.ids:
        for d in cgroup_dirs(cid):
            try:
                os.rmdir(d)
            except OSError:
                pass


def wait_no_leftovers(rt: Runtime, timeout=3.0):
    deadline = time.monotonic() + timeout
    while (problems := leftovers(rt)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return problems


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session", autouse=True)
def _session_checks():
    if os.geteuid() != 0:
        pytest.skip("integration tests need root")
    if not os.access(RUNTIME, os.X_OK):
        pytest.fail(f"runtime binary {RUNTIME} not found or not executable "
                    "(run `make`, or set BERTH_RUNTIME)", pytrace=False)
    yield
    for d in glob.glob(f"/sys/fs/cgroup/*/{CGROUP_PARENT}"):
        try:
            os.rmdir(d)
        except OSError:
            pass


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    dest = tmp_path_factory.mktemp("rootfs-template") / "rootfs"
    make_rootfs(dest)
    return dest


@pytest.fixture
def rt(tmp_path):
    root = tmp_path / "state"
    root.mkdir()
    runtime = Runtime(root)
    yield runtime
    for bg in runtime.background:
        bg.stop()
    # Clean up whatever the test left (also ids `list` may not report), then
    # check nothing remains behind.
    res = runtime.run("list", "--format", "json")
    try:
        listed = [c["id"] for c in json.loads(res.stdout or "null") or []]
    except (ValueError, TypeError, KeyError):
        listed = []
    for cid in dict.fromkeys(listed + runtime.ids):
        runtime.run("delete", "--force", cid)
    problems = wait_no_leftovers(runtime)
    if problems:
        reap_leftovers(runtime)
    assert not problems, f"expected no leftovers after delete, found: {problems}"


def new_bundle(rt: Runtime, rootfs_template: Path, where: Path, cid=None) -> Bundle:
    """A bundle with a private rootfs copy and the runtime's default spec,
    adjusted for the tests: no terminal, writable root, test cgroup."""
    where.mkdir(parents=True)
    subprocess.run(["cp", "-a", rootfs_template, where / "rootfs"], check=True)
    res = run_cmd([rt.binary, *RUNTIME_PREFIX, "spec"], cwd=where)
    assert res.returncode == 0, f"`spec` failed:\n{res.describe()}"
    cid = cid or rt.new_id()
    b = Bundle(where, cid, json.loads((where / "config.json").read_text()))
    b.cfg["process"]["terminal"] = False
    b.cfg["root"]["readonly"] = False
    b.cfg["linux"]["cgroupsPath"] = f"/{CGROUP_PARENT}/{cid}"
    b.write()
    rt.bundles.append(where)
    return b


@pytest.fixture
def bundle(rt, rootfs_template, tmp_path):
    return new_bundle(rt, rootfs_template, tmp_path / "bundle")


@pytest.fixture
def make_bundle(rt, rootfs_template, tmp_path):
    """Factory for tests needing more than one container."""
    def make(name):
        return new_bundle(rt, rootfs_template, tmp_path / name)
    return make


@pytest.fixture
def short_tmp():
    """A short directory path (unix socket paths are limited to 108 bytes)."""
    d = Path(tempfile.mkdtemp(prefix="berth-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# small helpers for tests


def read_proc_status(pid) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def pid_alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as dead
    try:
        return read_proc_status(pid)["State"][0] != "Z"
    except FileNotFoundError:
        return False


def stop_process(proc, timeout=10):
    """SIGTERM to a child the test started, SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def berth_binary():
    """`berth` itself: $BERTH, or the one beside $BERTH_RUNTIME (so the
    sanitizer pass runs build-san's), or build/berth."""
    if os.environ.get("BERTH"):
        return Path(os.environ["BERTH"])
    rt = os.environ.get("BERTH_RUNTIME", "")
    if Path(rt).name in ("berth", "berth-runtime"):
        return Path(rt).parent / "berth"
    return REPO / "build" / "berth"


def with_fd3(path, argv):
    """argv run with `path` open for reading as fd 3 (opened by a shell in
    front of it, never in pytest's own process)."""
    return ["/bin/sh", "-c", 'exec 3<"$0"; exec "$@"', str(path), *map(str, argv)]


def assert_exit(res: Result, code: int):
    assert res.returncode == code, f"expected exit code {code}:\n{res.describe()}"


def assert_one_line_error(res: Result, *words):
    """Failure with exit 1 and a single non-empty stderr line (mentioning words)."""
    assert res.returncode == 1, f"expected exit code 1:\n{res.describe()}"
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected one error line on stderr:\n{res.describe()}"
    for w in words:
        assert w in lines[0], f"expected {w!r} in the error line, saw {lines[0]!r}"


def assert_nothing_left(rt: Runtime):
    """After a failed create: no container, cgroup, mount or state dir."""
    listed = rt.list()
    assert listed == [], f"expected no container after a failed create, saw {listed}"
    problems = leftovers(rt)
    assert not problems, f"expected nothing left after a failed create, found {problems}"
