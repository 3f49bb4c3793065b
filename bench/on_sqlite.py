"""The benchmark on SQLite, the forum's default database (``python -m bench.run --sqlite``).

Seeds a SQLite file in a temporary directory as the PostgreSQL run seeds its database (planner
statistics included: ``ANALYZE``), then measures twice, each time from a copy of the seeded
file, with gunicorn's sync workers in front: once with the comments' parent index as it was
before migration 0010 (a plain index on parent_id, which SQLite took for "the roots of article
X" once it had statistics) and once as it is now (comment_parent_idx, replies only): the article
pages, sequential replies, 8 concurrent posters, and the integrity checks over every reply
posted. In the second phase, the pages with and without gzip too. Writes
bench/RESULTS-sqlite.md.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import client
from . import compression as packing
from . import results as report
from .client import Load, Session
from .results import HOT_SIZES, Results, errors_text, markdown_table, ms, p50

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "RESULTS-sqlite.md"
# The figures on this machine: 8 posters on SQLite with statistics, and Isso on SQLite.
BASELINE_WITH_STATISTICS = 26
ISSO = 34
TARGET = 2 * ISSO

PLAIN_PARENT_INDEX = (
    'CREATE INDEX "articles_comment_parent_id_plain" ON "articles_comment" ("parent_id")'
)


@dataclass
class Phase:
    label: str
    pages: dict[str, tuple[float, float]] = field(default_factory=dict)  # path: p50, server p50
    roots_plan: str = ""
    sequential: Load = field(default_factory=Load)
    concurrent: Load = field(default_factory=Load)
    concurrent_server: list[float] = field(default_factory=list)
    integrity: dict[str, list[str]] = field(default_factory=dict)


def use_parent_index(plain: bool) -> str:
    """Give the comments the parent index of before migration 0010 (plain) or of now; refresh
    the statistics; return the plan of an article's roots query."""
    from django.db import connection

    with connection.cursor() as cursor:
        if plain:
            cursor.execute('DROP INDEX IF EXISTS "comment_parent_idx"')
            cursor.execute(PLAIN_PARENT_INDEX)
        else:
            cursor.execute('DROP INDEX IF EXISTS "articles_comment_parent_id_plain"')
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "comment_parent_idx" ON "articles_comment" '
                '("parent_id") WHERE "parent_id" IS NOT NULL'
            )
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM articles_comment "
            "WHERE article_id = 1 AND parent_id IS NULL"
        )
        return "; ".join(row[-1] for row in cursor.fetchall())


def read_pages(server, phase: Phase, requests: int, tag: str) -> None:
    from .run import page_path

    for size in HOT_SIZES:
        path = page_path(size, "")
        session = Session(server.port, f"{tag}-{size}")
        times = []
        for index in range(requests + 3):
            response = session.request("GET", path)
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            if index >= 3:
                times.append(response.seconds)
        server_side = server.timings(f"{tag}-{size}")[3:]
        phase.pages[path] = (p50(times), p50(server_side))


def write(server, phase: Phase, args, posted, tag: str) -> None:
    from .run import Poster, reply_parents, say

    slug = f"bench-hot-{HOT_SIZES[0]}"
    parents = reply_parents(slug)
    port = server.port
    client.sequential(Poster(port, slug, parents, posted, seed=f"{tag}-warm").attempt, 10)
    poster = Poster(port, slug, parents, posted, seed=f"{tag}-seq")
    phase.sequential = client.sequential(poster.attempt, args.replies)
    posters = [
        Poster(port, slug, parents, posted, seed=f"{tag}-poster-{n}") for n in range(args.posters)
    ]
    phase.concurrent = client.concurrent([p.attempt for p in posters], args.post_seconds)
    phase.concurrent_server = server.timings(f"{tag}-poster", "POST")
    say(
        f"  {phase.label}: {args.replies} sequential replies p50 "
        f"{ms(p50(phase.sequential.latencies))}; {args.posters} posters "
        f"{phase.concurrent.per_second:.1f} replies/s, errors {dict(phase.concurrent.errors)}"
    )


def render(argv, args, results: Results, phases: list[Phase], compressed) -> str:
    rows = []
    for phase in phases:
        for path, (client_p50, server_p50) in phase.pages.items():
            rows.append(
                (
                    phase.label,
                    f"{path}: p50 at c=1 ({args.page_requests} requests)",
                    f"{ms(client_p50)} (server {ms(server_p50)})",
                    "—",
                )
            )
        seq, many = phase.sequential, phase.concurrent
        rows += [
            (
                phase.label,
                f"Sequential replies ({args.replies}): p50 / p99",
                f"{ms(p50(seq.latencies))} / {ms(report.p99(seq.latencies))}; "
                f"errors: {errors_text(seq.errors)}",
                "—",
            ),
            (
                phase.label,
                f"{args.posters} concurrent posters, {args.post_seconds:g} s: replies/s",
                f"{many.per_second:.1f}/s ({len(many.latencies)} replies; errors: "
                f"{errors_text(many.errors)}); p50 {ms(p50(many.latencies))}, server "
                f"{ms(p50(phase.concurrent_server))}",
                f"≥ {TARGET}/s (twice Isso's {ISSO}/s; before: {BASELINE_WITH_STATISTICS}/s)",
            ),
            (phase.label, "plan of an article's roots count", f"`{phase.roots_plan}`", "—"),
        ]
    after = phases[-1].concurrent.per_second
    integrity: dict[str, list[str]] = {}
    for phase in phases:
        for check, found in phase.integrity.items():
            integrity.setdefault(check, []).extend(f"{phase.label}: {item}" for item in found)
    problems = sum(len(found) for found in integrity.values())
    checks = "; ".join(f"{check}: {len(found)}" for check, found in integrity.items())
    minutes = (time.perf_counter() - results.started) / 60
    command = " ".join([".venv/bin/python -m bench.run", *argv])
    details = [
        f"- {check}: " + "; ".join(found[:5]) + (" …" if len(found) > 5 else "")
        for check, found in integrity.items()
        if found
    ]
    sections = [
        "# Benchmark results on SQLite",
        f"`{command}` took {minutes:.1f} minutes. SQLite {results.postgres}, WAL, synchronous "
        "NORMAL, every transaction IMMEDIATE (forum/settings.py); the database has planner "
        "statistics (ANALYZE) in both phases. Latencies are the client's, from connecting to "
        "the last byte; the server's own time (its request log) is in brackets.",
        markdown_table(("phase", "measurement", "measured", "target"), rows),
        f"8 posters after the fix: {after:.1f} replies/s against the target of {TARGET}/s: "
        + ("**met**" if after >= TARGET else "**not met**")
        + f". Integrity after both phases: {problems} problems ({checks}).",
        *(["## Integrity problems\n\n" + "\n".join(details)] if details else []),
        "## Pages with and without compression (after, on the seeded database)\n\n"
        + markdown_table(packing.HEADER, [c.row() for c in compressed]),
        "## Data set\n\n" + "\n".join(f"- {line}" for line in results.seeding),
        "## Machine\n\n" + markdown_table(("", ""), report.machine_facts(args, results)),
    ]
    return "\n\n".join(sections) + "\n"


def run_sqlite(argv: list[str], args: argparse.Namespace) -> None:
    import sqlite3

    from .run import Server, check_integrity, page_path, say, seed, server_environment

    results = Results(load_before=report.load_average(), postgres=sqlite3.sqlite_version)
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-sqlite-"))
    env = server_environment(args.db_name, workdir / "static")
    database = workdir / "forum-bench.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{database}"
    server = None
    try:
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        seed(results, args.comments_total, "first")
        from django.db import connections

        # Each phase starts from the seeded database (its replies would grow the pages).
        connections.close_all()
        seeded = database.with_name("seeded.sqlite3")
        shutil.copyfile(database, seeded)
        phases, compressed = [], []
        for plain, label in ((True, "before (plain parent_id index)"), (False, "after")):
            connections.close_all()
            for leftover in (f"{database}-wal", f"{database}-shm"):
                Path(leftover).unlink(missing_ok=True)
            shutil.copyfile(seeded, database)
            phase = Phase(label=label, roots_plan=use_parent_index(plain))
            posted = []
            results.speed.append((label, report.machine_speed()))
            tag = "before" if plain else "after"
            server = Server(
                env, workdir / f"gunicorn-{tag}.log", workers=args.workers, threads=args.threads
            )
            server.wait_ready(page_path(HOT_SIZES[0], ""))
            read_pages(server, phase, args.page_requests, f"{tag}-read")
            if not plain:
                for size in HOT_SIZES:
                    for query, count in (("", args.page_requests), ("?all=1", 5)):
                        path = page_path(size, query)
                        gz_tag = f"gz{size}{'all' if query else ''}"
                        compressed.append(packing.measure(server, path, count, gz_tag))
                        say(f"  {path}: {compressed[-1].row()[1:]}")
            write(server, phase, args, posted, tag)
            server.stop()
            server = None
            phase.integrity = check_integrity(posted)
            phases.append(phase)
        text = render(argv, args, results, phases, compressed)
        args.output.write_text(text)
        say("\n" + text)
        say(f"written to {args.output}")
    finally:
        if server is not None:
            server.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
