"""What the benchmarks in bench/ share: a private mount namespace,
timing one command from spawn to exit, and the summary statistics."""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REEXEC_MARK = "BERTH_BENCH_IN_NS"


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


def timed_spawn(argv, err_path):
    """Run argv once; return (milliseconds from spawn to exit, None), or
    (ms, a message with the exit code and stderr) if it failed.

    posix_spawn (vfork) and waitpid keep the harness's own cost small and
    equal for every contender: subprocess.run's fd closing and pipes add
    about a millisecond, which would flatten the ratios.  stdout goes to
    /dev/null, stderr to err_path (a Path) for the message."""
    argv = [str(a) for a in argv]
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, str(err_path),
                os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = time.clock_gettime_ns(time.CLOCK_MONOTONIC) - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        return elapsed / 1e6, f"`{' '.join(argv)}` exited {code}: {err_path.read_text().strip()}"
    return elapsed / 1e6, None


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
