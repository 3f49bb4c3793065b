"""Sections of a results file that one bench writes and another must keep.

``bench.run`` writes ``bench/RESULTS.md`` whole; ``bench.importers``, ``bench.search``,
``bench.reactions`` and ``bench.live`` write their own sections into the same file (the last three
beside their own reports), so that every speed target has its row in RESULTS.md. Each replaces
only what is its own: a bench its section, ``bench.run`` everything but the sections in ``KEPT``.
"""

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# Sections of RESULTS.md that other benches than bench.run write, by how their headings start.
KEPT = ("Import and export", "Search", "Reactions", "New comments as they arrive")


def _split(text: str) -> list[tuple[str, str]]:
    """The text as (heading, whole section) pairs; the part before the first ``## `` has ""."""
    parts = re.split(r"(?m)^(?=## )", text)
    return [
        (part.split("\n", 1)[0][3:].strip() if part.startswith("## ") else "", part)
        for part in parts
    ]


def replace(path: Path, heading: str, body: str, *, title: str = "# Benchmark results") -> None:
    """Write ``## heading`` with ``body`` into the file, in place of the section it had."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"{title}\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    parts = _split(text)
    if any(name == heading for name, _ in parts):
        parts = [(name, section if name == heading else part) for name, part in parts]
    else:
        parts.append((heading, section))
    pieces = [part.rstrip("\n") + "\n" for _, part in parts]
    path.write_text("\n".join(pieces), encoding="utf-8")


def kept(path: Path) -> str:
    """The sections of the file (if any) that another bench wrote, to go on the end of a new
    text that replaces the file."""
    if not path.exists():
        return ""
    parts = _split(path.read_text(encoding="utf-8"))
    return "".join("\n" + part.rstrip("\n") + "\n" for name, part in parts if name.startswith(KEPT))


def report_in_results(heading: str, report: str, *, source: Path) -> None:
    """Put a bench's report (its own file's text, without its title) into RESULTS.md as
    ``## heading``, naming the file it comes from."""
    body = report.split("\n", 1)[1] if report.startswith("# ") else report
    replace(RESULTS, heading, f"From `bench/{source.name}`.\n{body}")


def write_report(text: str, heading: str, *, output: Path, default: Path) -> None:
    """Write a bench's report to ``output``; its default file's report goes into RESULTS.md too."""
    output.write_text(text)
    if output == default:
        report_in_results(heading, text, source=default)
