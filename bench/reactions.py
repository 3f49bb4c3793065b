"""Benchmark reactions on PostgreSQL behind gunicorn: a tap, and the hot thread's page while
readers tap away at it.

    .venv/bin/python -m bench.reactions [--size 1000] [--taps 300] [--seconds 20] [--tap-rate 20]
        [--keep-db]

Creates (drops and recreates) its own database (``forum_bench_reactions``), seeds one hot article
(``bench-hot-SIZE``, bench.seed), serves it with gunicorn (2 workers) and measures over HTTP:

1. sequential taps (agree, insightful, disagree in turn, so that they add, change and withdraw)
   on the comments of the article's largest thread on its default page: p50 as the client and
   as the server's request log see it (target: under 5 ms);
2. the article's default page (oldest first, page 1) read sequentially, first with nobody
   reacting, then while ``--clients`` (8) readers, each a browser in a process of its own, tap
   the comments of that thread continuously, ``--tap-rate`` (20) times a second each: p50
   (target: under 10 ms) and how many taps went through; then again while they tap flat out,
   each tap sent as soon as the last one is answered (no target: see bench/README.md);
3. the page's SQL queries, counted in this process (Django's test client) before and during the
   taps: the same number, whatever the counts.

Prints the figures and writes them to ``--output`` (default bench/REACTIONS_RESULTS.md).
"""

import argparse
import logging
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import client, sections
from .client import Failed, Session, hidden_input
from .results import load_average, machine_speed, ms, p50
from .run import (
    Server,
    clean_up,
    in_process_page,
    postgres_version,
    recreate_database,
    say,
    server_environment,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "REACTIONS_RESULTS.md"
KINDS = ("agree", "insightful", "disagree")
TARGET_TAP_MS = 5
TARGET_PAGE_MS = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reactions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", type=int, default=1_000, help="comments of the hot article")
    parser.add_argument("--taps", type=int, default=300, help="sequential taps")
    parser.add_argument("--page-requests", type=int, default=150, help="page reads per phase")
    parser.add_argument("--clients", type=int, default=8, help="readers tapping at once")
    parser.add_argument("--seconds", type=float, default=20, help="at most, under the taps")
    parser.add_argument(
        "--tap-rate", type=float, default=20, help="taps a second of each reader, paced"
    )
    parser.add_argument("--db-name", default="forum_bench_reactions", help="dropped and recreated")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def seed(size: int) -> str:
    from articles.models import Comment

    from . import seed as seeding

    started = time.perf_counter()
    totals = seeding.Totals()
    seeding.seed_hot(random.Random(f"{seeding.SEED}-reactions"), totals, (size,))
    seeding.vacuum_analyze()
    return (
        f"seeded {Comment.objects.count():,} comments on bench-hot-{size} "
        f"in {time.perf_counter() - started:.0f} s"
    )


def hot_thread(slug: str) -> tuple[int, list[int]]:
    """The root number and the published comment numbers of the largest thread on the page."""
    from articles.models import Comment
    from articles.threads import MAX_DEPTH
    from articles.views import THREADS_PER_PAGE

    roots = Comment.objects.filter(article__slug=slug, parent=None).order_by("number")
    root = max(roots[:THREADS_PER_PAGE], key=lambda c: c.rght - c.lft)
    numbers = list(
        Comment.objects.filter(
            tree_id=root.tree_id, status="published", level__lt=MAX_DEPTH
        ).values_list("number", flat=True)
    )
    return root.number, numbers


@dataclass
class Phase:
    """The page read while readers tap: its reads, the server's times of them, the taps."""

    pages: client.Load = field(default_factory=client.Load)
    server: list[float] = field(default_factory=list)
    taps: client.Load = field(default_factory=client.Load)
    queries: int | str = "-"


class Tapper:
    """One reader's browser tapping reaction buttons of the hot thread."""

    def __init__(self, port: int, tag: str, page: str, numbers: list[int], seed: int) -> None:
        self.session = Session(port, tag)
        self.page = page
        self.numbers = numbers
        self.rng = random.Random(seed)
        response = self.session.request("GET", page)
        if response.status != 200:
            raise RuntimeError(f"GET {page} answered {response.status}")
        # The page's one reaction form holds the CSRF token (reactions.buttons.form_html).
        self.token = hidden_input(response.body.decode(), "csrfmiddlewaretoken")

    def tap(self) -> float:
        number = self.rng.choice(self.numbers)
        response = self.session.request(
            "POST",
            f"{self.page}c/{number}/react/",
            {"kind": self.rng.choice(KINDS), "csrfmiddlewaretoken": self.token},
            {"Accept": "application/json"},
        )
        if response.status != 200:
            raise Failed(f"HTTP {response.status}")
        return response.seconds


def read_page(session: Session, path: str) -> float:
    response = session.request("GET", path)
    if response.status != 200:
        raise Failed(f"HTTP {response.status}")
    return response.seconds


def in_process_taps(page: str, numbers: list[int], count: int) -> list[float]:
    """Times of taps through Django's test client in this process (no HTTP, no gunicorn)."""
    from django.test import Client

    browser = Client(HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https")
    rng = random.Random(7)
    times = []
    for n in range(count + 5):
        started = time.perf_counter()
        response = browser.post(
            f"{page}c/{rng.choice(numbers)}/react/",
            {"kind": rng.choice(KINDS)},
            HTTP_ACCEPT="application/json",
        )
        if response.status_code != 200:
            raise RuntimeError(f"in-process tap answered {response.status_code}")
        if n >= 5:
            times.append(time.perf_counter() - started)
    return times


def in_process_fill_cost(page: str, rounds: int) -> tuple[float, float]:
    """p50 of the page in this process with the reaction buttons filled in, and with the
    filling left out (the slots left empty), in alternating rounds: what reactions add."""
    from django.test import Client

    from articles import views
    from reactions import buttons

    browser = Client(HTTP_HOST=client.HOST, HTTP_X_FORWARDED_PROTO="https")
    times: dict[bool, list[float]] = {True: [], False: []}
    filled = buttons.fill_threads
    try:
        for _ in range(rounds):
            for with_reactions in (True, False):
                views.reaction_buttons.fill_threads = (
                    filled if with_reactions else lambda request, html, **kwargs: html
                )
                browser.get(page)
                started = time.perf_counter()
                browser.get(page)
                times[with_reactions].append(time.perf_counter() - started)
    finally:
        views.reaction_buttons.fill_threads = filled
    return p50(times[True]), p50(times[False])


def run(argv: list[str]) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-reactions-"))
    env = server_environment(args.db_name, workdir / "static")
    # Every client taps from 127.0.0.1: the benchmark does not test the limits.
    env.update(
        FORUM_REACTION_BURST_LIMIT="1000000000",
        FORUM_REACTION_HOURLY_LIMIT="1000000000",
        FORUM_REACTIONS_PER_ADDRESS="1000000000",
        DJANGO_REQUEST_LOG="1",
    )
    lines = [
        "# Reactions benchmark",
        "",
        f"`python -m bench.reactions {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"PostgreSQL {postgres_version()}; gunicorn, 2 sync workers; "
        f"load average before: {load_average()}",
        "",
        f"On 2 cores shared by the server, PostgreSQL and the clients. The page's target is read "
        f"while {args.clients} readers tap {args.tap_rate:g} times a second each; tapping flat "
        "out, they keep both gunicorn workers busy and a page read waits behind their taps for "
        "one (compare its p50 with the server's own; bench/README.md).",
    ]
    say(f"database {args.db_name}: dropping and creating")
    recreate_database(args.db_name)
    server = None
    try:
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        line = seed(args.size)
        say(line)
        lines += ["", line, f"machine speed (fixed loop, bench/README.md): {ms(machine_speed())}"]
        slug = f"bench-hot-{args.size}"
        page = f"/articles/{slug}/"
        root, numbers = hot_thread(slug)
        lines.append(f"hot thread: #{root}, {len(numbers)} published comments on the page")

        server = Server(env, workdir / "gunicorn.log", workers=2, threads=1)
        server.wait_ready(page)
        client.sequential(lambda: read_page(Session(server.port, "warm-up"), page), 10)

        say("taps, one after another")
        tapper = Tapper(server.port, "tap", page, numbers, 1)
        client.sequential(tapper.tap, 10)  # warm-up
        taps = client.sequential(tapper.tap, args.taps)
        tap_server = server.timings("tap", "POST")[10:]

        say("the page, nobody tapping")
        sql_quiet, shown, kilobytes = in_process_page(page)
        reader = Session(server.port, "quiet")
        quiet = client.sequential(lambda: read_page(reader, page), args.page_requests)
        quiet_server = server.timings("quiet")

        # The tappers are forked: no database connection of this process goes with them.
        def under_taps(tag: str, per_second: float | None) -> Phase:
            tappers = [
                Tapper(server.port, f"tap{n}-{tag}", page, numbers, 100 + n)
                for n in range(args.clients)
            ]
            reader = Session(server.port, tag)
            phase = Phase()

            def tapping() -> None:
                phase.taps = client.concurrent_processes(
                    [t.tap for t in tappers], args.seconds, per_second=per_second
                )

            connections.close_all()
            background = threading.Thread(target=tapping)
            background.start()
            time.sleep(1)  # the tapping under way
            phase.queries = in_process_page(page, renders=3)[0].queries
            started = time.perf_counter()
            while len(phase.pages.latencies) < args.page_requests and background.is_alive():
                client._run(lambda: read_page(reader, page), phase.pages, threading.Lock())
            phase.pages.seconds = time.perf_counter() - started
            background.join()
            phase.server = server.timings(tag)
            return phase

        say(f"the page, {args.clients} readers tapping {args.tap_rate:g} times a second each")
        paced = under_taps("paced", args.tap_rate)
        say(f"the page, {args.clients} readers tapping as fast as they are answered")
        flat_out = under_taps("busy", None)
        say("in process: taps, and the page with and without its reaction buttons")
        process_taps = in_process_taps(page, numbers, 200)
        with_buttons, without_buttons = in_process_fill_cost(page, 30)

        def row(label: str, load: client.Load, server_times: list[float], target: str) -> str:
            errors = ", ".join(f"{k}: {v}" for k, v in load.errors.items()) or "none"
            return (
                f"| {label} | {len(load.latencies)} | {ms(p50(load.latencies))} | "
                f"{ms(client.percentile(load.latencies, 0.99))} | "
                f"{ms(p50(server_times)) if server_times else '-'} | {errors} | {target} |"
            )

        def taps_text(phase: Phase) -> str:
            taps = phase.taps
            return (
                f"{len(taps.latencies)} in {taps.seconds:.1f} s ({taps.per_second:.0f}/s), "
                f"p50 {ms(p50(taps.latencies))}; errors: {dict(taps.errors) or 'none'}"
            )

        lines += [
            "",
            f"The page: {shown} comments, {kilobytes:.0f} KB (uncompressed).",
            "",
            "| what | requests | p50 | p99 | server p50 | errors | target p50 |",
            "|---|---|---|---|---|---|---|",
            row("a tap (sequential)", taps, tap_server, f"< {TARGET_TAP_MS} ms"),
            row("default page, nobody tapping", quiet, quiet_server, "-"),
            row(
                f"default page, {args.clients} readers tapping {args.tap_rate:g}/s each",
                paced.pages,
                paced.server,
                f"< {TARGET_PAGE_MS} ms",
            ),
            row(
                f"default page, {args.clients} readers tapping flat out",
                flat_out.pages,
                flat_out.server,
                "-",
            ),
            "",
            f"Taps meanwhile, {args.tap_rate:g}/s each: {taps_text(paced)}. Flat out: "
            f"{taps_text(flat_out)}.",
            "",
            f"SQL queries of the page (in process): {sql_quiet.queries} with nobody tapping, "
            f"{paced.queries} and {flat_out.queries} while they tap.",
            "",
            "In this process (Django's test client; no HTTP, no gunicorn): a tap "
            f"{ms(p50(process_taps))} p50 ({len(process_taps)} taps); the page "
            f"{ms(with_buttons)} p50 with its reaction buttons filled in, {ms(without_buttons)} "
            "with the slots left empty (30 alternating rounds).",
            "",
            f"load average after: {load_average()}; server tracebacks: {server.error_count()}",
        ]
        text = "\n".join(lines) + "\n"
        sections.write_report(text, "Reactions", output=args.output, default=DEFAULT_OUTPUT)
        say("\n" + text)
        say(f"written to {args.output}")
    finally:
        clean_up(args, workdir, server)


if __name__ == "__main__":
    run(sys.argv[1:])
