"""Benchmark search on PostgreSQL: two- and four-character terms, and what the index costs a reply.

    .venv/bin/python -m bench.search [--comments-total 50000] [--million] [--keep-db]

Creates (drops and recreates) its own database (``forum_bench_search``), seeds it with bench.seed,
then measures in this process, through Django's test client and the services:

- the results page (``/search/?q=…``: the query, snippets and template) for a two-character and
  a four-character Japanese term that many comments hold, and for one that no comment holds
  (the trigram index cannot narrow a two-character term: the worst case of the LIKE fallback);
- sequential replies (``comment_create``) to the 1,000-comment article with the index's triggers
  in place and with them dropped, in alternating rounds, so that both see the same machine.

Prints the figures and writes them to ``--output`` (default bench/SEARCH_RESULTS.md).
"""

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from . import client, sections
from .results import HOT_SIZES, load_average, machine_speed, ms, p50
from .run import (
    clean_up,
    postgres_version,
    recreate_database,
    say,
    server_environment,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "SEARCH_RESULTS.md"
# Held by many seeded comments (bench.seed.JA_PHRASES), and by none.
TERMS = (
    ("2 characters, common", "中国"),
    ("4 characters, common", "半導体の"),
    ("2 characters, absent", "北風"),
    ("4 characters, absent", "北風注意"),
    ("2 terms, common", "制裁 インド"),
    ("1 character (newest comments only)", "鬱"),
)
TARGET_SEARCH_MS = 50
TARGET_REPLY_SLOWDOWN = 0.10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--comments-total", type=int, default=50_000, metavar="N")
    parser.add_argument("--million", action="store_const", const=1_000_000, dest="comments_total")
    parser.add_argument("--db-name", default="forum_bench_search", help="dropped and recreated")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    parser.add_argument("--searches", type=int, default=30, help="requests per term")
    parser.add_argument("--replies", type=int, default=200, help="replies with and without")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of with/without")
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
        f"in {time.perf_counter() - started:.0f} s (index kept by its triggers meanwhile)"
    )


def measure_search(q: str, repeats: int) -> tuple[float, float, int]:
    """p50 and worst time of the results page for ``q``, and how many comments it showed."""
    from django.test import Client

    browser = Client(HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https")
    path = "/search/?" + urlencode({"q": q})
    for _ in range(3):
        browser.get(path)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = browser.get(path)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    shown = response.content.decode().count('class="search-result"')
    return p50(times), max(times), shown


def measure_replies(total: int, rounds: int) -> dict[bool, list[float]]:
    """Times of sequential replies with the index's triggers (True) and without (False).

    The replies are comments as the seed writes them (50–400 characters, each some hundreds of
    trigrams once doubled), not a short phrase repeated: what the index takes for each is what
    costs. The pending list they leave is not moved meanwhile (see ``flush``).
    """
    from django.db import connection

    from articles import services
    from articles.models import Article, Comment
    from search import index

    from . import seed as seeding

    article = Article.objects.get(slug=f"bench-hot-{HOT_SIZES[0]}")
    parents = list(Comment.objects.filter(article=article, status="published"))
    rng = random.Random(1)
    times: dict[bool, list[float]] = {True: [], False: []}
    per_round = max(1, total // rounds)
    try:
        for _ in range(rounds):
            for indexed in (True, False):
                if indexed:
                    index.install(connection)
                else:
                    index.uninstall(connection)
                for number in range(per_round + 2):
                    parent = rng.choice(parents)
                    started = time.perf_counter()
                    body = seeding.body_text(rng)
                    services.comment_create(article=article, parent=parent, body=body)
                    if number >= 2:  # the first two warm up after the switch
                        times[indexed].append(time.perf_counter() - started)
    finally:
        index.install(connection)
    return times


def pending_pages() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        cursor.execute("SELECT pending_pages FROM pgstatginindex('search_commenttext_trgm')")
        return cursor.fetchone()[0]


def flush() -> tuple[int, float]:
    """What the background job (``manage.py search_flush``) does: pages moved, and seconds."""
    from django.db import connection

    from search import index

    started = time.perf_counter()
    pages = index.flush_pending(connection)
    return pages, time.perf_counter() - started


def run(argv: list[str]) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-search-"))
    env = server_environment(args.db_name, workdir / "static")
    # One client searching hundreds of times a minute: the limit per address would stop it.
    env["FORUM_SEARCH_LIMIT"] = str(10**9)
    lines = [
        "# Search benchmark",
        "",
        f"`python -m bench.search {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"PostgreSQL {postgres_version()}; load average before: {load_average()}",
    ]
    say(f"database {args.db_name}: dropping and creating")
    recreate_database(args.db_name)
    try:
        os.environ.update(env)
        import django

        django.setup()
        # The request log would print a line per search; the figures are timed here.
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        line = seed(args.comments_total)
        say(line)
        speed = ms(machine_speed())
        lines += [line, "", f"machine speed (fixed loop, bench/README.md): {speed}", ""]
        lines += [
            "| query | p50 | worst | comments shown | target p50 |",
            "|---|---|---|---|---|",
        ]
        for label, q in TERMS:
            median, worst, shown = measure_search(q, args.searches)
            row = (
                f"| {label}: `{q}` | {ms(median)} | {ms(worst)} | {shown} "
                f"| < {TARGET_SEARCH_MS} ms |"
            )
            say(row)
            lines.append(row)
        say("replying")
        times = measure_replies(args.replies, args.rounds)
        with_index, without = p50(times[True]), p50(times[False])
        slowdown = with_index / without - 1
        left = pending_pages()
        again = [(label, q, *measure_search(q, args.searches)) for label, q in TERMS[:3]]
        moved, took = flush()
        lines += [
            "",
            f"Sequential replies to bench-hot-{HOT_SIZES[0]} (comment_create in process, "
            f"{len(times[True])} with the index's triggers and {len(times[False])} without, in "
            f"{args.rounds} alternating rounds):",
            "",
            "| with the index | without | difference | target |",
            "|---|---|---|---|",
            f"| {ms(with_index)} | {ms(without)} | {slowdown:+.1%} | "
            f"at most +{TARGET_REPLY_SLOWDOWN:.0%} |",
            "",
            "| replies | mean | p99 | worst |",
            "|---|---|---|---|",
            *(
                f"| {'with' if indexed else 'without'} the index | "
                f"{ms(sum(times[indexed]) / len(times[indexed]))} | "
                f"{ms(sorted(times[indexed])[int(len(times[indexed]) * 0.99)])} | "
                f"{ms(max(times[indexed]))} |"
                for indexed in (True, False)
            ),
            "",
            f"The replies left {left:,} pages in the index's pending list (none was moved by a "
            "reply). Searches with that list in place:",
            "",
            "| query | p50 | worst | comments shown |",
            "|---|---|---|---|",
            *(
                f"| {label}: `{q}` | {ms(median)} | {ms(worst)} | {shown} |"
                for label, q, median, worst, shown in again
            ),
            "",
            f"Then `manage.py search_flush` (the background job) moved {moved:,} pages in "
            f"{took:.2f} s.",
            "",
            f"load average after: {load_average()}",
        ]
        text = "\n".join(lines) + "\n"
        sections.write_report(text, "Search", output=args.output, default=DEFAULT_OUTPUT)
        say("\n" + text)
        say(f"written to {args.output}")
    finally:
        clean_up(args, workdir)


if __name__ == "__main__":
    run(sys.argv[1:])
