"""Failures the forum survives, measured (``python -m bench.run --faults``).

Four scenarios, each with posters replying over HTTP while something goes wrong:

1. PostgreSQL restarted (``pg_ctl restart -m fast``) while 8 posters post;
2. a gunicorn worker killed (SIGKILL) mid-run while 8 posters post;
3. two app servers (gunicorn, 2 workers each) on one PostgreSQL, 4 posters on each, all
   replying into one thread;
4. SQLite with 2 gunicorn workers under 8 posters.

PostgreSQL is a private server the benchmark starts for itself (``initdb`` and ``pg_ctl`` from
/usr/lib/postgresql/*/bin, in a temporary directory, on a free port), never the shared one of
``make test``: restarting that would fail everyone else's work. Each database runs in a child
process of its own (``python -m bench.faults postgresql|sqlite``), which writes its figures as
JSON; the parent writes bench/RESULTS-faults.md.

Every reply carries a unique marker. After each scenario: replies acknowledged (302), refused by
kind (the HTTP status with the form's message), failed without an answer (the connection
dropped: the outcome is unknown to the poster), and what the database holds: every acknowledged
reply exactly once, under its parent, with the number the redirect named; no refused reply
stored; an unanswered one stored at most once; find_tree_problems on every tree; no comment
number used twice.
"""

import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import client
from . import results as report
from .client import Failed

PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    name: str
    what: str
    posters: int
    seconds: float
    acknowledged: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    no_answer: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    unanswered_stored: int = 0
    integrity: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# A private PostgreSQL ----------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL server of the benchmark's own, in a temporary directory, on a free port."""

    def __init__(self, workdir: Path) -> None:
        from .run import free_port

        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.dir = workdir / "postgresql"
        self.data = self.dir / "data"
        self.port = free_port()
        self.dir.mkdir()
        if os.geteuid() == 0:  # initdb refuses to run as root: as the postgres user, then
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Output to a file, not a pipe: the server pg_ctl starts would hold a pipe open, and
        # reading it to its end would wait for the server to stop.
        with (self.dir.parent / "pg_ctl.out").open("ab") as output:
            subprocess.run(command, check=True, stdout=output, stderr=output, cwd=self.dir)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

    def restart(self) -> float:
        started = time.perf_counter()
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")
        return time.perf_counter() - started

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


# Posting -----------------------------------------------------------------------------------------


class Poster:
    """bench.run's poster, with a list of its own replies, keeping for each whether an answer
    came back."""

    def __init__(self, port: int, slug: str, parents: list[int], *, seed: str) -> None:
        from .run import Poster as Base

        self.posted: list = []
        self.base = Base(port, slug, parents, self.posted, seed=seed)

    def attempt(self) -> float:
        try:
            return self.base.attempt()
        except Failed:
            raise  # answered: refused, with a status and the form's message
        except Exception:
            self.posted[-1].no_answer = True
            raise
        finally:
            self.posted[-1].finished = time.monotonic()


def post_during(posters: list[Poster], seconds: float, fault=None, at: float = 0.0):
    """Run the posters for ``seconds``; call ``fault()`` ``at`` seconds in; return the load."""
    timer = None
    started = time.monotonic()
    if fault is not None:
        timer = threading.Timer(at, fault)
        timer.start()
    load = client.concurrent([p.attempt for p in posters], seconds)
    if timer is not None:
        timer.join()
    load.started, load.fault_at = started, started + at if fault is not None else None
    return load


def timeline(posters: list[Poster], load) -> str:
    """Acknowledged replies per second before and after the fault, and when the last failure
    after it came."""
    records = [r for poster in posters for r in poster.posted if hasattr(r, "finished")]
    if load.fault_at is None:
        return ""
    ended = max(r.finished for r in records)
    before = sum(1 for r in records if r.ok and r.finished < load.fault_at)
    after = sum(1 for r in records if r.ok and r.finished >= load.fault_at)
    failed = [r.finished for r in records if not r.ok and r.finished >= load.fault_at]
    last = f"; the last failure {max(failed) - load.fault_at:.1f} s after it" if failed else ""
    return (
        f"Acknowledged {before / (load.fault_at - load.started):.0f}/s before the fault, "
        f"{after / max(ended - load.fault_at, 1e-9):.0f}/s from it to the end{last}"
    )


def judge(outcome: Outcome, posters: list[Poster], load) -> None:
    """Fill in the outcome from what the posters recorded and what the database holds."""
    from django.db import close_old_connections, connections

    from articles.models import Comment

    from .run import check_integrity

    connections.close_all()  # the database may have restarted under this process's connection
    close_old_connections()
    posted = [record for poster in posters for record in poster.posted]
    answered = [r for r in posted if not getattr(r, "no_answer", False)]
    unanswered = [r for r in posted if getattr(r, "no_answer", False)]
    outcome.acknowledged = sum(1 for r in posted if r.ok)
    outcome.refused = dict(
        Counter({k: v for k, v in load.errors.items() if k.startswith("HTTP")}).most_common()
    )
    outcome.no_answer = {k: v for k, v in load.errors.items() if not k.startswith("HTTP")}
    outcome.integrity = check_integrity(answered)
    markers = [r.marker for r in posted]
    bodies = Comment.objects.filter(body__startswith="bench-reply-").values_list("body", flat=True)
    found = Counter(body.split()[0] for body in bodies)
    outcome.stored = sum(found[m] for m in markers)
    outcome.unanswered_stored = sum(found[r.marker] for r in unanswered)
    twice = [f"{r.marker}: {found[r.marker]} times" for r in unanswered if found[r.marker] > 1]
    outcome.integrity["unanswered replies stored more than once"] = twice


def thread_parents(slug: str) -> list[int]:
    """The published comments of the article's largest thread: where every poster replies."""
    from django.db.models import Count

    from articles.models import Comment

    comments = Comment.objects.filter(article__slug=slug)
    tree = comments.values("tree_id").annotate(n=Count("pk")).order_by("-n")[0]["tree_id"]
    return list(
        comments.filter(tree_id=tree, status=Comment.Status.PUBLISHED).values_list(
            "number", flat=True
        )
    )


def worker_pids(server) -> list[int]:
    master = server.process.pid
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == master:
            children.append(int(stat.parent.name))
    return children


# The children: one database each ----------------------------------------------------------------


def prepare(database_url: str, workdir: Path) -> dict[str, str]:
    """Environment of the servers; Django set up on it; the database migrated and seeded."""
    import logging

    from .run import server_environment

    env = server_environment("unused_bench", workdir / "static")
    env["DATABASE_URL"] = database_url
    os.environ.update(env)
    import django

    django.setup()
    logging.getLogger("forum.requests").setLevel(logging.WARNING)
    from django.core.management import call_command

    from . import seed as seeding

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(f"{seeding.SEED}-faults")
    seeding.seed_hot(rng, seeding.Totals(), (1_000,))
    seeding.vacuum_analyze()
    return env


def start_server(env, log: Path, workers: int = 2):
    from .run import Server

    server = Server(env, log, workers=workers, threads=1)
    server.wait_ready("/articles/bench-hot-1000/")
    return server


def child_postgresql(workdir: Path, seconds: float) -> dict:
    from .run import reply_parents

    database = PrivatePostgres(workdir)
    outcomes = []
    try:
        database.create_database("forum_faults_bench")
        env = prepare(database.url("forum_faults_bench"), workdir)
        slug = "bench-hot-1000"
        parents = reply_parents(slug)
        server = start_server(env, workdir / "gunicorn-1.log")
        try:
            # 1. PostgreSQL restarted.
            outcome = Outcome(
                "PostgreSQL restarted",
                "`pg_ctl restart -m fast` a third of the way in, 8 posters, 2 workers",
                8,
                seconds,
            )
            posters = [Poster(server.port, slug, parents, seed=f"restart-{n}") for n in range(8)]
            took = []
            load = post_during(
                posters, seconds, lambda: took.append(database.restart()), seconds / 3
            )
            outcome.notes.append(
                f"The restart took {took[0]:.1f} s" if took else "No restart happened"
            )
            judge(outcome, posters, load)
            outcome.notes.append(timeline(posters, load))
            outcome.notes.append(f"{server.error_count()} tracebacks in gunicorn's log")
            outcomes.append(outcome)

            # 2. A worker killed.
            outcome = Outcome(
                "gunicorn worker killed",
                "SIGKILL to one of the 2 workers a third of the way in, 8 posters",
                8,
                seconds,
            )
            posters = [Poster(server.port, slug, parents, seed=f"kill-{n}") for n in range(8)]
            killed = []

            def kill() -> None:
                pid = worker_pids(server)[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

            load = post_during(posters, seconds, kill, seconds / 3)
            outcome.notes.append(timeline(posters, load))
            outcome.notes.append(
                f"Killed worker {killed[0]}; gunicorn started another: "
                f"{len(worker_pids(server))} workers after"
            )
            judge(outcome, posters, load)
            outcomes.append(outcome)

            # 3. Two app servers, one thread.
            second = start_server(env, workdir / "gunicorn-2.log")
            try:
                outcome = Outcome(
                    "two app servers, one thread",
                    "2 gunicorns (2 workers each) on one PostgreSQL, 4 posters on each, every "
                    "reply into the article's largest thread",
                    8,
                    seconds,
                )
                one_thread = thread_parents(slug)
                posters = [
                    Poster(s.port, slug, one_thread, seed=f"two-{s.port}-{n}")
                    for s in (server, second)
                    for n in range(4)
                ]
                load = post_during(posters, seconds)
                judge(outcome, posters, load)
                outcome.notes.append(
                    f"The thread had {len(one_thread)} published comments at the start"
                )
                outcomes.append(outcome)
            finally:
                second.stop()
        finally:
            server.stop()
        version = database.version()
    finally:
        from django.db import connections

        connections.close_all()
        database.stop()
    return {"outcomes": [asdict(o) for o in outcomes], "version": f"PostgreSQL {version}"}


def child_sqlite(workdir: Path, seconds: float) -> dict:
    import sqlite3

    from .run import reply_parents

    env = prepare(f"sqlite:///{workdir / 'faults.sqlite3'}", workdir)
    slug = "bench-hot-1000"
    server = start_server(env, workdir / "gunicorn-sqlite.log")
    try:
        outcome = Outcome(
            "SQLite, 2 workers",
            "SQLite (WAL, IMMEDIATE transactions), 2 gunicorn workers, 8 posters",
            8,
            seconds,
        )
        parents = reply_parents(slug)
        posters = [Poster(server.port, slug, parents, seed=f"lite-{n}") for n in range(8)]
        load = post_during(posters, seconds)
        judge(outcome, posters, load)
        outcome.notes.append(f"{load.per_second:.1f} acknowledged replies/s")
        outcome.notes.append(f"{server.error_count()} tracebacks in gunicorn's log")
    finally:
        server.stop()
    return {"outcomes": [asdict(outcome)], "version": f"SQLite {sqlite3.sqlite_version}"}


def child(kind: str, seconds: float, output: Path) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-faults-{kind}-"))
    os.chmod(workdir, 0o755)
    try:
        run = child_postgresql if kind == "postgresql" else child_sqlite
        output.write_text(json.dumps(run(workdir, seconds)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# The parent: the report --------------------------------------------------------------------------


def render(argv, args, found: list[dict], started: float, load_before: str) -> str:
    rows = []
    detail = []
    for part in found:
        for o in part["outcomes"]:
            problems = {k: v for k, v in o["integrity"].items() if v}
            count = sum(len(v) for v in problems.values())
            refused = "; ".join(f"{k} ×{v}" for k, v in o["refused"].items()) or "none"
            dropped = "; ".join(f"{k} ×{v}" for k, v in o["no_answer"].items()) or "none"
            rows.append(
                (
                    o["name"],
                    str(o["acknowledged"]),
                    f"{o['stored']} ({o['unanswered_stored']} of them unanswered)",
                    refused,
                    dropped,
                    "**sound**" if not count else f"**{count} problems**",
                )
            )
            detail.append(
                f"- **{o['name']}** ({part['version']}): {o['what']}, {o['seconds']:g} s. "
                + " ".join(f"{note}." for note in o["notes"])
            )
            for check, items in problems.items():
                detail.append(f"  - {check}: " + "; ".join(items[:5]))
    minutes = (time.perf_counter() - started) / 60
    command = " ".join([".venv/bin/python -m bench.run", *argv])
    sections = [
        "# Failures the forum survives, measured",
        f"`{command}` took {minutes:.1f} minutes (load average before: {load_before}, after: "
        f"{report.load_average()}). Acknowledged: the server redirected to the new reply (302). "
        "Stored: the replies of the scenario found in the database afterwards. Refused: answered "
        "with another status (with the form's message). No answer: the connection dropped or "
        "timed out, so the poster cannot know whether the reply was stored; the benchmark does "
        "not retry. Integrity: every acknowledged reply stored once under its parent with the "
        "number the redirect named, nothing refused stored, nothing unanswered stored twice, "
        "find_tree_problems on every tree, no comment number used twice.",
        report.markdown_table(
            ("scenario", "acknowledged", "stored", "refused by kind", "no answer", "integrity"),
            rows,
        ),
        "\n".join(detail),
    ]
    return "\n\n".join(sections) + "\n"


def run_faults(argv: list[str], args) -> None:
    from .run import say

    started, load_before = time.perf_counter(), report.load_average()
    found = []
    with tempfile.TemporaryDirectory(prefix="forum-faults-") as scratch:
        for kind in ("postgresql", "sqlite"):
            output = Path(scratch) / f"{kind}.json"
            say(f"faults on {kind}")
            subprocess.run(
                [sys.executable, "-m", "bench.faults", kind, str(args.fault_seconds), str(output)],
                cwd=PROJECT,
                check=True,
            )
            found.append(json.loads(output.read_text()))
    text = render(argv, args, found, started, load_before)
    args.output.write_text(text)
    say("\n" + text)
    say(f"written to {args.output}")


if __name__ == "__main__":
    child(sys.argv[1], float(sys.argv[2]), Path(sys.argv[3]))
