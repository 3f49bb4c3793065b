"""Benchmark the forum on PostgreSQL behind gunicorn: article pages, replies, and tree integrity.

    .venv/bin/python -m bench.run [--comments-total 50000] [--million] [--keep-db]

Creates (drops and recreates) its own database, seeds it, serves it with gunicorn on a free port
of 127.0.0.1, measures over HTTP, checks the trees, and writes bench/RESULTS.md. See README.md.
"""

import argparse
import contextlib
import itertools
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from . import client, sections
from . import results as report
from .client import Failed, Session
from .results import HOT_SIZES, PAGE_VARIANTS, PageFigures, Results, SqlUse, ms, p50

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*bench[a-z0-9_]*$")


@dataclass
class Posted:
    """A reply the benchmark sent: where to, with which marker, and what the server said."""

    marker: str
    parent: int
    ok: bool = False
    number: int | None = None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--comments-total", type=int, default=50_000, metavar="N")
    parser.add_argument(
        "--million",
        action="store_const",
        const=1_000_000,
        dest="scale_to",
        help="then grow the database to 1,000,000 comments and measure the pages again",
    )
    parser.add_argument("--scale-to", type=int, metavar="N", help="like --million, to N comments")
    parser.add_argument("--db-name", default="forum_bench", help="dropped and recreated")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--requests", type=int, default=100, help="page reads at concurrency 1")
    parser.add_argument(
        "--cold-requests", type=int, default=10, help="page reads after every thread changed"
    )
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument("--read-concurrency", type=int, default=4)
    parser.add_argument("--replies", type=int, default=500, help="sequential replies")
    parser.add_argument("--posters", type=int, default=8, help="concurrent posters")
    parser.add_argument("--post-seconds", type=float, default=20.0)
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="on SQLite instead (bench/on_sqlite.py): before and after the parent index fix",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="the failures instead (bench/faults.py): writes bench/RESULTS-faults.md",
    )
    parser.add_argument(
        "--page-requests", type=int, default=30, help="--sqlite: page reads per page and phase"
    )
    parser.add_argument(
        "--fault-seconds", type=float, default=12.0, help="--faults: posting time per scenario"
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.output is None:
        name = "RESULTS-faults.md" if args.faults else "RESULTS-sqlite.md" if args.sqlite else None
        args.output = DEFAULT_OUTPUT.with_name(name) if name else DEFAULT_OUTPUT
    if not DB_NAME_RE.match(args.db_name):
        parser.error("--db-name must be a plain name containing 'bench' (it is dropped)")
    if args.comments_total < sum(HOT_SIZES):
        parser.error("--comments-total must be at least 11,000 (the two hot articles)")
    return args


# The database and the server ---------------------------------------------------------------------


def admin_url(database: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


def recreate_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_environment(db_name: str, static_root: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "forum.settings",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # As in production behind a TLS proxy: the client sends X-Forwarded-Proto: https.
        "DJANGO_BEHIND_HTTPS_PROXY": "1",
        # The benchmark does not test the rate limits.
        "FORUM_BURST_LIMIT": "1000000000",
        "FORUM_HOURLY_LIMIT": "1000000000",
        "DJANGO_LOG_LEVEL": "ERROR",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((client.HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving forum.wsgi on a free local port."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int, threads: int) -> None:
        self.port = free_port()
        self.log = log
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "forum.wsgi",
            "--chdir",
            str(PROJECT),
            "--bind",
            f"{client.HOST}:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                if Session(self.port, "ready").request("GET", path).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {path} in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def error_count(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")

    def timings(self, tag: str, method: str = "GET") -> list[float]:
        """Seconds the server took for the requests tagged so, from its JSON request log."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"request_id": "{tag}-' in line:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # two workers' lines run together now and then
                if entry.get("method") == method:
                    found.append(entry["ms"] / 1000)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# Reading -----------------------------------------------------------------------------------------


def page_path(size: int, query: str) -> str:
    return f"/articles/bench-hot-{size}/{query}"


@contextlib.contextmanager
def sql_counted() -> Iterator[SqlUse]:
    """Count the queries run inside with CaptureQueriesContext, and time the statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    use = SqlUse()

    def timed(execute, sql, params, many, context):
        # CaptureQueriesContext keeps times rounded to the millisecond: too coarse here.
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            use.statement_seconds += time.perf_counter() - started

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
        yield use
    use.queries = len(queries)
    use.transaction_control = sum(
        1
        for query in queries.captured_queries
        if re.match(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", query["sql"])
    )


def in_process_page(path: str, renders: int = 5) -> tuple[SqlUse, int, float]:
    """SQL use (median time of a few renders), comments shown and size of a page."""
    from django.test import Client

    browser = Client(HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https")
    browser.get(path)  # first use: templates and translations load
    uses = []
    for _ in range(renders):
        with sql_counted() as use:
            response = browser.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"in-process GET {path} answered {response.status_code}")
        uses.append(use)
    shown = len(re.findall(rb'<article class="comment[^"]*" id="c\d+"', response.content))
    return median_use(uses), shown, len(response.content) / 1024


def median_use(uses: list[SqlUse]) -> SqlUse:
    seconds = p50([use.statement_seconds for use in uses])
    return SqlUse(uses[-1].queries, uses[-1].transaction_control, seconds)


def measure_page(server: "Server", path: str, tag: str, args: argparse.Namespace) -> PageFigures:
    def read(session: Session) -> client.Attempt:
        def attempt() -> float:
            response = session.request("GET", path)
            if response.status != 200:
                raise Failed(f"HTTP {response.status}")
            return response.seconds

        return attempt

    port = server.port
    client.sequential(read(Session(port, "warm-up")), 10)  # both workers, caches, connections
    single = client.sequential(read(Session(port, f"{tag}-c1")), args.requests)
    many = client.concurrent(
        [read(Session(port, f"{tag}-cn")) for _ in range(args.read_concurrency)],
        args.read_seconds,
    )
    server_side = server.timings(f"{tag}-c1")
    cold = [cold_read(read(Session(port, f"{tag}-cold")), path) for _ in range(args.cold_requests)]
    sql_use, shown, kilobytes = in_process_page(path)
    if not single.latencies:
        raise RuntimeError(f"every read of {path} failed: {dict(single.errors)}")
    return PageFigures(
        p50=client.percentile(single.latencies, 0.50),
        p99=client.percentile(single.latencies, 0.99),
        server_p50=client.percentile(server_side, 0.50) if server_side else None,
        per_second=many.per_second,
        errors=single.errors + many.errors,
        sql=sql_use,
        comments_shown=shown,
        kilobytes=kilobytes,
        cold_p50=p50(cold),
    )


def cold_read(attempt, path: str) -> float:
    """One read after every thread of the page's article got a new version (as a write gives
    it): the server finds none of them in its cache and renders them all."""
    from articles.models import Comment, new_thread_version

    slug = path.split("/")[2]
    Comment.objects.filter(article__slug=slug, lft=1).update(thread_version=new_thread_version())
    return attempt()


def measure_reads(server: "Server", args: argparse.Namespace, results: Results) -> None:
    from articles.models import Comment

    stage = Comment.objects.count()
    results.stages.append(stage)
    for number, (variant, query) in enumerate(PAGE_VARIANTS.items()):
        for size in HOT_SIZES:
            path = page_path(size, query)
            figures = measure_page(server, path, f"read-{stage}-{number}-{size}", args)
            results.pages[(stage, variant, size)] = figures
            say(
                f"  {path} at {stage:,} comments: p50 {ms(figures.p50)}, p99 {ms(figures.p99)}, "
                f"{figures.per_second:.1f}/s at c={args.read_concurrency}, "
                f"{figures.sql.queries} queries"
            )


def measure_compression(server: "Server", args: argparse.Namespace, results: Results) -> None:
    """Bytes and time of the hot articles' pages without and with gzip (bench/compression.py)."""
    from . import compression

    for number, query in enumerate(PAGE_VARIANTS.values()):
        for size in HOT_SIZES:
            path = page_path(size, query)
            count = args.requests // 4 if not query else 5
            figures = compression.measure(server, path, count, f"gz{number}-{size}")
            results.compression.append(figures)
            say(f"  {path}: {results.compression[-1].row()[1]}")


# Writing -----------------------------------------------------------------------------------------


class Poster:
    """A reader replying to random comments of one article, with a session of their own."""

    markers = itertools.count(1)

    def __init__(
        self, port: int, slug: str, parents: list[int], posted: list[Posted], *, seed: str
    ) -> None:
        from articles.forms import form_token

        self.form_token = form_token
        self.rng = random.Random(seed)
        self.slug, self.parents, self.posted = slug, parents, posted
        self.session = Session(port, seed)
        # The page's own `issued` is too fresh to post (FORUM_FORM_MIN_SECONDS); tokens signed
        # ten seconds in the past with the server's key stand for a reader who took their time.
        self.session.open_form(self.reply_path(parents[0]))

    def reply_path(self, number: int) -> str:
        return f"/articles/{self.slug}/c/{number}/reply/"

    def attempt(self) -> float:
        from .seed import body_text

        parent = self.rng.choice(self.parents)
        record = Posted(marker=f"bench-reply-{next(self.markers):06d}", parent=parent)
        self.posted.append(record)
        form = {
            "csrfmiddlewaretoken": self.session.csrf_token,
            "issued": self.form_token(time.time() - 10),
            "website": "",
            "author_name": "",
            "body": f"{record.marker} >>{parent}\n{body_text(self.rng)}",
            "post": "1",
        }
        response = self.session.request("POST", self.reply_path(parent), form)
        if response.status != 302:
            raise Failed(f"HTTP {response.status}: {client.form_errors(response.body)}")
        new = re.search(r"[?&]new=(\d+)", response.headers.get("Location", ""))
        record.ok, record.number = True, int(new.group(1)) if new else None
        return response.seconds


def cpu_seconds(server: "Server") -> dict[int, tuple[str, float]]:
    """CPU time used so far by each process of gunicorn (master and workers), PostgreSQL (every
    server process) and this one (the client), by pid, from /proc; empty without /proc."""
    used: dict[int, tuple[str, float]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    gunicorn = server.process.pid
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        fields = fields.split()
        pid, parent = int(stat.parent.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        if gunicorn in (pid, parent):
            used[pid] = ("gunicorn", seconds)
        elif name.startswith("postgres"):
            used[pid] = ("PostgreSQL", seconds)
        elif pid == os.getpid():
            used[pid] = ("client", seconds)
    return used


def cpu_used_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds by role between two readings. A process that ended in between is missing
    from the second reading, and its time since the first is not counted."""
    used: dict[str, float] = defaultdict(float)
    for pid, (role, seconds) in after.items():
        used[role] += seconds - before.get(pid, (role, 0.0))[1]
    return dict(used)


def reply_parents(slug: str) -> list[int]:
    from articles.models import Comment

    return list(
        Comment.objects.filter(
            article__slug=slug, status=Comment.Status.PUBLISHED, number__lte=HOT_SIZES[0]
        )
        .order_by("number")
        .values_list("number", flat=True)
    )


def in_process_reply(slug: str, parent: int, posted: list[Posted]) -> tuple[SqlUse, float]:
    """SQL use of a reply posted in this process (median of 5), and the whole request's time."""
    from django.test import Client

    from articles.forms import form_token

    browser = Client(HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https")
    path = f"/articles/{slug}/c/{parent}/reply/"
    uses, request_seconds = [], []
    for index in range(6):  # the first one warms up
        record = Posted(marker=f"bench-probe-{index}", parent=parent)
        posted.append(record)
        form = {"issued": form_token(time.time() - 10), "body": f"{record.marker} 返信です。" * 4}
        started = time.perf_counter()
        with sql_counted() as use:
            response = browser.post(path, form)
        if response.status_code != 302:
            raise RuntimeError(f"in-process reply answered {response.status_code}")
        request_seconds.append(time.perf_counter() - started)
        uses.append(use)
        record.ok = True
        record.number = int(re.search(r"new=(\d+)", response["Location"]).group(1))
    return median_use(uses[1:]), p50(request_seconds[1:])


def vacuum_comments() -> None:
    """Clear away the dead row versions the reads left behind before the writes start.

    Each "nothing cached" read gives every thread of its article a new version: 40 row versions
    per thread of the hot articles by the end of the reads at 1,000,000 comments, far more churn
    than readers cause. Autovacuum would clear them in a live forum, but at 1,000,000 comments it
    waits for 200,000 dead rows (a fifth of the table) and does not start in the minutes the
    benchmark runs; the replies would wade through them.
    """
    from django.db import connection

    from articles.models import Comment

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Comment._meta.db_table)}")


def measure_writes(server: "Server", args: argparse.Namespace, results: Results) -> list[Posted]:
    from articles.models import Comment

    slug = f"bench-hot-{HOT_SIZES[0]}"
    parents = reply_parents(slug)
    posted: list[Posted] = []
    results.comments_at_writes = Comment.objects.count()
    vacuum_comments()
    port = server.port
    client.sequential(Poster(port, slug, parents, posted, seed="warm-up").attempt, 10)
    poster = Poster(port, slug, parents, posted, seed="sequential")
    results.sequential = client.sequential(poster.attempt, args.replies)
    seq = results.sequential
    say(f"  {args.replies} sequential replies: p50 {ms(p50(seq.latencies))}, {dict(seq.errors)}")
    results.sequential_server = server.timings("sequential", "POST")
    results.reply_sql, results.reply_seconds = in_process_reply(slug, parents[1], posted)
    posters = [
        Poster(port, slug, parents, posted, seed=f"poster-{index}") for index in range(args.posters)
    ]
    before = cpu_seconds(server)
    results.concurrent = client.concurrent([p.attempt for p in posters], args.post_seconds)
    after = cpu_seconds(server)
    results.concurrent_cpu = cpu_used_between(before, after)
    many = results.concurrent
    results.concurrent_server = server.timings("poster", "POST")
    say(
        f"  {args.posters} posters for {args.post_seconds:g} s: {many.per_second:.1f} replies/s, "
        f"errors {dict(many.errors)}"
    )
    return posted


# Integrity ---------------------------------------------------------------------------------------


def check_integrity(posted: list[Posted]) -> dict[str, list[str]]:
    """Problems found after the writes, by check (every list empty when all is well)."""
    from django.db.models import Count, F, Max

    from articles.models import Article, Comment
    from articles.tree_checks import find_tree_problems

    hot = Comment.objects.filter(article__slug__startswith="bench-hot-")
    trees = find_tree_problems()  # every tree in the database
    found: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    rows = hot.filter(body__startswith="bench-").values_list("number", "parent__number", "body")
    for number, parent_number, body in rows:
        found[body.split()[0]].append((number, parent_number))
    lost, misplaced, stored_anyway = [], [], []
    for record in posted:
        hits = found.get(record.marker, [])
        if not record.ok:
            if hits:
                stored_anyway.append(f"{record.marker} (to #{record.parent}) is #{hits[0][0]}")
        elif len(hits) != 1:
            lost.append(f"{record.marker} to #{record.parent}: found {len(hits)} times")
        elif hits[0][1] != record.parent or record.number not in (None, hits[0][0]):
            misplaced.append(
                f"{record.marker}: posted to #{record.parent} as #{record.number}, "
                f"stored as #{hits[0][0]} under #{hits[0][1]}"
            )
    duplicates = (
        Comment.objects.values("article_id", "number")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )
    beyond = Article.objects.annotate(top=Max("comments__number")).filter(
        top__gt=F("last_comment_number")
    )
    return {
        "find_tree_problems on every tree": [
            f"tree {tree_id}: {problem}"
            for tree_id, problems in trees.items()
            for problem in problems
        ],
        "accepted replies missing or duplicated": lost,
        "accepted replies under another parent or number": misplaced,
        "refused or failed replies stored anyway": stored_anyway,
        "comment numbers used twice in an article": [
            f"article {row['article_id']} #{row['number']} ×{row['copies']}" for row in duplicates
        ],
        "numbers above the article's last_comment_number": [a.slug for a in beyond],
    }


def clean_up(args: argparse.Namespace, workdir: str, server: "Server | None" = None) -> None:
    """What every PostgreSQL bench does last: stop its server, let go of its database (dropped
    unless ``--keep-db``) and remove its working directory."""
    if server is not None:
        server.stop()
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    if args.keep_db:
        say(f"kept the database {args.db_name}")
    else:
        drop_database(args.db_name)
    shutil.rmtree(workdir, ignore_errors=True)


def say(text: str) -> None:
    print(text, flush=True)


def postgres_version() -> str:
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


# The run -----------------------------------------------------------------------------------------


def seed(results: Results, total: int, stream: str) -> None:
    from articles.models import Comment
    from articles.tree_checks import find_tree_problems

    from . import seed as seeding

    started = time.perf_counter()
    totals = seeding.Totals()
    rng = random.Random(f"{seeding.SEED}-{stream}")
    if stream == "first":
        seeding.seed_hot(rng, totals, HOT_SIZES)
    seeding.seed_background(rng, total, totals)
    seeding.vacuum_analyze()
    results.threads.update(totals.threads)
    problems = find_tree_problems()  # every tree in the database
    if problems:
        raise RuntimeError(f"the seeded trees are broken: {dict(list(problems.items())[:5])}")
    line = (
        f"seeded {totals.comments:,} comments on {totals.articles:,} articles in "
        f"{time.perf_counter() - started:.0f} s; {Comment.objects.count():,} in the database; "
        "find_tree_problems on every tree: none"
    )
    results.seeding.append(line)
    say(line)


def run(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.faults:
        from .faults import run_faults

        return run_faults(argv, args)
    if args.sqlite:
        from .on_sqlite import run_sqlite

        return run_sqlite(argv, args)
    results = Results(load_before=report.load_average(), postgres=postgres_version())
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    env = server_environment(args.db_name, workdir / "static")
    server = None
    say(f"database {args.db_name}: dropping and creating")
    recreate_database(args.db_name)
    try:
        os.environ.update(env)
        import django

        django.setup()
        # The server logs every request (its log gives the server-side timings); this process
        # only renders a few pages to count their queries.
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        seed(results, args.comments_total, "first")

        results.speed.append(("first reads", report.machine_speed()))
        server = Server(env, workdir / "gunicorn.log", workers=args.workers, threads=args.threads)
        server.wait_ready(page_path(HOT_SIZES[0], ""))
        say(f"gunicorn on {client.HOST}:{server.port}; reading")
        measure_reads(server, args, results)
        measure_compression(server, args, results)
        if args.scale_to and args.scale_to > results.stages[0]:
            seed(results, args.scale_to, f"to-{args.scale_to}")
            say("reading again")
            results.speed.append(("reads on the larger table", report.machine_speed()))
            measure_reads(server, args, results)
        results.speed.append(("writes", report.machine_speed()))
        say("writing")
        posted = measure_writes(server, args, results)
        results.integrity = check_integrity(posted)
        results.server_errors = server.error_count()
        if results.server_errors:
            say(server.log_tail())
        text = report.render(argv, args, results)
        args.output.write_text(text + sections.kept(args.output))  # the importer's section stays
        say("\n" + text)
        say(f"written to {args.output}")
    finally:
        clean_up(args, workdir, server)


if __name__ == "__main__":
    run(sys.argv[1:])
