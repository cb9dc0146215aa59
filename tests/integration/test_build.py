"""`berth build`: real Dockerfiles built into the store and run; the cache
(hits and misses asserted from the output and from layer digests);
.dockerignore; and the hostile or malformed cases, each an error naming
the Dockerfile line, with nothing tagged."""

import json
import os

import pytest

from test_run import berth  # noqa: F401  (the fixture: a store with busybox:test)


def context(tmp_path, dockerfile, files=None, name="ctx"):
    ctx = tmp_path / name
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    for rel, data in (files or {}).items():
        p = ctx / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, tuple):
            os.symlink(data[1], p)
        else:
            p.write_text(data)
    return ctx


def build(berth, ctx, *args):
    """Every base image is in the test's store: nothing is ever pulled."""
    return berth("build", "--pull", "never", *args, ctx, timeout=120)


def built(berth, ctx, *args):
    res = build(berth, ctx, *args)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def inspect(berth, name):
    res = berth("inspect", name)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)[0]


def layers(berth, name):
    return inspect(berth, name)["RootFS"]["Layers"]


def steps(out):
    """Per step: 'cache' or 'run', in order."""
    lines = out.splitlines()
    marks = []
    for i, line in enumerate(lines):
        if line.startswith("Step ") and not line.split(" : ", 1)[1].startswith("FROM"):
            rest = lines[i + 1:]
            nxt = next((x for x in rest if x.startswith(" ---> ")), "")
            marks.append("cache" if "Using cache" in nxt else "run")
    return marks


BASIC = """\
FROM busybox:test
ARG GREETING=hello
ENV APP=/app NAME="the app"
WORKDIR $APP
COPY greeting.txt ./
RUN echo "$GREETING from $NAME" > run.txt && cat greeting.txt
LABEL org.example.name=${NAME}
EXPOSE 8080
USER app
CMD ["cat", "/app/run.txt"]
"""


def test_busybox_image_with_run_steps(berth, tmp_path):
    ctx = context(tmp_path, BASIC, {"greeting.txt": "from the context\n"})
    res = built(berth, ctx, "-t", "app:1")
    assert "from the context" in res.stdout  # RUN output streamed
    assert "Successfully tagged app:1" in res.stdout
    run = berth("run", "--rm", "app:1")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "hello from the app\n"
    cfg = inspect(berth, "app:1")["Config"]
    assert cfg["WorkingDir"] == "/app" and cfg["User"] == "app"
    assert "APP=/app" in cfg["Env"] and "NAME=the app" in cfg["Env"]
    assert cfg["Labels"] == {"org.example.name": "the app"}
    assert "8080/tcp" in cfg["ExposedPorts"]
    # COPY from the context is root's; the RUN ran as root (USER comes later).
    owners = berth("run", "--rm", "-u", "0", "app:1", "stat", "-c", "%u %n", "/app/greeting.txt",
                   "/app/run.txt")
    assert owners.stdout.split("\n")[:2] == ["0 /app/greeting.txt", "0 /app/run.txt"]
    # Two layers on top of the base: COPY and RUN.
    assert len(layers(berth, "app:1")) == len(layers(berth, "busybox:test")) + 2


def test_build_arg_overrides_default_and_is_not_kept(berth, tmp_path):
    ctx = context(tmp_path, BASIC, {"greeting.txt": "x\n"})
    built(berth, ctx, "-t", "app:2", "--build-arg", "GREETING=bonjour")
    assert berth("run", "--rm", "app:2").stdout == "bonjour from the app\n"
    env = inspect(berth, "app:2")["Config"]["Env"]
    assert not any(e.startswith("GREETING=") for e in env)
    # History as docker's builder writes it, the build arguments first.
    history = berth("history", "--no-trunc", "app:2").stdout
    assert 'RUN |1 GREETING=bonjour /bin/sh -c echo "$GREETING from $NAME"' in history


def test_multi_stage_static_binary_into_scratch(berth, tmp_path):
    ctx = context(tmp_path, """\
FROM busybox:test AS tools
RUN mkdir -p /out && cp /bin/busybox /out/busybox && echo built > /out/stamp

FROM scratch
COPY --from=tools /out/busybox /bin/busybox
COPY --from=tools /out/stamp /stamp
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/stamp"]
""")
    built(berth, ctx, "-t", "tiny:1")
    run = berth("run", "--rm", "tiny:1")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "built\n"
    # Only the final stage's two COPY layers: nothing of the tools stage.
    assert len(layers(berth, "tiny:1")) == 2
    # The tools stage's root (its /out, /root, /tmp, /home) is not there.
    ls = berth("run", "--rm", "tiny:1", "ls", "/", "/bin")
    names = set(ls.stdout.split())
    assert {"/bin:", "busybox", "stamp"} <= names, ls.stdout
    assert not names & {"out", "root", "tmp", "home", "sh"}, ls.stdout


def test_target_stops_at_a_stage(berth, tmp_path):
    ctx = context(tmp_path, """\
FROM busybox:test AS first
RUN echo first > /which
FROM first AS second
RUN echo second > /which
""")
    built(berth, ctx, "-t", "t:first", "--target", "first")
    assert berth("run", "--rm", "t:first", "cat", "/which").stdout == "first\n"
    res = build(berth, ctx, "--target", "nope")
    assert res.returncode != 0 and "--target nope" in res.stderr


def test_cache_hits_and_misses(berth, tmp_path):
    df = """\
FROM busybox:test
RUN echo one > /one
COPY a.txt /a.txt
RUN cat /a.txt > /copy
COPY b.txt /b.txt
"""
    ctx = context(tmp_path, df, {"a.txt": "a1\n", "b.txt": "b1\n"})
    first = built(berth, ctx, "-t", "c:1")
    assert steps(first.stdout) == ["run"] * 4
    again = built(berth, ctx, "-t", "c:2")
    assert steps(again.stdout) == ["cache"] * 4
    assert inspect(berth, "c:1")["Id"] == inspect(berth, "c:2")["Id"]
    # Changing one copied file rebuilds from that step on, and only that.
    (ctx / "a.txt").write_text("a2\n")
    changed = built(berth, ctx, "-t", "c:3")
    assert steps(changed.stdout) == ["cache", "run", "run", "run"]
    old, new = layers(berth, "c:1"), layers(berth, "c:3")
    base = len(layers(berth, "busybox:test"))
    assert old[:base + 1] == new[:base + 1]  # the RUN before the change kept
    assert old[base + 1] != new[base + 1]
    assert berth("run", "--rm", "c:3", "cat", "/copy").stdout == "a2\n"
    # A changed instruction misses too; --no-cache runs everything.
    nocache = built(berth, ctx, "--no-cache", "-t", "c:4")
    assert steps(nocache.stdout) == ["run"] * 4


def test_dockerignore(berth, tmp_path):
    ctx = context(tmp_path, "FROM busybox:test\nCOPY . /src/\n",
                  {".dockerignore": "*.log\nsecret/\n!secret/public.txt\n",
                   "keep.txt": "k", "debug.log": "d", "secret/key": "s",
                   "secret/public.txt": "p"})
    built(berth, ctx, "-t", "ign:1")
    ls = berth("run", "--rm", "ign:1", "find", "/src", "-type", "f")
    assert sorted(ls.stdout.split()) == ["/src/.dockerignore", "/src/Dockerfile",
                                         "/src/keep.txt", "/src/secret/public.txt"]
    res = build(berth, context(tmp_path, "FROM busybox:test\nCOPY debug.log /x\n",
                               {".dockerignore": "*.log\n", "debug.log": "d"}, name="ctx2"))
    assert res.returncode != 0 and "excluded by .dockerignore" in res.stderr


def test_add_unpacks_local_tar_and_refuses_urls(berth, tmp_path):
    import tarfile
    ctx = context(tmp_path, "FROM busybox:test\nADD files.tar.gz /opt/\n")
    with tarfile.open(ctx / "files.tar.gz", "w:gz") as t:
        f = tmp_path / "inner.txt"
        f.write_text("inside\n")
        t.add(f, "dir/inner.txt")
    built(berth, ctx, "-t", "add:1")
    assert berth("run", "--rm", "add:1", "cat", "/opt/dir/inner.txt").stdout == "inside\n"
    res = build(berth, context(tmp_path, "FROM busybox:test\nADD https://example.com/x /x\n",
                               name="ctx2"))
    assert res.returncode != 0 and "downloads nothing" in res.stderr


def test_failed_run_reports_and_tags_nothing(berth, tmp_path):
    ctx = context(tmp_path, "FROM busybox:test\nRUN echo first line\n"
                            "RUN echo about to fail; echo on stderr >&2; exit 3\n")
    res = build(berth, ctx, "-t", "broken:1")
    assert res.returncode != 0
    assert "Dockerfile:3: RUN: the command exited with code 3" in res.stderr
    assert "about to fail" in res.stderr and "on stderr" in res.stderr  # its last lines
    assert berth("inspect", "broken:1").returncode != 0
    leftovers = [p for p in (berth.store / "containers").iterdir()]
    assert leftovers == []


HOSTILE = [
    ("FROM busybox:test\nFOO bar\n", {}, "Dockerfile:2: unknown instruction 'FOO'"),
    ("FROM busybox:test\nCOPY\n", {}, "Dockerfile:2: COPY needs arguments"),
    ("FROM busybox:test\nCOPY only-one\n", {}, "Dockerfile:2: COPY needs a source and a destination"),
    ("RUN true\n", {}, "Dockerfile:1: the first instruction must be FROM"),
    ("FROM busybox:test\nCOPY ../outside /x\n", {}, "Dockerfile:2: '../outside' is outside the build context"),
    ("FROM busybox:test\nCOPY /etc/passwd /x\n", {}, "Dockerfile:2: '/etc/passwd': an absolute source"),
    ("FROM busybox:test\nCOPY link /x\n", {"link": ("symlink", "/etc/passwd")},
     "Dockerfile:2: 'link' leads out of the build context"),
    ("FROM busybox:test\nCOPY up/passwd /x\n", {"up": ("symlink", "../../../../etc")},
     "Dockerfile:2: 'up/passwd' leads out of the build context"),
    ("FROM busybox:test\nCOPY --from=nostage /a /b\n", {}, "Dockerfile:2: --from=nostage is not a stage of this Dockerfile, and: no such image"),
    ("FROM nosuchimage:1\n", {}, "Dockerfile:1: FROM nosuchimage:1"),
    ("FROM busybox:test\nENV A=\"unterminated\n", {}, "Dockerfile:2: unterminated double quote"),
    ("FROM busybox:test\nCOPY a.txt b.txt /notadir\n", {"a.txt": "a", "b.txt": "b"},
     "the destination must be a directory ending in /"),
    ("FROM busybox:test\nRUN --mount=type=cache true\n", {}, "Dockerfile:2: RUN --mount=type=cache: flags are not supported"),
]


@pytest.mark.parametrize("dockerfile, files, message", HOSTILE)
def test_bad_dockerfiles(berth, tmp_path, dockerfile, files, message):
    before = sorted(p.name for p in (berth.store / "blobs" / "sha256").iterdir())
    res = build(berth, context(tmp_path, dockerfile, files), "-t", "bad:1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert message in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert berth("inspect", "bad:1").returncode != 0
    assert sorted(p.name for p in (berth.store / "blobs" / "sha256").iterdir()) == before


TEMPLATED = """\
FROM busybox:test
COPY app.conf.tmpl /etc/app.conf.tmpl
LABEL org.berth.templates=/etc/app.conf.tmpl
CMD ["cat", "/etc/app.conf"]
"""

TEMPLATE = """\
# $HOSTNAME and $$ stay as they are
listen ${PORT:-8080};
database ${DB_URL};
cost $$5
"""


def test_templates_rendered_at_start(berth, tmp_path):
    built(berth, context(tmp_path, TEMPLATED, {"app.conf.tmpl": TEMPLATE}), "-t", "tpl:1")
    run = berth("run", "--rm", "-e", "DB_URL=postgres://db/app", "tpl:1")
    assert run.returncode == 0, run.stderr
    assert run.stdout == ("# $HOSTNAME and $ stay as they are\nlisten 8080;\n"
                          "database postgres://db/app;\ncost $5\n")
    # Per environment: the same image, other values.
    run = berth("run", "--rm", "-e", "DB_URL=x", "-e", "PORT=9", "tpl:1")
    assert "listen 9;" in run.stdout and "database x;" in run.stdout
    # Rendered into the container's writable layer, never into the image.
    assert berth("run", "-e", "DB_URL=kept", "tpl:1", "true").returncode == 0
    (kept,) = [d for d in (berth.store / "containers").iterdir() if d.is_dir()]
    assert "database kept;" in (kept / "upper" / "etc" / "app.conf").read_text()
    assert not list((berth.store / "layers" / "sha256").glob("*/etc/app.conf"))


def test_template_missing_variable_stops_the_container(berth, tmp_path):
    built(berth, context(tmp_path, TEMPLATED, {"app.conf.tmpl": TEMPLATE}), "-t", "tpl:2")
    run = berth("run", "--rm", "tpl:2")
    assert run.returncode == 125
    assert run.stdout == ""
    assert ("template /etc/app.conf.tmpl:3: ${DB_URL}: DB_URL is not set" in run.stderr), run.stderr
    assert not any((berth.store / "containers").iterdir())


def test_template_label_must_name_tmpl_files(berth, tmp_path):
    df = "FROM busybox:test\nLABEL org.berth.templates=/etc/passwd\n"
    built(berth, context(tmp_path, df), "-t", "tpl:3")
    run = berth("run", "--rm", "tpl:3", "true")
    assert run.returncode == 125
    assert "label org.berth.templates: '/etc/passwd' is not an absolute path ending in .tmpl" in run.stderr


def test_exec_forms_shell_globs_chown_chmod(berth, tmp_path):
    ctx = context(tmp_path, """\
FROM busybox:test
SHELL ["/bin/sh", "-ec"]
RUN ["/bin/sh", "-c", "echo exec form > /exec"]
RUN echo shell form > /shell
COPY --chown=app:staff --chmod=0640 conf/*.ini /etc/app/
COPY ["conf/a b.txt", "/spaced.txt"]
STOPSIGNAL SIGQUIT
VOLUME /data
HEALTHCHECK --interval=3s --retries=2 CMD ["true"]
ONBUILD RUN echo later
""", {"conf/one.ini": "1", "conf/two.ini": "2", "conf/skip.txt": "x", "conf/a b.txt": "s"})
    built(berth, ctx, "-t", "forms:1")
    out = berth("run", "--rm", "forms:1", "sh", "-c",
                "cat /exec /shell /spaced.txt; echo; ls /etc/app; stat -c '%U %G %a' /etc/app/one.ini")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n") == ["exec form", "shell form", "s", "one.ini", "two.ini",
                                      "app staff 640", ""]
    cfg = inspect(berth, "forms:1")["Config"]
    assert cfg["StopSignal"] == "SIGQUIT" and "/data" in cfg["Volumes"]
    assert cfg["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 3000000000, "Retries": 2}
    assert cfg["OnBuild"] == ["RUN echo later"]
    assert cfg["Shell"] == ["/bin/sh", "-ec"]
