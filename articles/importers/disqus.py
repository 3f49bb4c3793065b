"""Reading a Disqus XML export: its threads (pages) and posts (comments).

An export lists every thread first, then every post, each post naming its thread and its
parent. The file is parsed as it is read (defusedxml's ``iterparse``, each element dropped once
read); the posts are kept, compactly, grouped by thread until the end of the file, since a
thread's posts can be anywhere in it.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .wxr import ImportFileError

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


@dataclass
class DisqusExport:
    threads: dict[str, DisqusThread] = field(default_factory=dict)
    posts: dict[str, list[DisqusPost]] = field(default_factory=lambda: defaultdict(list))


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
    """Every thread and post of the export. Raises ImportFileError for a malformed file."""
    path = Path(path)
    export = DisqusExport()
    try:
        with path.open("rb") as file:
            _read(file, path, export, progress)
    except OSError as error:
        raise ImportFileError(path, None, None, error.strerror or str(error)) from error
    return export


def _read(file, path: Path, export: DisqusExport, progress) -> None:
    depth = 0
    root: Element | None = None
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
            if element.tag == NS + "thread":
                thread = DisqusThread(
                    id=element.get(DSQ_ID, ""),
                    link=_text(element, "link"),
                    title=_text(element, "title"),
                    created_at=_date(_text(element, "createdAt")),
                    closed=_flag(element, "isClosed"),
                    deleted=_flag(element, "isDeleted"),
                )
                export.threads[thread.id] = thread
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
                export.posts[post.thread_id].append(post)
            root.clear()  # what was read so far
            if progress is not None:
                progress(file.tell())
    except ParseError as error:
        line, column = error.position
        message = str(error).rsplit(": line", 1)[0]
        raise ImportFileError(path, line, column + 1, message) from error
    except DefusedXmlException as error:
        raise ImportFileError(path, None, None, f"refused: {error}") from error
    if root is None:
        raise ImportFileError(path, None, None, "empty file")
