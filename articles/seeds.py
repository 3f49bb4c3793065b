"""Reading seed articles: pure functions from text to data, with no database.

A seed is a scraped blog page, one paragraph per line::

    lead
    参考:reference title                  (any number)
    heading                               (the article's title)
    body paragraph                        (any number, with images:)
                                          (an empty line where an image stood)
    出典:SOURCE / LICENCE SUBJECT         (its credit, captioning the image after the paragraph)
    関連記事:related article title        (any number)
    ※アイキャッチ画像の出典:SOURCE / LICENCE SUBJECT   (the featured image; ends the article)
    comment lines…                        (the rest: the comment section)

The comment section has lost its structure. A companion file beside the seed (same name,
``.comments`` instead of ``.txt``) records a person's reading of it: which lines form each comment
and which comment each answers. Without one the structure is guessed (see ``guess_comments``).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = "参考"
CREDIT = "出典"
RELATED = "関連記事"
FEATURED = "※アイキャッチ画像の出典"
KNOWN_MARKERS = (REFERENCE, CREDIT, RELATED, FEATURED)
COMPANION_SUFFIX = ".comments"

# A marker is a short label and a colon at the start of a line ("参考:", "出典：").
MARKER_RE = re.compile(
    r"^(?P<label>※[^\s:：]{1,20}|[^\s:：/.0-9０-９]{1,6})[:：](?!//)(?P<value>.*)$"
)
LICENCE_RE = re.compile(
    r"^(?P<source>.+?)\s*/\s*"
    r"(?P<licence>CC0(?: 1\.0)?|CC BY(?:-(?:SA|ND|NC|NC-SA|NC-ND))? \d\.\d"
    r"|Public Domain|パブリックドメイン)"
    r"(?:\s+(?P<subject>.*))?$"
)
QUOTE_PREFIXES = (">", "＞")
# Category Cc less tab and the line ends: a NUL or an escape sequence is never text (PostgreSQL
# refuses NUL outright), and str.splitlines() would quietly break lines at \v, \f or \x85.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class SeedError(Exception):
    """Malformed seed or companion: says which file and line, and what is wrong."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = Path(path), line, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Credit:
    source: str
    licence: str
    subject: str = ""


@dataclass(frozen=True)
class InlineCredit:
    after_paragraph: int
    credit: Credit


@dataclass(frozen=True)
class SeedLine:
    number: int
    text: str


@dataclass(frozen=True)
class SeedComment:
    index: int  # 1…N in the seed's order
    first_line: int
    last_line: int
    body: str
    reply_to: int | None = None  # the index of the comment it answers


@dataclass
class Seed:
    path: Path
    lead: str
    title: str
    references: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    inline_credits: list[InlineCredit] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    featured_credit: Credit | None = None
    comment_lines: list[SeedLine] = field(default_factory=list)
    comments: list[SeedComment] = field(default_factory=list)
    companion: Path | None = None
    # The seed line each part came from, for errors found after parsing: "lead", "title",
    # "reference 1", "paragraph 2", "credit 1", "related 1", "featured".
    origins: dict[str, int] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return self.path.stem

    @property
    def slug(self) -> str:
        # "000_fa0796958162b6f6" -> "fa0796958162b6f6": the ordering prefix is not part of the name.
        return re.sub(r"^\d+[_-]", "", self.ref).lower()

    @property
    def guessed(self) -> bool:
        return self.companion is None


def read_lines(path: Path) -> list[str]:
    """Read a UTF-8 text file as lines without their line ends."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SeedError(path, line, "not valid UTF-8 text") from error
    text = text.removeprefix("\ufeff")
    if found := CONTROL_RE.search(text):
        line = len((text[: found.start()] + "x").splitlines())
        raise SeedError(
            path,
            line,
            f"the control character U+{ord(found[0]):04X} is not text (NUL and other control "
            "characters are refused)",
        )
    return text.splitlines()


def marker_of(text: str) -> tuple[str, str] | None:
    """Return (label, value) when the line opens with a marker such as 参考:."""
    match = MARKER_RE.match(text)
    if match is None:
        return None
    return match["label"], match["value"].strip()


def parse_credit(value: str, path: Path, line: int) -> Credit:
    """Split 'SOURCE / LICENCE SUBJECT' into its parts."""
    match = LICENCE_RE.match(value.strip())
    if match is None:
        raise SeedError(
            path,
            line,
            f"cannot read the image credit {value!r}: expected 'SOURCE / LICENCE SUBJECT' with a "
            "licence such as 'CC BY 4.0', 'CC BY-SA 2.0', 'CC0' or 'Public Domain'",
        )
    return Credit(match["source"].strip(), match["licence"], (match["subject"] or "").strip())


def parse_seed(path: Path, lines: list[str]) -> Seed:
    """Parse a seed's article part and collect its comment lines (their structure comes later)."""
    if not lines or not lines[0].strip():
        raise SeedError(path, 1, "the first line must be the article's lead")
    if marker_of(lines[0]):
        raise SeedError(path, 1, "the first line must be the article's lead, not a marker")
    number = 2
    references = []
    while (
        number <= len(lines) and (found := marker_of(lines[number - 1])) and found[0] == REFERENCE
    ):
        references.append(_require_value(found[1], path, number))
        number += 1
    while number <= len(lines) and not lines[number - 1].strip():
        number += 1
    if number > len(lines):
        raise SeedError(path, number - 1, "the seed ends before the article's heading")
    if marker_of(lines[number - 1]):
        raise SeedError(path, number, "expected the article's heading here, found a marker")
    seed = Seed(path=path, lead=lines[0].strip(), title=lines[number - 1].strip())
    seed.references = references
    seed.origins = {"lead": 1, "title": number}
    seed.origins.update({f"reference {n}": n + 1 for n in range(1, len(references) + 1)})

    body_start = number + 1
    for number in range(body_start, len(lines) + 1):
        text = lines[number - 1].strip()
        if not text:
            continue  # where an image stood; its credit follows
        found = marker_of(text)
        if found is None:
            if seed.related:
                raise SeedError(
                    path,
                    number,
                    f"a paragraph after the 関連記事: lines (is the '{FEATURED}:' line that ends "
                    "the article missing?)",
                )
            seed.paragraphs.append(text)
            seed.origins[f"paragraph {len(seed.paragraphs)}"] = number
            continue
        label, value = found
        if label == CREDIT:
            credit = parse_credit(value, path, number)
            seed.inline_credits.append(InlineCredit(len(seed.paragraphs), credit))
            seed.origins[f"credit {len(seed.inline_credits)}"] = number
        elif label == RELATED:
            seed.related.append(_require_value(value, path, number))
            seed.origins[f"related {len(seed.related)}"] = number
        elif label == FEATURED:
            seed.featured_credit = parse_credit(value, path, number)
            seed.origins["featured"] = number
            seed.comment_lines = [
                SeedLine(n, lines[n - 1]) for n in range(number + 1, len(lines) + 1)
            ]
            return seed
        elif label == REFERENCE:
            raise SeedError(path, number, "参考: lines belong right after the lead")
        else:
            known = ", ".join(f"{marker}:" for marker in KNOWN_MARKERS)
            raise SeedError(path, number, f"unknown marker '{label}:' (known: {known})")
    raise SeedError(
        path,
        len(lines),
        f"no '{FEATURED}:' line, so the end of the article and the start of the comments "
        "cannot be told apart",
    )


def _require_value(value: str, path: Path, line: int) -> str:
    if not value:
        raise SeedError(path, line, "the marker has nothing after it")
    return value


def _body(lines: list[SeedLine]) -> str:
    return "\n".join(line.text.rstrip() for line in lines).strip("\n")


def is_quote(text: str) -> bool:
    return text.lstrip().startswith(QUOTE_PREFIXES)


def _unquote(text: str) -> str:
    return text.lstrip().lstrip(">＞").strip()


def _normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def guess_comments(comment_lines: list[SeedLine]) -> list[SeedComment]:
    """Guess the structure: each line a top-level comment, except quotes.

    A run of '>' lines and the line after it form one comment, a reply to the latest earlier
    comment containing the quoted words (a new thread when the words are nobody's, such as the
    article's). Empty lines belong to no comment.
    """
    comments: list[SeedComment] = []
    position = 0
    while position < len(comment_lines):
        line = comment_lines[position]
        if not line.text.strip():
            position += 1
            continue
        end = position + 1
        reply_to = None
        if is_quote(line.text):
            while end < len(comment_lines) and is_quote(comment_lines[end].text):
                end += 1
            if end < len(comment_lines) and comment_lines[end].text.strip():
                end += 1
            quoted = _normalise(
                " ".join(_unquote(q.text) for q in comment_lines[position:end] if is_quote(q.text))
            )
            reply_to = next(
                (c.index for c in reversed(comments) if quoted and quoted in _normalise(c.body)),
                None,
            )
        block = comment_lines[position:end]
        comments.append(
            SeedComment(
                len(comments) + 1, block[0].number, block[-1].number, _body(block), reply_to
            )
        )
        position = end
    return comments


def parse_companion(
    path: Path, lines: list[str], comment_lines: list[SeedLine]
) -> list[SeedComment]:
    """Read a companion file, checking it accounts for every comment line once, in order.

    Each entry is ``NUMBER FIRST[-LAST] REPLY_TO``: the comment's number (1, 2, … in order), the
    seed lines it spans, and the number of the comment it answers (``-`` for a new thread).
    Anything after ``#`` is a note for people. Empty seed lines may be left out.
    """
    by_number = {line.number: line for line in comment_lines}
    first = comment_lines[0].number if comment_lines else None
    last = comment_lines[-1].number if comment_lines else None
    expected_line = first
    comments: list[SeedComment] = []
    for line_number, raw in enumerate(lines, start=1):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = entry.split()
        if len(parts) != 3:
            raise SeedError(
                path, line_number, "expected 'NUMBER LINES REPLY_TO', for example '2 31-32 1'"
            )
        number_text, span, reply_text = parts
        index = len(comments) + 1
        if number_text != str(index):
            raise SeedError(
                path, line_number, f"expected comment number {index}, not {number_text}"
            )
        start, end = _parse_span(span, path, line_number)
        if expected_line is None or start > last:
            raise SeedError(
                path,
                line_number,
                f"line {start} is not in the seed's comment section ({first}–{last})",
            )
        while expected_line < start and not by_number[expected_line].text.strip():
            expected_line += 1
        if start < expected_line:
            raise SeedError(
                path, line_number, f"seed line {start} is already in an earlier comment"
            )
        if start > expected_line:
            missing = (
                f"{expected_line}" if start - 1 == expected_line else f"{expected_line}–{start - 1}"
            )
            raise SeedError(path, line_number, f"seed line(s) {missing} are in no comment")
        if end > last:
            raise SeedError(path, line_number, f"the seed's comments end at line {last}, not {end}")
        reply_to = _parse_reply(reply_text, index, path, line_number)
        block = [by_number[n] for n in range(start, end + 1)]
        body = _body(block)
        if not body.strip():
            raise SeedError(path, line_number, f"comment {index} has no text")
        comments.append(SeedComment(index, start, end, body, reply_to))
        expected_line = end + 1
    if expected_line is not None:
        while expected_line <= last and not by_number[expected_line].text.strip():
            expected_line += 1
        if expected_line <= last:
            raise SeedError(
                path,
                len(lines),
                f"seed lines {expected_line}–{last} are in no comment (the companion ends early)",
            )
    return comments


def _parse_span(span: str, path: Path, line: int) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", span)
    if match is None:
        raise SeedError(path, line, f"expected seed lines such as '31' or '31-32', not {span!r}")
    start = int(match[1])
    end = int(match[2] or start)
    if end < start:
        raise SeedError(path, line, f"the line range {span} runs backwards")
    return start, end


def _parse_reply(text: str, index: int, path: Path, line: int) -> int | None:
    if text == "-":
        return None
    if not text.isdigit():
        raise SeedError(
            path, line, f"expected the number of the comment answered, or '-', not {text!r}"
        )
    reply_to = int(text)
    if reply_to >= index:
        raise SeedError(
            path,
            line,
            f"comment {index} answers comment {reply_to}, which is not an earlier comment",
        )
    if reply_to < 1:
        raise SeedError(path, line, f"there is no comment {reply_to}")
    return reply_to


def companion_path(seed_path: Path) -> Path:
    return seed_path.with_suffix(COMPANION_SUFFIX)


def load_seed(path: Path) -> Seed:
    """Parse a seed and its comment structure, from its companion or else by guessing."""
    seed = parse_seed(path, read_lines(path))
    companion = companion_path(path)
    if companion.exists():
        seed.comments = parse_companion(companion, read_lines(companion), seed.comment_lines)
        seed.companion = companion
    else:
        seed.comments = guess_comments(seed.comment_lines)
    return seed


def format_companion(seed: Seed) -> str:
    """Write the seed's comment structure as a companion file for a person to review."""
    out = [
        f"# How the comment section of {seed.path.name} divides into comments.",
        "# Each line: the comment's number, the seed lines it spans, and the number of the",
        "# comment it answers ('-' for a new thread). Text after '#' is a note; the importer",
        "# checks that every line of the comment section is in exactly one comment, in order.",
        "#",
    ]
    for comment in seed.comments:
        span = (
            str(comment.first_line)
            if comment.first_line == comment.last_line
            else f"{comment.first_line}-{comment.last_line}"
        )
        reply = str(comment.reply_to) if comment.reply_to else "-"
        excerpt = comment.body.splitlines()[0][:30]
        out.append(f"{comment.index:<4} {span:<8} {reply:<4} # {excerpt}")
    return "\n".join(out) + "\n"
