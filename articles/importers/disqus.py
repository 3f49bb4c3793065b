"""Reading a Disqus XML export: its threads (pages) and posts (comments).

An export lists threads and posts in one file, each post naming its thread and its parent, and
a thread's posts can be anywhere in it, before the thread too. The file is parsed as it is read
(defusedxml's ``iterparse``, each element dropped once read) into a spool: a temporary SQLite
file beside nothing of the site's, indexed by thread. Then each thread is handed over with its
posts, one thread in memory at a time, whatever the size of the export.
"""

import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .wxr import ImportFileError, refusal

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


@dataclass
class DisqusThread:
    id: str
    link: str
    title: str
    created_at: datetime | None
    closed: bool
    deleted: bool


@dataclass
class DisqusPost:
    id: str
    thread_id: str
    parent_id: str | None
    message: str
    created_at: datetime | None
    author: str
    ip: str
    deleted: bool
    spam: bool


class DisqusExport:
    """The threads and posts of one export, spooled to disk; close() (or ``with``) drops them."""

    def __init__(self) -> None:
        # What the import should say of the file (``FILE:LINE: …``): times that are not times.
        self.notes: list[str] = []
        self._directory = tempfile.TemporaryDirectory(prefix="disqus-")
        self._db = sqlite3.connect(Path(self._directory.name) / "spool.sqlite3")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(f"CREATE TABLE thread (seq INTEGER PRIMARY KEY, {_columns(DisqusThread)})")
        self._db.execute(f"CREATE TABLE post (seq INTEGER PRIMARY KEY, {_columns(DisqusPost)})")

    def __enter__(self) -> "DisqusExport":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._directory.cleanup()

    def add(self, item: "DisqusThread | DisqusPost") -> None:
        table = "thread" if isinstance(item, DisqusThread) else "post"
        values = [v.isoformat() if isinstance(v, datetime) else v for v in astuple(item)]
        names = ", ".join(f.name for f in fields(item))
        marks = ", ".join("?" * len(values))
        self._db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)

    def finish(self) -> None:
        """Index what was read: called once the whole file is."""
        self._db.execute("CREATE INDEX post_thread ON post (thread_id, seq)")
        self._db.commit()

    def threads(self) -> Iterator[tuple["DisqusThread", list["DisqusPost"]]]:
        """Each thread (the last of a repeated id), in file order, with its posts in file order."""
        threads = self._db.execute(
            "SELECT * FROM thread WHERE seq IN (SELECT max(seq) FROM thread GROUP BY id) "
            "ORDER BY seq"
        )
        for row in threads:
            thread = _load(DisqusThread, row[1:])
            posts = self._db.execute(
                "SELECT * FROM post WHERE thread_id = ? ORDER BY seq", [thread.id]
            )
            yield thread, [_load(DisqusPost, post[1:]) for post in posts]

    def repeated_post(self) -> str | None:
        """A post id the file gives more than one post, if any."""
        row = self._db.execute(
            "SELECT id FROM post WHERE id != '' GROUP BY id HAVING count(*) > 1 "
            "ORDER BY min(seq) LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def missing_threads(self) -> list[tuple[str, int]]:
        """Thread ids that posts name but the file has no thread for, with their post counts."""
        return self._db.execute(
            "SELECT thread_id, count(*) FROM post WHERE thread_id NOT IN (SELECT id FROM thread) "
            "GROUP BY thread_id ORDER BY thread_id"
        ).fetchall()


def _columns(kind: type) -> str:
    return ", ".join(f.name for f in fields(kind))


def _load(kind: type, values) -> "DisqusThread | DisqusPost":
    loaded = []
    for spec, value in zip(fields(kind), values, strict=True):
        if spec.type == datetime | None and value is not None:
            value = datetime.fromisoformat(value)
        elif spec.type is bool:
            value = bool(value)
        loaded.append(value)
    return kind(*loaded)


def _child(element: Element, name: str) -> Element | None:
    return element.find(NS + name)


def _text(element: Element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else ""


def _flag(element: Element, name: str) -> bool:
    return _text(element, name).lower() == "true"


def _date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ref(element: Element, name: str) -> str | None:
    found = _child(element, name)
    return found.get(DSQ_ID) if found is not None else None


def read_disqus(path: Path | str, progress: Callable[[int], None] | None = None) -> DisqusExport:
    """Every thread and post of the export, spooled (close the export when done with it).

    Raises ImportFileError for a malformed file, before anything could be written from it.
    """
    path = Path(path)
    export = DisqusExport()
    try:
        with path.open("rb") as file:
            _read(file, path, export, progress)
    except OSError as error:
        export.close()
        raise ImportFileError(path, None, None, error.strerror or str(error)) from error
    except BaseException:
        export.close()
        raise
    export.finish()
    if (repeated := export.repeated_post()) is not None:
        export.close()
        # Replies name their parent by id: with two posts of one id, which one they answer is
        # anyone's guess. Where the two are, read again only now that one is known.
        lines = _lines_of(path, {("post", repeated)}).get(("post", repeated), [])
        first, second, *_ = [*lines, None, None]
        message = f"post id {repeated!r} is given twice" + (
            f" (first on line {first})" if first else ""
        )
        raise ImportFileError(path, second, None, message)
    return export


# The start of a thread or a post, with its dsq:id (not a post's <thread dsq:id="…"/>, which
# names its thread).
_OPENING = re.compile(rb"<(?:[\w.-]+:)?(thread|post)\b[^>]*?:id=[\"']([^\"']*)[\"'][^>]*(?<!/)>")


def _lines_of(path: Path, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
    """The lines on which these threads and posts (kind, id) start (read again only when some
    are wanted: the parser that read them gives no lines)."""
    found: dict[tuple[str, str], list[int]] = {}
    with path.open("rb") as file:
        for number, line in enumerate(file, 1):
            for kind, item_id in _OPENING.findall(line):
                key = (kind.decode(), item_id.decode())
                if key in wanted:
                    found.setdefault(key, []).append(number)
    return found


def _read(file, path: Path, export: DisqusExport, progress) -> None:
    depth = 0
    root: Element | None = None
    not_times: dict[tuple[str, str], str] = {}  # (thread or post, id): the text
    try:
        for event, element in iterparse(file, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                    if element.tag != NS + "disqus":
                        raise ImportFileError(
                            path, 1, None, f"<{element.tag}> is not a Disqus export's <disqus>"
                        )
                continue
            depth -= 1
            if depth != 1 or root is None:
                continue
            if element.tag in (NS + "thread", NS + "post"):
                created = _text(element, "createdAt")
                if created and _date(created) is None:
                    not_times[element.tag.removeprefix(NS), element.get(DSQ_ID, "")] = created
            if element.tag == NS + "thread":
                thread = DisqusThread(
                    id=element.get(DSQ_ID, ""),
                    link=_text(element, "link"),
                    title=_text(element, "title"),
                    created_at=_date(_text(element, "createdAt")),
                    closed=_flag(element, "isClosed"),
                    deleted=_flag(element, "isDeleted"),
                )
                export.add(thread)
            elif element.tag == NS + "post":
                author = _child(element, "author")
                post = DisqusPost(
                    id=element.get(DSQ_ID, ""),
                    thread_id=_ref(element, "thread") or "",
                    parent_id=_ref(element, "parent"),
                    message=_text(element, "message"),
                    created_at=_date(_text(element, "createdAt")),
                    author=_text(author, "name") if author is not None else "",
                    ip=_text(element, "ipAddress"),
                    deleted=_flag(element, "isDeleted"),
                    spam=_flag(element, "isSpam"),
                )
                export.add(post)
            root.clear()  # what was read so far
            if progress is not None:
                progress(file.tell())
    except ParseError as error:
        line, column = error.position
        message = str(error).rsplit(": line", 1)[0]
        raise ImportFileError(path, line, column + 1, message) from error
    except DefusedXmlException as error:
        raise ImportFileError(path, None, None, refusal(error)) from error
    if root is None:
        raise ImportFileError(path, None, None, "empty file")
    if not_times:
        lines = _lines_of(path, set(not_times))
        for (kind, item_id), text in not_times.items():
            instead = "its thread's, or its article's" if kind == "post" else "its article's"
            where = f"{path}:{lines[kind, item_id][0]}" if (kind, item_id) in lines else f"{path}"
            export.notes.append(
                f"{where}: {kind} {item_id}: {text!r} is not a time; it takes {instead}"
            )
