"""Import and export speed: a generated WordPress export through import_wordpress and back out.

    .venv/bin/python -m bench.importers                      # 1,000 posts, 100,000 comments
    .venv/bin/python -m bench.importers --posts 50 --comments 5000 --database sqlite

Writes a WXR 1.2 file whose threads are shaped like bench.seed's (30% top-level comments, replies
mostly to what was just posted, at most 10 levels deep), then in a fresh database (a temporary
SQLite file, or the PostgreSQL database ``--postgres-url`` names, which is emptied first) runs
``import_wordpress`` and ``export_wordpress`` each in a process of its own, and prints their wall
times and peak memory (the child's maximum resident set size, from ``os.wait4``). Not part of
the test suite.

At the issue's scale (the defaults) the figures also go into ``bench/RESULTS.md``, in a section of
their own per database (``## Import and export: PostgreSQL``), replaced by the next run on that
database and kept by ``bench.run`` (bench/sections.py); ``--output`` names another file.
"""

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import sections

ROOT = Path(__file__).resolve().parent.parent
SEED = 20_241_205
ISSUE_SCALE = (1000, 100_000)  # posts, comments
IMPORT_TARGET_SECONDS = 60
MEMORY_TARGET_MB = 300
RESULTS = ROOT / "bench" / "RESULTS.md"
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
TOP_LEVEL_SHARE = 0.30
RECENCY = 20
MAX_LEVEL = 9
WORDS = [
    "防衛",
    "予算",
    "議論",
    "政府",
    "国会",
    "経済",
    "外交",
    "安全",
    "保障",
    "世論",
    "the",
    "of",
    "and",
    "😀",
    "Ελλάδα",
]


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_wxr(path: Path, *, posts: int, comments: int) -> None:
    """A WXR file of ``posts`` published posts sharing ``comments`` comments."""
    rng = random.Random(SEED)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    per_post = [comments // posts + (1 if n < comments % posts else 0) for n in range(posts)]
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>bench</title><link>https://bench.example</link>"
            "<wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_site_url>https://bench.example</wp:base_site_url>\n"
        )
        for post in range(1, posts + 1):
            published = start + timedelta(hours=post)
            paragraphs = "".join(f"<p>{' '.join(rng.choices(WORDS, k=40))}</p>\n" for _ in range(8))
            out.write(
                f"<item><title>記事 {post}</title><link>https://bench.example/{post}/</link>"
                f"<content:encoded>{_cdata(paragraphs)}</content:encoded>"
                f"<excerpt:encoded>{_cdata('要約 ' + str(post))}</excerpt:encoded>"
                f"<wp:post_id>{post}</wp:post_id>"
                f"<wp:post_date_gmt>{published:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
                f"<wp:comment_status>open</wp:comment_status>"
                f"<wp:post_name>post-{post}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type>\n"
            )
            levels: list[int] = []
            ids: list[int] = []
            for n in range(per_post[post - 1]):
                comment_id += 1
                parent, level = 0, 0
                if n and rng.random() > TOP_LEVEL_SHARE:
                    back = min(n, 1 + int(rng.expovariate(1 / RECENCY)))
                    index = n - back
                    while levels[index] >= MAX_LEVEL:
                        index -= 1
                    if index >= 0:
                        parent, level = ids[index], levels[index] + 1
                ids.append(comment_id)
                levels.append(level)
                body = " ".join(rng.choices(WORDS, k=rng.randint(5, 60)))
                when = published + timedelta(seconds=30 * (n + 1))
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{_cdata('読者' + str(comment_id % 500))}"
                    "</wp:comment_author>"
                    f"<wp:comment_author_IP>198.51.100.{comment_id % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:comment_date_gmt>"
                    f"<wp:comment_content>{_cdata('<p>' + body + '</p>')}</wp:comment_content>"
                    "<wp:comment_approved>1</wp:comment_approved>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a manage.py command; return its wall time (s) and peak resident memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports kilobytes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.importers", description=__doc__)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default="postgres://postgres@127.0.0.1:5432/forum_bench_import",
        help="a database this may empty (dropped tables, then migrated)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the results file to write this database's section into (default: bench/RESULTS.md, "
        "at the issue's scale only)",
    )
    options = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    load_before = load_average()
    with tempfile.TemporaryDirectory() as directory:
        wxr = Path(directory) / "export.xml"
        started = time.perf_counter()
        write_wxr(wxr, posts=options.posts, comments=options.comments)
        generated = time.perf_counter() - started
        env = dict(os.environ)
        if options.database == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
        else:
            env["DATABASE_URL"] = options.postgres_url
            subprocess.run(
                [sys.executable, "manage.py", "flush", "--no-input"], cwd=ROOT, env=env, check=False
            )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        size = wxr.stat().st_size / 2**20
        imported = run_measured(["import_wordpress", str(wxr)], env)
        again = run_measured(["import_wordpress", str(wxr)], env)
        exported = run_measured(["export_wordpress", "--output", f"{directory}/out.xml"], env)
        checked = subprocess.run(
            [sys.executable, "manage.py", "check_comment_trees"], cwd=ROOT, env=env, check=False
        )
    load = f"{load_before} / {load_average()}"
    rows = [
        ("import_wordpress (empty database)", imported),
        ("import_wordpress again (nothing changes)", again),
        ("export_wordpress", exported),
    ]
    text = report(
        options, argv, size, generated, rows, trees_sound=checked.returncode == 0, load=load
    )
    print(text)
    output = options.output
    if output is None and (options.posts, options.comments) == ISSUE_SCALE:
        output = RESULTS
    if output is not None:
        sections.replace(output, f"{sections.KEPT[0]}: {DATABASE_NAMES[options.database]}", text)
        print(f"written to {output}")


def report(
    options, argv, size: float, generated: float, rows, *, trees_sound: bool, load: str
) -> str:
    """The section of RESULTS.md: the figures against the issue's targets, and the conditions."""
    command = " ".join([".venv/bin/python -m bench.importers", *(argv or [])])
    lines = [
        f"`{command}` on {dt.date.today():%Y-%m-%d}: {options.posts:,} posts, "
        f"{options.comments:,} comments, a {size:.1f} MB WXR file "
        f"(generated in {generated:.1f} s). "
        f"Each command in a process of its own, wall time and the process's peak resident memory; "
        f"load average (1, 5, 15 min) before and after: {load}. "
        f"Comment trees afterwards: {'all sound' if trees_sound else '**BROKEN**'}.",
        "",
        "| measurement | measured | peak memory | target | met? |",
        "|---|---|---|---|---|",
    ]
    for label, (seconds, megabytes) in rows:
        target, met = "—", "—"
        if label.endswith("(empty database)") and (options.posts, options.comments) == ISSUE_SCALE:
            target = f"< {IMPORT_TARGET_SECONDS} s, < {MEMORY_TARGET_MB} MB"
            ok = seconds < IMPORT_TARGET_SECONDS and megabytes < MEMORY_TARGET_MB
            met = "**met**" if ok else "**missed**"
        lines.append(f"| {label} | {seconds:.1f} s | {megabytes:.0f} MB | {target} | {met} |")
    return "\n".join(lines)


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
