"""Kept containers: `berth run -d` and a container's life without a daemon
(berth-monitor per container): ps, logs, stop/start/restart/kill/rm, wait,
exec, attach, rename, inspect; restart policies with backoff; what happens
when the commands or the monitor are SIGKILLed.

Each test has its own store and run root; the teardown removes every
container it made and checks that no monitor, mount or runtime state of it
is left."""

import json
import os
import pty
import select
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from conftest import berth_binary, pid_alive, wait_for
from test_run import Berth, busybox_tar

BERTH = berth_binary()


class Kept(Berth):
    def ok(self, *args, **kw):
        res = self(*args, **kw)
        assert res.returncode == 0, f"berth {' '.join(map(str, args))}: {res.stderr}"
        return res

    def inspect(self, ref):
        return json.loads(self.ok("inspect", "--type", "container", ref).stdout)[0]

    def state(self, ref):
        return self.inspect(ref)["State"]

    def run_d(self, *args):
        return self.ok("run", "-d", *args).stdout.strip()

    def log_entries(self, ref):
        """(time, stream, text) of every entry of the container's log files."""
        log = Path(self.inspect(ref)["LogPath"])
        files = sorted(log.parent.glob(log.name + ".*"), key=lambda p: -int(p.suffix[1:]))
        out = []
        for f in files + [log]:
            for line in f.read_text().splitlines():
                stamp, stream, _tag, text = line.split(" ", 3)
                t = datetime.strptime(stamp[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                out.append((t, stream, text))
        return out

    def monitors(self):
        pids = []
        for st in (self.store / "containers").glob("*/state.json"):
            pid = json.loads(st.read_text()).get("MonitorPid", 0)
            if pid and pid_alive(pid):
                pids.append(pid)
        return pids


@pytest.fixture
def berth(tmp_path):
    b = Kept(tmp_path)
    tar = tmp_path / "rootfs.tar"
    busybox_tar(tar)
    b.ok("import", "--change", 'CMD ["sh"]', tar, "bb")
    yield b
    reports = [f.read_text() for f in b.run_root.glob("containers/*/monitor.err")]
    ids = b("ps", "-aq", "--no-trunc").stdout.split()
    if ids:
        b("rm", "-f", *ids)
    for pid in b.monitors():  # a test that broke the rules
        os.kill(pid, signal.SIGKILL)
    leftovers = [line for line in Path("/proc/mounts").read_text().splitlines()
                 if str(tmp_path) in line]
    subprocess.run(["umount", "-R", str(b.store / "containers")], capture_output=True)
    assert not leftovers, leftovers
    # the sanitizer build's monitors report here
    assert not [r for r in reports if "Sanitizer" in r or "runtime error" in r], reports
    assert not list((b.run_root / "runtime").glob("*")) if (b.run_root / "runtime").exists() else True


def wait_state(berth, ref, status, timeout=10):
    wait_for(lambda: berth.state(ref)["Status"] == status, timeout, f"{ref} {status}")


# --------------------------------------------------------------------------
# run -d, ps, logs, inspect


def test_run_detached_ps_logs_inspect(berth):
    cid = berth.run_d("--name", "web", "bb", "sh", "-c",
                      "echo to-out; echo to-err >&2; exec sleep 60")
    assert len(cid) == 64
    wait_for(lambda: berth("logs", "web").stderr == "to-err\n", 5, "stderr logged")
    logs = berth.ok("logs", "web")
    assert logs.stdout == "to-out\n" and logs.stderr == "to-err\n"
    ps = berth.ok("ps").stdout.splitlines()
    assert ps[0].split()[:3] == ["CONTAINER", "ID", "IMAGE"]
    assert ps[1].startswith(cid[:12]) and "Up " in ps[1] and ps[1].endswith("web")
    info = berth.inspect("web")
    assert info["Id"] == cid and info["Name"] == "web"
    assert info["State"]["Running"] is True and info["State"]["Status"] == "running"
    pid = info["State"]["Pid"]
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
    # the init is the monitor's child, and the monitor nobody's in berth
    monitor = info["State"]["MonitorPid"]
    assert int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == monitor
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "no"
    assert Path(info["LogPath"]).exists()
    # an id prefix works as well as the name
    assert berth.inspect(cid[:8])["Id"] == cid
    # timestamps are RFC 3339 with nanoseconds
    stamped = berth.ok("logs", "-t", "web").stdout
    assert stamped.split(" ", 1)[1] == "to-out\n"
    datetime.strptime(stamped[:26], "%Y-%m-%dT%H:%M:%S.%f")


def test_foreground_run_keeps_the_container_and_its_exit_code(berth):
    res = berth("run", "--name", "once", "bb", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert res.returncode == 7 and res.stdout == "out\n" and res.stderr == "err\n"
    st = berth.state("once")
    assert st["Status"] == "exited" and st["ExitCode"] == 7 and st["FinishedAt"]
    assert "Exited (7)" in berth.ok("ps", "-a").stdout
    assert berth.ok("logs", "once").stdout == "out\n"


def test_a_slow_reader_of_a_foreground_run_gets_everything(berth):
    """berth run's own output is read late: the monitor holds the container
    back rather than dropping berth run's connection."""
    proc = subprocess.Popen(
        [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root),
         "run", "--name", "slowread", "bb", "sh", "-c", "seq 1 300000; exit 4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert out.splitlines() == [str(i) for i in range(1, 300001)]


def test_sigkill_of_the_starting_command_loses_nothing(berth):
    """The foreground `berth run` is killed mid-run: the container goes on,
    and every line it writes is in its log, once, in order."""
    proc = subprocess.Popen(
        [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root),
         "run", "--name", "survivor", "bb", "sh", "-c",
         "i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.05; done; exit 5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: berth("logs", "survivor").stdout.count("line") >= 3, 10, "first lines")
    proc.kill()
    proc.wait()
    assert berth.state("survivor")["Status"] == "running"
    wait_state(berth, "survivor", "exited", 20)
    st = berth.state("survivor")
    assert st["ExitCode"] == 5
    assert berth.ok("logs", "survivor").stdout.splitlines() == [f"line {i}" for i in range(40)]


def test_sigkill_of_other_berth_commands(berth):
    berth.run_d("--name", "busy", "bb", "sh", "-c",
                "i=0; while [ $i -lt 30 ]; do echo n $i; i=$((i+1)); sleep 0.05; done")
    base = [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root)]
    follower = subprocess.Popen(base + ["logs", "-f", "busy"], stdout=subprocess.PIPE)
    attacher = subprocess.Popen(base + ["attach", "busy"], stdout=subprocess.PIPE)
    time.sleep(0.3)
    follower.kill()
    attacher.kill()
    follower.wait()
    attacher.wait()
    wait_state(berth, "busy", "exited", 20)
    assert berth.ok("logs", "busy").stdout.splitlines() == [f"n {i}" for i in range(30)]


def test_logs_follow_tail_since_until(berth):
    berth.run_d("--name", "ticker", "bb", "sh", "-c",
                "i=0; while [ $i -lt 10 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done")
    follow = berth("logs", "-f", "ticker", timeout=30)
    assert follow.returncode == 0
    assert follow.stdout.splitlines() == [f"tick {i}" for i in range(10)]
    assert berth.ok("logs", "--tail", "3", "ticker").stdout.splitlines() == \
        ["tick 7", "tick 8", "tick 9"]
    entries = berth.log_entries("ticker")
    middle = datetime.utcfromtimestamp(entries[5][0]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    since = berth.ok("logs", "--since", middle, "ticker").stdout.splitlines()
    until = berth.ok("logs", "--until", middle, "ticker").stdout.splitlines()
    assert since[0] in ("tick 5", "tick 6") and since[-1] == "tick 9"
    assert until[0] == "tick 0" and until[-1] in ("tick 4", "tick 5")
    assert len(since) + len(until) == 10
    assert berth.ok("logs", "--since", "1h", "ticker").stdout.count("tick") == 10
    bad = berth("logs", "--since", "yesterday-ish", "ticker")
    assert bad.returncode != 0 and "--since" in bad.stderr


def test_long_lines_and_no_interleaving(berth):
    """A 100 KB line comes back whole; lines of two streams written at once
    are never cut into each other."""
    script = ("head -c 100000 /dev/zero | tr '\\0' a; echo; "
              "i=0; while [ $i -lt 200 ]; do echo out-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; "
              "echo err-$i-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy >&2; i=$((i+1)); done")
    assert berth("run", "--name", "big", "bb", "sh", "-c", script).returncode == 0
    logs = berth.ok("logs", "big")
    out = logs.stdout.splitlines()
    assert out[0] == "a" * 100000
    assert out[1:] == [f"out-{i}-" + "x" * 32 for i in range(200)]
    assert logs.stderr.splitlines() == [f"err-{i}-" + "y" * 34 for i in range(200)]


def test_a_fast_writer_is_slowed_not_dropped(berth):
    """200000 lines as fast as the container can write them: the pipe fills,
    the container waits for the monitor, and every line is logged."""
    berth.run_d("--name", "firehose", "bb", "seq", "1", "200000")
    wait_state(berth, "firehose", "exited", 60)
    lines = berth.ok("logs", "firehose", timeout=120).stdout.splitlines()
    assert len(lines) == 200000 and lines[0] == "1" and lines[-1] == "200000"
    assert lines == [str(i) for i in range(1, 200001)]


def test_stats_and_top_of_a_kept_container(berth):
    berth.run_d("--name", "measured", "--memory", "64m", "bb", "sh", "-c",
                "head -c 20000000 /dev/zero > /dev/shm/fill; exec sleep 60")
    wait_for(lambda: "sleep" in berth("top", "measured").stdout, 10, "sleep in top")
    top = berth.ok("top", "measured").stdout.splitlines()
    assert top[0].split()[:2] == ["UID", "PID"] and any("sleep 60" in l for l in top[1:])
    stats = json.loads(berth.ok("stats", "--no-stream", "--format", "json", "measured").stdout
                       .splitlines()[0])
    assert stats["Name"] == "measured"
    used, limit = stats["MemUsage"].split(" / ")
    assert limit == "64MiB" and used.endswith("MiB") and float(used[:-3]) >= 19


def test_log_rotation(berth):
    berth.run_d("--name", "chatty", "--log-opt", "max-size=8k", "--log-opt", "max-file=3",
                "bb", "sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done")
    wait_state(berth, "chatty", "exited")
    log = Path(berth.inspect("chatty")["LogPath"])
    files = sorted(p.name for p in log.parent.glob("container.log*"))
    assert files == ["container.log", "container.log.1", "container.log.2"]
    for name in files:
        assert (log.parent / name).stat().st_size <= 8192
    lines = berth.ok("logs", "chatty").stdout.splitlines()
    first = int(lines[0].split("-")[1])
    assert lines == [f"line-{i}" for i in range(first, 2000)]
    assert 200 < len(lines) < 2000
    assert berth.inspect("chatty")["HostConfig"]["LogConfig"]["Config"] == \
        {"max-size": 8192, "max-file": 3}


# --------------------------------------------------------------------------
# restart policies and backoff


def starts_of(berth, ref):
    return [t for t, _s, text in berth.log_entries(ref) if text == "start"]


def test_crash_loop_follows_the_backoff(berth):
    """Delays 100, 200, 400, 800, 800 ms (cap), each stretched by at most a
    tenth of jitter; the bounds below add generous slack for a busy host."""
    berth.run_d("--name", "crash", "--restart", "always", "--restart-delay", "100ms",
                "--restart-max-delay", "800ms", "bb", "sh", "-c", "echo start; exit 3")
    wait_for(lambda: len(starts_of(berth, "crash")) >= 6, 20, "six starts")
    info = berth.inspect("crash")
    assert info["RestartCount"] >= 5
    assert info["State"]["ExitCode"] == 3
    berth.ok("stop", "crash")
    t = starts_of(berth, "crash")
    gaps = [b - a for a, b in zip(t, t[1:])][:5]
    for gap, delay in zip(gaps, [0.1, 0.2, 0.4, 0.8, 0.8]):
        assert delay * 0.95 <= gap <= delay * 1.1 + 0.5, (gaps, delay)
    status = berth.ok("ps", "-a").stdout
    assert "restarts)" in status


def test_restart_state_is_shown_while_waiting(berth):
    berth.run_d("--name", "slow", "--restart", "on-failure", "--restart-delay", "3s",
                "bb", "sh", "-c", "exit 9")
    wait_state(berth, "slow", "restarting")
    st = berth.state("slow")
    assert st["ExitCode"] == 9 and st["Restarting"] is True and st["NextRestartAt"]
    nxt = datetime.strptime(st["NextRestartAt"][:26], "%Y-%m-%dT%H:%M:%S.%f")
    fin = datetime.strptime(st["FinishedAt"][:26], "%Y-%m-%dT%H:%M:%S.%f")
    assert 2.9 <= (nxt - fin).total_seconds() <= 3.5
    line = [l for l in berth.ok("ps").stdout.splitlines() if l.endswith("slow")][0]
    assert "Restarting (9)" in line and "next in" in line
    assert json.loads(berth.ok("ps", "--format", "json").stdout)["NextRestartAt"]


def test_stop_during_backoff_is_final_and_immediate(berth):
    berth.run_d("--name", "looping", "--restart", "always", "--restart-delay", "4s",
                "bb", "sh", "-c", "echo start; exit 1")
    wait_state(berth, "looping", "restarting")
    began = time.monotonic()
    berth.ok("stop", "looping")
    assert time.monotonic() - began < 2
    st = berth.state("looping")
    assert st["Status"] == "exited" and st["StoppedByUser"] is True
    assert berth.monitors() == []
    time.sleep(4.5)
    assert len(starts_of(berth, "looping")) == 1


def test_on_failure_retries_and_success_is_not_restarted(berth):
    berth.run_d("--name", "thrice", "--restart", "on-failure:2", "--restart-delay", "50ms",
                "bb", "sh", "-c", "echo start; exit 2")
    wait_state(berth, "thrice", "exited", 15)
    assert len(starts_of(berth, "thrice")) == 3
    assert berth.inspect("thrice")["RestartCount"] == 2
    berth.run_d("--name", "fine", "--restart", "on-failure", "bb", "sh", "-c", "echo start")
    wait_state(berth, "fine", "exited")
    time.sleep(0.5)
    assert len(starts_of(berth, "fine")) == 1


def test_backoff_resets_after_a_long_enough_run(berth):
    """Runs of 0.6 s with a reset window of 0.5 s: every retry waits the
    floor (300 ms), never 600, 1200, ..."""
    berth.run_d("--name", "steady", "--restart", "always", "--restart-delay", "300ms",
                "--restart-reset-after", "500ms", "bb", "sh", "-c", "echo start; sleep 0.6; exit 1")
    wait_for(lambda: len(starts_of(berth, "steady")) >= 5, 20, "five starts")
    berth.ok("stop", "steady")
    t = starts_of(berth, "steady")
    for a, b in zip(t, t[1:]):
        assert 0.85 <= b - a <= 0.9 + 0.6, t


# --------------------------------------------------------------------------
# stop, start, restart, kill, wait, rm, rename


def test_stop_start_restart_kill_wait(berth):
    berth.run_d("--name", "svc", "--stop-timeout", "1", "bb", "sh", "-c",
                "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.1; done")
    wait_for(lambda: "up" in berth("logs", "svc").stdout, 5, "up")
    berth.ok("stop", "svc")
    st = berth.state("svc")
    assert st["Status"] == "exited" and st["ExitCode"] == 0
    assert "got-term" in berth.ok("logs", "svc").stdout
    first_start = st["StartedAt"]
    berth.ok("start", "svc")
    st = berth.state("svc")
    assert st["Status"] == "running" and st["StartedAt"] != first_start
    old_pid = st["Pid"]
    berth.ok("restart", "-t", "1", "svc")
    assert berth.state("svc")["Pid"] not in (0, old_pid)
    waiter = subprocess.Popen([str(BERTH), "--root", str(berth.store), "--run-root",
                               str(berth.run_root), "wait", "svc"], stdout=subprocess.PIPE,
                              text=True)
    time.sleep(0.3)
    berth.ok("kill", "-s", "KILL", "svc")
    out, _ = waiter.communicate(timeout=10)
    assert out.strip() == "137" and waiter.returncode == 137
    assert berth.ok("logs", "svc").stdout.count("up") == 3


def test_start_after_the_run_root_was_emptied(berth):
    """A reboot empties /run: a stopped container starts again from its
    record, writable layer and log."""
    cid = berth.run_d("--name", "persist", "bb", "sh", "-c", "echo run >> /count; cat /count")
    wait_state(berth, "persist", "exited")
    subprocess.run(["rm", "-rf", str(berth.run_root / "containers" / cid)], check=True)
    berth.ok("start", "persist")
    wait_state(berth, "persist", "exited")
    assert berth.ok("logs", "persist").stdout == "run\nrun\nrun\n"


def test_stop_escalates_to_sigkill(berth):
    berth.run_d("--name", "stubborn", "bb", "sh", "-c", "trap '' TERM; sleep 60")
    began = time.monotonic()
    berth.ok("stop", "-t", "1", "stubborn")
    assert 0.9 <= time.monotonic() - began < 5
    assert berth.state("stubborn")["ExitCode"] == 137


def test_rm_and_names(berth):
    cid = berth.run_d("--name", "alpha", "bb", "sleep", "60")
    monitor = berth.state("alpha")["MonitorPid"]
    taken = berth("run", "-d", "--name", "alpha", "bb", "true")
    assert taken.returncode == 125 and "already in use" in taken.stderr
    assert len(berth.ok("ps", "-aq").stdout.split()) == 1
    refused = berth("rm", "alpha")
    assert refused.returncode != 0 and "stop it first" in refused.stderr
    berth.ok("rename", "alpha", "beta")
    assert berth.inspect("beta")["Id"] == cid
    assert berth("inspect", "--type", "container", "alpha").returncode != 0
    berth.ok("run", "-d", "--name", "alpha", "bb", "true")  # the old name is free
    berth.ok("rm", "-f", "beta")
    assert not (berth.store / "containers" / cid).exists()
    assert not pid_alive(monitor)
    missing = berth("rm", "nosuch")
    assert missing.returncode != 0 and "no such container" in missing.stderr


def test_run_detached_rm(berth):
    cid = berth.run_d("--rm", "bb", "sh", "-c", "echo bye")
    wait_for(lambda: not (berth.store / "containers" / cid).exists(), 10, "removed")
    assert berth.ok("ps", "-aq").stdout == ""


def test_start_failures_are_reported(berth):
    res = berth("run", "-d", "--name", "nocmd", "bb", "/no/such/binary")
    assert res.returncode == 127 and "no/such/binary" in res.stderr
    st = berth.state("nocmd")
    assert st["Status"] == "exited" and "no/such/binary" in st["Error"]


# --------------------------------------------------------------------------
# exec and attach


def test_exec_joins_the_container(berth):
    berth.run_d("--name", "box", "-h", "boxhost", "-w", "/tmp", "bb", "sleep", "60")
    init = berth.state("box")["Pid"]
    res = berth("exec", "-e", "GREETING=hi", "box", "sh", "-c",
                'echo $GREETING $(hostname) $(pwd); cat /proc/1/cmdline; exit 4')
    assert res.returncode == 4
    first, cmdline = res.stdout.split("\n", 1)
    assert first == "hi boxhost /tmp" and cmdline.startswith("sleep")
    # in the container's cgroup namespace: its own cgroups are "/"
    mine = berth.ok("exec", "box", "cat", "/proc/self/cgroup").stdout
    assert mine == berth.ok("exec", "box", "cat", "/proc/1/cgroup").stdout
    assert all(line.endswith(":/") for line in mine.splitlines()), mine
    assert berth.ok("exec", "-u", "app", "-w", "/", "box", "id", "-un").stdout == "app\n"
    missing = berth("exec", "box", "/no/such")
    assert missing.returncode == 127 and "/no/such" in missing.stderr
    assert berth("exec", "box", "/etc/passwd").returncode == 126
    berth.ok("stop", "-t", "0", "box")
    assert berth("exec", "box", "true").returncode != 0


def test_attach_with_stdin(berth):
    berth.run_d("-i", "--name", "cat", "bb", "sh", "-c", "read a; echo got-$a; exit 3")
    res = berth("attach", "cat", input="hello\n", timeout=20)
    assert res.returncode == 3 and res.stdout == "got-hello\n"


def read_until(fd, needle, timeout=10):
    buf = b""
    end = time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        assert left > 0, buf
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def spawn_on_pty(berth, *args):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(BERTH), [str(BERTH), "--root", str(berth.store), "--run-root",
                              str(berth.run_root), *args])
    return pid, fd


def test_interactive_tty_detach_and_reattach(berth):
    # a plain read loop: busybox's interactive sh would ask the terminal
    # for the cursor position and wait for an answer
    pid, fd = spawn_on_pty(berth, "run", "-it", "--name", "shell", "bb", "sh", "-c",
                           'while read -r l; do eval "$l"; done')
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    wait_for(lambda: berth("inspect", "shell").returncode == 0 and
             berth.state("shell")["Status"] == "running", 10, "running")
    os.write(fd, b"echo $((6*7)); stty size\r")
    out = read_until(fd, b"24 80")
    assert b"42" in out
    os.write(fd, b"\x10\x11")  # ctrl-p ctrl-q
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.WEXITSTATUS(status) == 0
    assert berth.state("shell")["Status"] == "running"
    pid, fd = spawn_on_pty(berth, "attach", "shell")
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    time.sleep(0.3)
    os.kill(pid, signal.SIGWINCH)
    time.sleep(0.3)
    os.write(fd, b"stty size; exit 3\r")
    out = read_until(fd, b"33 111")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert b"33 111" in out
    assert os.WEXITSTATUS(status) == 3
    wait_state(berth, "shell", "exited")


# --------------------------------------------------------------------------
# the monitor itself


def test_killed_monitor_leaves_a_dead_container_that_rm_cleans(berth):
    berth.run_d("--name", "orphan", "bb", "sleep", "60")
    st = berth.state("orphan")
    os.kill(st["MonitorPid"], signal.SIGKILL)
    wait_for(lambda: not pid_alive(st["MonitorPid"]), 5, "monitor gone")
    info = berth.inspect("orphan")
    assert info["State"]["Status"] == "dead"
    assert pid_alive(st["Pid"])  # the container itself was not touched
    berth.ok("rm", "-f", "orphan")
    wait_for(lambda: not pid_alive(st["Pid"]), 5, "init killed")


def test_a_new_monitor_adopts_a_container_and_loses_no_line(berth):
    """The monitor is SIGKILLed while the container writes; what it writes
    meanwhile waits in the pipe, and `start` gives it a new monitor that
    logs all of it and stops it."""
    berth.run_d("--name", "adoptee", "bb", "sh", "-c",
                "i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); sleep 0.05; done; "
                "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    wait_for(lambda: "line 3" in berth("logs", "adoptee").stdout, 5, "first lines")
    st = berth.state("adoptee")
    os.kill(st["MonitorPid"], signal.SIGKILL)
    wait_for(lambda: not pid_alive(st["MonitorPid"]), 5, "monitor gone")
    time.sleep(1)  # the rest is written with no monitor
    berth.ok("start", "adoptee")
    st2 = berth.state("adoptee")
    assert st2["Status"] == "running" and st2["Pid"] == st["Pid"]
    assert st2["MonitorPid"] not in (0, st["MonitorPid"])
    wait_for(lambda: "line 29" in berth("logs", "adoptee").stdout, 5, "all lines")
    assert berth.ok("logs", "adoptee").stdout.splitlines() == [f"line {i}" for i in range(30)]
    berth.ok("stop", "-t", "5", "adoptee")
    assert not pid_alive(st["Pid"])
    assert berth.state("adoptee")["Status"] == "exited"


def test_bad_flags_create_nothing(berth):
    for args, word in ((["--restart", "sometimes"], "--restart"),
                       (["--restart", "always", "--rm"], "--rm"),
                       (["--restart-delay", "-5s"], "--restart-delay"),
                       (["--restart-delay", "2s", "--restart-max-delay", "1s"], "max-delay"),
                       (["--restart-multiplier", "0.5"], "--restart-multiplier"),
                       (["--log-opt", "max-size=1"], "max-size"),
                       (["--log-opt", "colour=blue"], "--log-opt"),
                       (["--stop-signal", "SIGNOPE"], "NOPE"),
                       (["--name", "../escape"], "container name")):
        res = berth("run", "-d", *args, "bb", "true")
        assert res.returncode == 125, (args, res.stderr)
        assert word in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert berth.ok("ps", "-aq").stdout == ""
    assert not list((berth.store / "containers").glob("*/container.json"))


def test_damaged_state_file_is_named(berth):
    cid = berth.run_d("--name", "dmg", "bb", "true")
    wait_state(berth, "dmg", "exited")
    state = berth.store / "containers" / cid / "state.json"
    state.write_text("{not json")
    res = berth("ps", "-a")
    assert res.returncode == 0 and "state.json" in res.stderr  # named, not fatal
    assert "Unknown" in res.stdout and "dmg" in res.stdout
    assert berth.inspect("dmg")["State"]["Status"] == "unknown"
    state.write_text("")
    berth.ok("rm", "-f", "dmg")
    assert not (berth.store / "containers" / cid).exists()


# --------------------------------------------------------------------------
# found in review: each of these failed before its fix


def monitor_socket(berth, ref):
    import socket
    cid = berth.inspect(ref)["Id"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    d = os.open(berth.run_root / "containers" / cid, os.O_PATH)
    try:  # through the directory's fd: the full path is too long for a socket
        s.connect(f"/proc/self/fd/{d}/monitor.sock")
    finally:
        os.close(d)
    return s


def test_a_long_handshake_line_does_not_crash_the_monitor(berth):
    berth.run_d("--name", "victim", "bb", "sleep", "60")
    monitor = berth.state("victim")["MonitorPid"]
    s = monitor_socket(berth, "victim")
    s.sendall(b"A" * 4000 + b"\n")
    assert s.recv(10) == b""  # refused: closed
    s.close()
    assert pid_alive(monitor) and berth.state("victim")["Status"] == "running"
    garbage = monitor_socket(berth, "victim")
    garbage.sendall(b"attach\n" + b"\xff" * 100)  # a frame with a huge length
    assert garbage.recv(10) == b""
    assert pid_alive(monitor)


def test_stop_reaches_a_container_that_writes_without_pause(berth):
    berth.run_d("--name", "yes", "--log-opt", "max-size=1m", "--log-opt", "max-file=2",
                "bb", "yes")
    time.sleep(0.5)
    began = time.monotonic()
    berth.ok("stop", "-t", "1", "yes", timeout=30)
    assert time.monotonic() - began < 10
    assert berth.state("yes")["Status"] == "exited"


def test_stop_reaches_a_container_that_does_not_read_its_input(berth):
    berth.run_d("-i", "--name", "deaf", "bb", "sleep", "60")
    feeder = subprocess.Popen(
        [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root),
         "attach", "deaf"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    def feed():  # blocks once every pipe on the way is full
        try:
            feeder.stdin.write(b"\0" * 3000000)
        except (BrokenPipeError, ValueError, OSError):
            pass
    import threading
    threading.Thread(target=feed, daemon=True).start()
    time.sleep(1)
    began = time.monotonic()
    berth.ok("stop", "-t", "1", "deaf", timeout=30)
    assert time.monotonic() - began < 10
    feeder.kill()
    feeder.wait()


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_a_daemon_leaving_its_terminal_costs_no_cpu(berth):
    berth.run_d("-t", "--name", "daemon", "bb", "sh", "-c",
                "echo hi; exec >/dev/null 2>&1 </dev/null; sleep 60")
    monitor = berth.state("daemon")["MonitorPid"]
    time.sleep(0.5)
    before = cpu_ticks(monitor)
    time.sleep(2)
    assert cpu_ticks(monitor) - before < 20  # clock ticks (1/100 s) in 2 s


def test_no_fd_or_ignored_signal_of_the_caller_reaches_monitor_or_container(berth):
    # fd 7 is a pipe to cat: if the monitor kept it, this would not end
    res = subprocess.run(
        ["sh", "-c", f"{BERTH} --root {berth.store} --run-root {berth.run_root} "
                     "run -d --name clean bb sh -c 'grep SigIgn /proc/self/status; "
                     "ls /proc/self/fd; sleep 60' 7>&1 | cat"],
        capture_output=True, text=True, timeout=20)
    assert res.returncode == 0, res.stderr
    wait_for(lambda: "SigIgn" in berth("logs", "clean").stdout, 5, "logged")
    out = berth.ok("logs", "clean").stdout.split()
    assert out[1] == "0000000000000000", out
    assert out[2:] == ["0", "1", "2", "3"], out  # 3: ls's own directory
    monitor = berth.state("clean")["MonitorPid"]
    fds = sorted(os.listdir(f"/proc/{monitor}/fd"), key=int)
    targets = [os.readlink(f"/proc/{monitor}/fd/{f}") for f in fds]
    assert not [t for t in targets if t.startswith("pipe:")], targets


def test_two_starts_at_once_make_one_monitor(berth):
    berth.run_d("--name", "twice", "bb", "sh", "-c", "echo started; sleep 60")
    berth.ok("stop", "-t", "0", "twice")
    base = [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root)]
    for _ in range(3):
        procs = [subprocess.Popen(base + ["start", "twice"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        for p in procs:
            p.communicate(timeout=30)
            assert p.returncode == 0
        st = berth.state("twice")
        assert st["Status"] == "running" and pid_alive(st["Pid"])
        monitors = [int(p) for p in os.listdir("/proc") if p.isdigit() and
                    Path(f"/proc/{p}/cmdline").exists() and
                    b"berth-monitor" in Path(f"/proc/{p}/cmdline").read_bytes() and
                    str(berth.store).encode() in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert monitors == [st["MonitorPid"]], monitors
        berth.ok("stop", "-t", "0", "twice")
        assert not pid_alive(st["Pid"])


def test_a_reused_pid_is_not_adopted(berth):
    cid = berth.run_d("--name", "reuse", "bb", "sleep", "60")
    st = berth.state("reuse")
    os.kill(st["MonitorPid"], signal.SIGKILL)
    os.kill(st["Pid"], signal.SIGKILL)
    wait_for(lambda: not pid_alive(st["Pid"]) and not pid_alive(st["MonitorPid"]), 5, "gone")
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        path = berth.store / "containers" / cid / "state.json"
        doc = json.loads(path.read_text())
        doc["Pid"] = stranger.pid  # as if the kernel had given the pid away
        path.write_text(json.dumps(doc))
        berth.ok("start", "reuse")
        assert berth.state("reuse")["Pid"] != stranger.pid
        berth.ok("stop", "-t", "0", "reuse")
        assert stranger.poll() is None  # not killed
    finally:
        stranger.kill()
        stranger.wait()


def test_an_exact_id_beats_a_name_and_dangling_names_are_reclaimed(berth):
    first = berth.run_d("bb", "sleep", "60")
    second = berth.run_d("--name", first, "bb", "sleep", "61")
    assert berth.inspect(first)["Id"] == first
    assert berth.inspect(second)["Name"] == first
    names = berth.store / "container-names"
    os.symlink("f" * 64, names / "ghost")  # left by a run killed mid-way
    cid = berth.run_d("--name", "ghost", "bb", "true")
    assert berth.inspect("ghost")["Id"] == cid


def test_logs_follow_a_single_truncated_file(berth):
    berth.run_d("--name", "trunc", "--log-opt", "max-size=4k", "--log-opt", "max-file=1",
                "bb", "sh", "-c",
                "sleep 0.5; i=0; while [ $i -lt 400 ]; do echo line$i; i=$((i+1)); done; sleep 0.5")
    follow = berth("logs", "-f", "trunc", timeout=30)
    assert follow.stdout.splitlines()[-1] == "line399", follow.stdout[-200:]


def test_rm_f_does_not_wait_for_a_stop_in_progress(berth):
    berth.run_d("--name", "slowstop", "bb", "sh", "-c", "trap '' TERM; sleep 60")
    stopper = subprocess.Popen(
        [str(BERTH), "--root", str(berth.store), "--run-root", str(berth.run_root),
         "stop", "-t", "30", "slowstop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    began = time.monotonic()
    berth.ok("rm", "-f", "slowstop")
    assert time.monotonic() - began < 5
    stopper.wait(timeout=10)


def test_idle_connections_cannot_lock_out_stop(berth):
    berth.run_d("--name", "crowded", "bb", "sleep", "60")
    idle = [monitor_socket(berth, "crowded") for _ in range(40)]
    try:
        res = berth("stop", "-t", "0", "crowded", timeout=30)
        assert res.returncode == 0, res.stderr
        assert berth.state("crowded")["Status"] == "exited"
    finally:
        for s in idle:
            s.close()


def test_labels(berth):
    cid = berth.run_d("--label", "team=web", "-l", "tier=", "--label", "team=shop", "bb",
                      "sleep", "100")
    labels = berth.inspect(cid)["Config"]["Labels"]
    assert labels == {"team": "shop", "tier": ""}  # the last one wins, as docker
    for bad in ("=x", ""):
        res = berth("run", "-d", "--label", bad, "bb", "true")
        assert res.returncode == 125 and f"--label '{bad}': expected KEY=VALUE" in res.stderr
