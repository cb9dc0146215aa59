"""What the benchmarks in bench/ share: a private mount namespace,
timing one command from spawn to exit, the summary statistics, and the
berth-against-podman setup (private stores, one image in both, cleanup)."""

import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REEXEC_MARK = "BERTH_BENCH_IN_NS"
REPO = Path(__file__).resolve().parents[1]
IMAGE = "localhost/berth-bench/busybox:latest"
# Paths podman uses whatever its flags say; each gets a tmpfs in our namespace.
PODMAN_HOST_DIRS = ("/run/libpod", "/run/containers", "/var/lib/containers",
                    "/etc/containers/networks")


def reexec_in_private_mount_ns():
    """Re-execute this script in a private mount namespace; returns inside it.

    crun refuses a cgroup v1/v2 hybrid host, so the cgroup2 hierarchy of the
    hybrid layout is unmounted there; nothing the benchmark mounts leaks to
    the host, and everything it mounts goes away with the namespace."""
    if os.environ.get(REEXEC_MARK):
        if os.path.ismount("/sys/fs/cgroup/unified"):
            subprocess.run(["umount", "/sys/fs/cgroup/unified"], check=True)
        return
    os.environ[REEXEC_MARK] = "1"
    unshare = shutil.which("unshare") or sys.exit("unshare(1) not found")
    os.execv(unshare, [unshare, "-m", "--propagation", "private",
                       sys.executable, *sys.argv])


def spawn(argv, err_path):
    """Start argv with stdin and stdout on /dev/null and stderr to err_path
    (a Path); returns its pid.

    posix_spawn (vfork) keeps the harness's own cost small and equal for
    every contender: subprocess's fd closing and pipes add about a
    millisecond, which would flatten the ratios."""
    argv = [str(a) for a in argv]
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, str(err_path),
                os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)


def spawn_failure(argv, status, err_path):
    """None if a spawned argv succeeded, else a message with the exit code
    and its stderr."""
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return None
    return f"`{' '.join(map(str, argv))}` exited {code}: {err_path.read_text().strip()}"


def timed_spawn(argv, err_path):
    """Run argv once; return (milliseconds from spawn to exit, None), or
    (ms, a message with the exit code and stderr) if it failed."""
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    _, status = os.waitpid(spawn(argv, err_path), 0)
    elapsed = time.clock_gettime_ns(time.CLOCK_MONOTONIC) - t0
    return elapsed / 1e6, spawn_failure(argv, status, err_path)


def percentile(values, q):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def print_times(title, named_times, label="runtime", width=8):
    """One line per contender: median, p90, min, mean (ms); failures named.
    named_times: (name, times, error or None).  Returns {name: median}."""
    print(f"\n{title}")
    print(f"{label:<{width}} {'median':>8} {'p90':>8} {'min':>8} {'mean':>8}")
    medians = {}
    for name, t, error in named_times:
        if error:
            print(f"{name:<{width}} FAILED: {error}")
            continue
        medians[name] = statistics.median(t)
        print(f"{name:<{width}} {statistics.median(t):8.2f} {percentile(t, 90):8.2f} "
              f"{min(t):8.2f} {statistics.fmean(t):8.2f}")
    return medians


def check(argv, what):
    """Run a setup step; on failure exit naming the script, the step, the
    command and its stderr.  Returns its stdout."""
    res = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {what}: `{' '.join(map(str, argv))}` "
                 f"exited {res.returncode}: {res.stderr.strip()}")
    return res.stdout


def cover_with_tmpfs(dirs):
    """A tmpfs over each of dirs, paths another engine uses whatever its
    flags say (made if absent, for remove_created to take away later).
    Returns the directories this created on the host."""
    created = []
    for d in dirs:
        missing = []
        p = Path(d)
        while not p.exists():
            missing.append(p)
            p = p.parent
        for p in reversed(missing):
            p.mkdir()
            created.append(p)
        check(["mount", "-t", "tmpfs", "-o", "mode=0700", "tmpfs", d], f"cover {d}")
    return created


def remove_created(created):
    """rmdir, not rmtree, what cover_with_tmpfs made: another engine on the
    host may have put files there since."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            pass


def mounts_under(path):
    """Mount points below path, deepest first."""
    prefix = f"{path}/"
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def ensure_installed(package, install):
    """Debian's package for a contender: installed with --install, else
    the user is told how."""
    if shutil.which(package):
        return
    prog = os.path.basename(sys.argv[0])
    if not install:
        sys.exit(f"{prog}: {package} is not installed: `apt-get install -y {package}`, "
                 "or run this with --install")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, env=env)


class Contender:
    """One engine: the argv prefix with its private store, the flags its
    `run` needs, and its times."""

    def __init__(self, name, prefix, run_flags, workdir: Path):
        self.name = name
        self.prefix = prefix
        self.run_flags = run_flags
        self.err_path = workdir / f"{name}.stderr"
        self.times = []
        self.error = None

    @property
    def is_podman(self):
        return self.name == "podman"

    def argv(self, *args):
        return [*self.prefix, *args]

    def run_argv(self, mode, *command):
        """`run MODE` (--rm, -d) of IMAGE with this engine's flags."""
        return self.argv("run", mode, *self.run_flags, IMAGE, *command)


def make_contenders(berths, workdir: Path, cgroup_parent):
    """berths: {name: binary}; podman comes last, its containers' cgroups
    under /cgroup_parent.  Stores on workdir's filesystem, run roots on a
    tmpfs as /run is."""
    run = workdir / "run"
    run.mkdir()
    check(["mount", "-t", "tmpfs", "-o", "mode=0700", "tmpfs", run], f"tmpfs at {run}")
    contenders = [Contender(name, [binary, "--root", workdir / name,
                                   "--run-root", run / name], [], workdir)
                  for name, binary in berths.items()]
    contenders.append(Contender("podman", [
        shutil.which("podman"), "--root", workdir / "podman", "--runroot", run / "podman",
        "--tmpdir", run / "libpod", "--network-config-dir", workdir / "podman-net",
        "--storage-driver", "overlay", "--cgroup-manager", "cgroupfs",
        "--events-backend", "none"],
        ["--network", "none", "--cgroup-parent", f"/{cgroup_parent}",
         "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"], workdir))
    return contenders


def load_image(contenders, workdir: Path):
    """One busybox image, the same bytes in every store; returns the ids."""
    podman_c = contenders[-1]
    rootfs = workdir / "rootfs"
    check([REPO / "scripts" / "busybox-rootfs", rootfs], "make the busybox rootfs")
    tarball = workdir / "rootfs.tar"
    check(["tar", "-C", rootfs, "-cf", tarball, "."], "tar the rootfs")
    check(podman_c.argv("import", "--change", 'CMD ["sh"]', tarball, IMAGE), "podman import")
    archive = workdir / "image.tar"
    check(podman_c.argv("save", "--format", "docker-archive", "-o", archive, IMAGE),
          "podman save")
    for c in contenders[:-1]:
        check(c.argv("load", "-i", archive), f"{c.name} load")
    return {json.loads(check(c.argv("inspect", IMAGE), f"{c.name} inspect"))[0]["Id"]
            .removeprefix("sha256:") for c in contenders}


def container_ids(c: Contender, running_only=False):
    """Full ids of the containers in c's store (all, or those running)."""
    if c.is_podman:
        filters = ["--filter", "status=running"] if running_only else ["--all"]
        out = check(c.argv("ps", *filters, "--no-trunc", "--format", "{{.ID}}"),
                    "podman ps")
        return out.split()
    # berth prints one JSON object per container, one after another
    out = check(c.argv("ps", "--all", "--no-trunc", "--format", "json"), f"{c.name} ps")
    decoder, rows, pos, out = json.JSONDecoder(), [], 0, out.strip()
    while pos < len(out):
        row, pos = decoder.raw_decode(out, pos)
        rows.append(row)
        pos = len(out) - len(out[pos:].lstrip())
    return [r["ID"] for r in rows if not running_only or r["State"] == "running"]


def remove_containers(c: Contender):
    """Every container of c's store, killed first; a container the engine
    failed to remove is named on stderr (with its pids)."""
    ids = container_ids(c)
    if not ids:
        return
    wait = ["--time", "0"] if c.is_podman else []
    res = subprocess.run(c.argv("rm", "--force", *wait, *ids), capture_output=True, text=True)
    left = container_ids(c)
    if res.returncode != 0 or left:
        print(f"{c.name} rm failed ({res.stderr.strip()}); left: {' '.join(left)}",
              file=sys.stderr)


def remove_cgroups(parent):
    """Containers' cgroups under /parent in every hierarchy, deepest
    first, then it."""
    for d in sorted(glob.glob(f"/sys/fs/cgroup/*/{parent}/**/", recursive=True),
                    key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


def cleanup(contenders, workdir: Path, created, cgroup_parent):
    """Containers (through their engine), podman's images, mounts, the
    directories cover_with_tmpfs made, cgroups under /cgroup_parent and
    workdir.  A second Ctrl-C does not cut it short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for c in contenders:
        try:
            remove_containers(c)
        except SystemExit as e:  # a failed ps: report it, clean the rest
            print(e, file=sys.stderr)
        if c.is_podman:
            subprocess.run(c.argv("rmi", "--all", "--force"), capture_output=True)
    # Mounts live in this namespace and die with it; unmount them anyway, so
    # that rmtree below removes their mount points and never walks into one.
    for d in [*mounts_under(workdir), *PODMAN_HOST_DIRS]:
        subprocess.run(["umount", "--lazy", d], capture_output=True)
    remove_created(created)
    remove_cgroups(cgroup_parent)
    shutil.rmtree(workdir, ignore_errors=True)
