"""process.terminal with --console-socket: the pty master is handed over."""

import os
import select
import socket
import time

import pytest

from conftest import assert_nothing_left

ROWS, COLS = 33, 101


def read_until_eof(fd, timeout=10.0):
    """Read a pty master until the slave side is closed (EIO) or timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:          # EIO: every slave fd closed
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


@pytest.fixture
def console_socket(short_tmp):
    path = short_tmp / "console.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)
    srv.settimeout(10)
    yield path, srv
    srv.close()


def receive_master(srv):
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(10)
        _, fds, _, _ = socket.recv_fds(conn, 1024, 4)
    assert len(fds) == 1, f"expected exactly one fd over the console socket, got {fds}"
    return fds[0]


def test_console_socket(rt, bundle, console_socket):
    path, srv = console_socket
    bundle.cfg["process"]["terminal"] = True
    bundle.cfg["process"]["consoleSize"] = {"height": ROWS, "width": COLS}
    bundle.sh("stty size; tty; sleep 0.2")
    rt.create(bundle.cid, bundle, "--console-socket", path)
    master = receive_master(srv)
    try:
        assert os.isatty(master), "expected the received fd to be a terminal"
        rt.start(bundle.cid)
        out = read_until_eof(master)
    finally:
        os.close(master)
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    assert lines[:1] == [f"{ROWS} {COLS}"], (
        f"expected `stty size` to print the consoleSize {ROWS} {COLS}, saw {lines}")
    assert len(lines) > 1 and lines[1] in ("/dev/pts/0", "/dev/console"), (
        f"expected `tty` to name the container's terminal, saw {lines}")
    rt.wait_status(bundle.cid, "stopped")


def test_terminal_without_console_socket_fails(rt, bundle):
    bundle.cfg["process"]["terminal"] = True
    bundle.set_args("true")
    res = rt.run("create", "--bundle", bundle.path, bundle.cid)
    assert res.returncode != 0, f"expected create to fail without --console-socket:\n{res.describe()}"
    assert_nothing_left(rt)


def test_foreground_run_relays_terminal(rt, bundle):
    """Without --console-socket, a foreground `run` relays the container's
    pty to its own terminal: output, the window size, input, exit code."""
    import fcntl
    import pty
    import struct
    import termios

    bundle.process["terminal"] = True
    bundle.sh("tty; stty size; read line; echo got:$line; exit 3")
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execv(str(rt.argv()[0]), [str(a) for a in rt.argv("run", "--bundle", bundle.path,
                                                                  bundle.cid)])
        finally:
            os._exit(127)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    time.sleep(0.3)
    os.write(master, b"hello\r")
    out = read_until_eof(master)
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 3, f"expected exit code 3, output {out!r}"
    assert "/dev/pts/" in out or "/dev/console" in out, f"expected a tty name, saw {out!r}"
    assert f"{ROWS} {COLS}" in out, f"expected the relayed window size, saw {out!r}"
    assert "got:hello" in out, f"expected the relayed input, saw {out!r}"
