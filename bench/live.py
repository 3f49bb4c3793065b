"""Benchmark the endpoint open article pages poll for new comments, on PostgreSQL behind gunicorn.

    .venv/bin/python -m bench.live [--comments-total 20000] [--keep-db]

Creates (drops and recreates) its own database (``forum_bench_live``), seeds it with bench.seed,
serves it with gunicorn as bench.run does, and measures over HTTP, on each hot article:

- the poll when nothing is new: ``If-None-Match`` with the ETag of the last answer, a 304;
- the poll when comments came: 5, and 50, comments numbered above ``after``, a 200 with their
  HTML;
- the article's default page, for scale: what a reload would cost instead.

Each: p50 and p99 of sequential requests (the server's own p50 from its request log), then
requests/s with ``--concurrency`` clients for ``--seconds``; and the SQL queries of one request,
counted in this process. Prints the figures and writes them to ``--output`` (default
bench/LIVE_RESULTS.md).
"""

import argparse
import gzip
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from . import client, sections
from .client import Failed, Session
from .results import HOT_SIZES, load_average, machine_speed, ms, p50
from .run import (
    Server,
    clean_up,
    postgres_version,
    recreate_database,
    say,
    server_environment,
    sql_counted,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "LIVE_RESULTS.md"
# A reader's page asks every 20 s (FORUM_LIVE_POLL_SECONDS) while comments come, less often
# while none do, and not at all while its tab is hidden.
POLL_SECONDS = 20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--comments-total", type=int, default=20_000, metavar="N")
    parser.add_argument("--db-name", default="forum_bench_live", help="dropped and recreated")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per case")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    parser.add_argument("--seconds", type=float, default=10, help="of concurrent requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def seed(total: int) -> str:
    from articles.models import Comment

    from . import seed as seeding

    started = time.perf_counter()
    totals = seeding.Totals()
    rng = random.Random(f"{seeding.SEED}-first")
    seeding.seed_hot(rng, totals, HOT_SIZES)
    seeding.seed_background(rng, total, totals)
    seeding.vacuum_analyze()
    return (
        f"seeded {Comment.objects.count():,} comments on {totals.articles:,} articles "
        f"in {time.perf_counter() - started:.0f} s"
    )


def cases(size: int) -> list[tuple[str, str, int, bool]]:
    """(label, path, expected status, conditional) of each request measured on an article."""
    from articles.models import Article

    article = Article.objects.get(slug=f"bench-hot-{size}")
    last = article.last_comment_number
    poll = f"/articles/{article.slug}/new-comments/?after="
    return [
        ("poll, nothing new (304)", f"{poll}{last}", 304, True),
        ("poll, 5 new (200)", f"{poll}{last - 5}", 200, False),
        ("poll, 50 new (200)", f"{poll}{last - 50}", 200, False),
        ("the article's default page (200)", f"/articles/{article.slug}/", 200, False),
    ]


def first_answer(port: int, path: str) -> tuple[str, int]:
    """The ETag of the path's answer, and how many comments it carries (its check)."""
    response = Session(port, "first").request(
        "GET", path, extra_headers={"Accept-Encoding": "gzip"}
    )
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    body = response.body
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    carried = len(json.loads(body)["comments"]) if "/new-comments/" in path else 0
    return response.headers.get("ETag", ""), carried


def measure(server: Server, path: str, status: int, etag: str, tag: str, args) -> dict:
    # As a browser asks: compressed when it may be, with the ETag of its last answer if it has one.
    headers = {"Accept-Encoding": "gzip", **({"If-None-Match": etag} if etag else {})}

    def read(session: Session) -> client.Attempt:
        def attempt() -> float:
            response = session.request("GET", path, extra_headers=headers)
            if response.status != status:
                raise Failed(f"HTTP {response.status}")
            return response.seconds

        return attempt

    port = server.port
    client.sequential(read(Session(port, "warm-up")), 10)
    single = client.sequential(read(Session(port, f"{tag}-c1")), args.requests)
    many = client.concurrent(
        [read(Session(port, f"{tag}-cn")) for _ in range(args.concurrency)], args.seconds
    )
    if not single.latencies:
        raise RuntimeError(f"every request to {path} failed: {dict(single.errors)}")
    return {
        "p50": client.percentile(single.latencies, 0.50),
        "p99": client.percentile(single.latencies, 0.99),
        "server_p50": p50(server.timings(f"{tag}-c1")),
        "per_second": many.per_second,
        "errors": sum(single.errors.values()) + sum(many.errors.values()),
        "queries": queries_of(path, etag, status),
    }


def queries_of(path: str, etag: str, status: int) -> int:
    """The SQL queries of one request, counted in this process (BEGIN/COMMIT included)."""
    from django.test import Client

    browser = Client(
        HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_LANGUAGE="ja"
    )
    headers = {"If-None-Match": etag} if etag else {}
    browser.get(path, headers=headers)  # first use: templates and translations load
    with sql_counted() as use:
        response = browser.get(path, headers=headers)
    if response.status_code != status:
        raise RuntimeError(f"in-process GET {path} answered {response.status_code}")
    return use.queries


def run(argv: list[str]) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-live-"))
    env = server_environment(args.db_name, workdir / "static")
    server = None
    lines = [
        "# New comments as they arrive: the poll's benchmark",
        "",
        f"`python -m bench.live {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"PostgreSQL {postgres_version()}; gunicorn, {args.workers} sync workers; "
        f"load average before: {load_average()}",
    ]
    say(f"database {args.db_name}: dropping and creating")
    recreate_database(args.db_name)
    try:
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        line = seed(args.comments_total)
        say(line)
        lines += [line, "", f"machine speed (fixed loop, bench/README.md): {ms(machine_speed())}"]
        server = Server(env, workdir / "gunicorn.log", workers=args.workers, threads=1)
        server.wait_ready(f"/articles/bench-hot-{HOT_SIZES[0]}/")
        say(f"gunicorn on {client.HOST}:{server.port}")
        lines += [
            "",
            f"Sequential: p50/p99 of {args.requests} requests (the server's own p50 from its "
            f"request log). Concurrent: {args.concurrency} clients for {args.seconds:.0f} s, "
            "on the same 2 cores as the server and PostgreSQL. Queries: one request in process.",
            "",
            "| article | request | p50 | p99 | requests/s | errors | SQL queries |",
            "|---|---|---|---|---|---|---|",
        ]
        rates: dict[tuple[int, str], float] = {}
        for size in HOT_SIZES:
            for number, (label, path, status, conditional) in enumerate(cases(size)):
                etag, carried = first_answer(server.port, path)
                if "new (200)" in label:  # the seed hid or removed a few: say how many came
                    label = label.replace("new", f"new, {carried} sent")
                figures = measure(
                    server, path, status, etag if conditional else "", f"live-{size}-{number}", args
                )
                rates[(size, number)] = figures["per_second"]
                row = (
                    f"| bench-hot-{size} | {label} | {ms(figures['p50'])} "
                    f"(server {ms(figures['server_p50'])}) | {ms(figures['p99'])} "
                    f"| {figures['per_second']:.0f}/s | {figures['errors']} "
                    f"| {figures['queries']} |"
                )
                say(row)
                lines.append(row)
        quiet = rates[(HOT_SIZES[0], 0)]
        lines += [
            "",
            f"At one poll every {POLL_SECONDS} s, {quiet:.0f} polls/s are the quiet polls of about "
            f"{quiet * POLL_SECONDS:,.0f} open pages (fewer while comments come: each then asks "
            "once for them; more while nothing comes, as polls space out up to 2 minutes; none "
            "from hidden tabs).",
            "",
            f"load average after: {load_average()}; server errors in its log: "
            f"{server.error_count()}",
        ]
        text = "\n".join(lines) + "\n"
        sections.write_report(
            text, "New comments as they arrive", output=args.output, default=DEFAULT_OUTPUT
        )
        say("\n" + text)
        say(f"written to {args.output}")
    finally:
        clean_up(args, workdir, server)


if __name__ == "__main__":
    run(sys.argv[1:])
