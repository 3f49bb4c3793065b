"""Reading WordPress eXtended RSS (WXR 1.0, 1.1, 1.2), one ``<item>`` at a time.

The file is parsed as it is read (``iterparse``) and each item is dropped once handed over, so
memory holds one post and its comments whatever the size of the export. The parser is
``defusedxml``'s: an export is untrusted, and it refuses entity expansion and external entities.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

# WordPress wrote http:// for years and https:// since; the version is 1.0, 1.1 or 1.2.
_WP = re.compile(r"^\{https?://wordpress\.org/export/1\.[0-2]/\}(?P<name>.+)$")
_EXCERPT = re.compile(r"^\{https?://wordpress\.org/export/1\.[0-2]/excerpt/\}encoded$")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


class ImportFileError(Exception):
    """What is wrong with an import file, and where: ``FILE:LINE:COLUMN: what is wrong``."""

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = path, line, column, message
        where = ":".join(str(part) for part in (path, line, column) if part is not None)
        super().__init__(f"{where}: {message}")


@dataclass
class WxrComment:
    id: str
    parent_id: str  # "0" or "" for none
    author: str
    email: str
    url: str
    ip: str
    date: datetime | None
    content: str
    approved: str  # "1", "0", "spam", "trash"
    type: str  # "", "comment", "pingback", "trackback"
    meta: dict[str, str] = field(default_factory=dict)  # wp:commentmeta, key -> value


@dataclass
class WxrAuthor:
    login: str
    display_name: str
    first_name: str
    last_name: str


@dataclass
class WxrPost:
    id: str
    title: str
    link: str
    guid: str
    creator: str
    content: str
    excerpt: str
    date: datetime | None
    name: str
    status: str
    type: str
    password: str
    comment_status: str
    line: int | None
    comments: list[WxrComment] = field(default_factory=list)
    # (nicename, name) of each ``<category domain="category">``, in file order (tags left out).
    categories: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class WxrSite:
    title: str = ""
    link: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    # The channel's ``<wp:author>`` entries by login (which items name in ``dc:creator``).
    authors: dict[str, WxrAuthor] = field(default_factory=dict)


def _text(element: Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _wp_name(tag: str) -> str | None:
    match = _WP.match(tag)
    return match["name"] if match else None


def parse_date(gmt: str, fallback: str = "") -> datetime | None:
    """A WXR time: ``2020-01-02 03:04:05`` in UTC; WordPress writes ``0000-00-00 00:00:00`` for
    a post never published, when the RSS ``pubDate`` (``fallback``) may still say (unless it
    says never too: ``Mon, 30 Nov -0001 00:00:00 +0000``)."""
    gmt = gmt.strip()
    if gmt and not gmt.startswith("0000"):
        try:
            # fromisoformat() reads "2020-01-02 03:04:05" (and more, which strptime refused and
            # no export writes), many times faster, and a comment has one.
            value = datetime.fromisoformat(gmt)
        except ValueError:
            pass
        else:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    fallback = fallback.strip()
    if not _no_published_date(fallback):
        try:
            value = parsedate_to_datetime(fallback)
        except (TypeError, ValueError):
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return None


def _comment(element: Element) -> WxrComment:
    values: dict[str, str] = {}
    meta: dict[str, str] = {}
    for child in element:
        name = _wp_name(child.tag)
        if name == "commentmeta":
            pair = {_wp_name(part.tag): (part.text or "").strip() for part in child}
            meta[pair.get("meta_key", "")] = pair.get("meta_value", "")
        elif name:
            values[name] = child.text or ""
    return WxrComment(
        id=values.get("comment_id", "").strip(),
        parent_id=values.get("comment_parent", "0").strip() or "0",
        author=values.get("comment_author", ""),
        email=values.get("comment_author_email", ""),
        url=values.get("comment_author_url", ""),
        ip=values.get("comment_author_IP", "").strip(),
        date=parse_date(values.get("comment_date_gmt", ""), ""),
        content=values.get("comment_content", ""),
        approved=values.get("comment_approved", "1").strip(),
        type=values.get("comment_type", "").strip(),
        meta=meta,
    )


def _post(element: Element, line: int | None) -> WxrPost:
    values: dict[str, str] = {}
    comments: list[WxrComment] = []
    content = excerpt = creator = ""
    categories: list[tuple[str, str]] = []
    for child in element:
        name = _wp_name(child.tag)
        if name == "comment":
            comments.append(_comment(child))
        elif name:
            values[name] = child.text or ""
        elif child.tag == _CONTENT:
            content = child.text or ""
        elif _EXCERPT.match(child.tag):
            excerpt = child.text or ""
        elif child.tag == _CREATOR:
            creator = child.text or ""
        elif child.tag in ("title", "link", "guid", "pubDate"):
            values[child.tag] = child.text or ""
        elif child.tag == "category" and child.get("domain") == "category":
            categories.append((child.get("nicename", "").strip(), (child.text or "").strip()))
    post = WxrPost(
        id=values.get("post_id", "").strip(),
        title=values.get("title", ""),
        link=values.get("link", "").strip(),
        guid=values.get("guid", "").strip(),
        creator=creator,
        content=content,
        excerpt=excerpt,
        date=parse_date(values.get("post_date_gmt", ""), values.get("pubDate", "")),
        name=values.get("post_name", "").strip(),
        status=values.get("status", "").strip(),
        type=values.get("post_type", "").strip(),
        password=values.get("post_password", ""),
        comment_status=values.get("comment_status", "open").strip(),
        line=line,
    )
    post.comments = comments
    post.categories = categories
    return post


def _author(element: Element) -> WxrAuthor:
    values = {_wp_name(child.tag): (child.text or "").strip() for child in element}
    return WxrAuthor(
        login=values.get("author_login", ""),
        display_name=values.get("author_display_name", ""),
        first_name=values.get("author_first_name", ""),
        last_name=values.get("author_last_name", ""),
    )


def read_wxr(
    path: Path | str,
    *,
    site: WxrSite | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[WxrPost]:
    """The posts of a WXR file, in file order (every post type and status: the caller chooses).

    Fills ``site`` with the channel's details as they are read (they come before the items).
    ``progress`` is told how far into the file (in bytes) the parser is after each item.
    Raises ImportFileError for a file that is not well-formed XML or not a WXR export.
    """
    site = site if site is not None else WxrSite()
    path = Path(path)
    try:
        with path.open("rb") as file:
            yield from _read(file, path, site, progress)
    except OSError as error:
        raise ImportFileError(path, None, None, error.strerror or str(error)) from error


def _read(
    file: BinaryIO, path: Path, site: WxrSite, progress: Callable[[int], None] | None
) -> Iterator[WxrPost]:
    depth = 0
    channel: Element | None = None
    root_seen = False
    is_wxr = False
    events = iterparse(file, events=("start", "end"))
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    root_seen = True
                    if element.tag != "rss":
                        raise ImportFileError(
                            path, 1, None, f"<{element.tag}> is not a WXR file's <rss>"
                        )
                elif depth == 2 and element.tag == "channel":
                    channel = element
                continue
            depth -= 1
            if depth == 2 and channel is not None:
                if element.tag == "item":
                    yield _post(element, None)
                    channel.clear()  # the items read so far: memory stays bounded
                    if progress is not None:
                        progress(file.tell())
                    continue
                name = _wp_name(element.tag)
                if name == "author":
                    author = _author(element)
                    if author.login:
                        site.authors[author.login] = author
                elif name in ("base_site_url", "base_blog_url", "wxr_version"):
                    is_wxr = True
                    if name != "wxr_version":
                        setattr(site, name, _text(element).strip())
                elif element.tag in ("title", "link"):
                    setattr(site, element.tag, _text(element).strip())
    except ParseError as error:
        line, column = error.position
        raise ImportFileError(path, line, column + 1, _parse_message(error)) from error
    except DefusedXmlException as error:
        raise ImportFileError(path, None, None, refusal(error)) from error
    if not root_seen:
        raise ImportFileError(path, None, None, "empty file")
    if not is_wxr:
        raise ImportFileError(
            path, None, None, "not a WordPress export (no wp:wxr_version or wp:base_site_url)"
        )


class _RepeatedComment(Exception):
    def __init__(self, comment_id: str, first_line: int, line: int) -> None:
        self.comment_id, self.first_line, self.line = comment_id, first_line, line


# The elements read, by depth: an item's (4: its comments, and the texts) and a comment's (5).
_ITEM_ENDINGS = ("}comment", "}post_id", "}post_date_gmt", "pubDate")
_COMMENT_ENDINGS = ("}comment_id", "}comment_date_gmt")


class _Shape:
    """What the check sees of the file: the root, the depth, the channel's WXR markers; each
    item's comment ids (a post's comments are told apart by them: one given twice is refused);
    and the times that are not times (``notes``: the import gives them another)."""

    def __init__(self, parser) -> None:
        self.parser = parser
        self.depth = 0
        self.root: str | None = None
        self.root_line = 1
        self.channel = False  # inside the <channel> under the root
        self.is_wxr = False
        self.in_item = self.in_comment = False
        self.comment_ids: dict[str, int] = {}  # the current item's, with their lines
        self.item: dict[str, tuple[str, int]] = {}  # name: (text, line)
        self.comment: dict[str, tuple[str, int]] = {}
        self.text: list[str] | None = None  # the text of an element read, while inside it
        self.text_name = ""
        self.notes: list[tuple[int, str]] = []

    def _wanted(self, tag: str, endings: tuple[str, ...]) -> str | None:
        """The WXR name of a tag read, if it is one of these (tested by its ending first: this
        runs for every element of every item and comment)."""
        if tag == "pubDate" and "pubDate" in endings:
            return tag
        if not tag.endswith(endings):
            return None
        return _wp_name("{" + tag)

    def start(self, tag: str, attrib: object) -> None:
        self.depth += 1
        if self.depth == 5:
            if self.in_comment and (name := self._wanted(tag, _COMMENT_ENDINGS)):
                self._read_text(name)
        elif self.depth == 4:
            if self.in_item and (name := self._wanted(tag, _ITEM_ENDINGS)):
                if name == "comment":
                    self.in_comment, self.comment = True, {}
                else:
                    self._read_text(name)
        elif self.depth == 1:
            self.root, self.root_line = tag, self.parser.CurrentLineNumber
        elif self.depth == 2 and tag == "channel":
            self.channel = True
        elif self.depth == 3 and self.channel:
            names = ("base_site_url", "base_blog_url", "wxr_version")
            self.is_wxr |= _wp_name("{" + tag) in names
            if tag == "item":
                self.in_item, self.comment_ids, self.item = True, {}, {}

    def _read_text(self, name: str) -> None:
        self.text, self.text_name = [], name
        self.parser.CharacterDataHandler = self.text.append  # for this element only

    def end(self, tag: str) -> None:
        if self.text is not None:
            read = ("".join(self.text).strip(), self.parser.CurrentLineNumber)
            (self.comment if self.depth == 5 else self.item)[self.text_name] = read
            self.text = self.parser.CharacterDataHandler = None
        elif self.depth == 4 and self.in_comment:
            self.in_comment = False
            self._comment_read()
        elif self.depth == 3 and self.in_item:
            self.in_item = False
            self._item_read()
        self.depth -= 1
        if self.depth == 1:
            self.channel = False

    def _comment_read(self) -> None:
        comment_id, line = self.comment.get("comment_id", ("", self.parser.CurrentLineNumber))
        if comment_id in self.comment_ids:
            raise _RepeatedComment(comment_id, self.comment_ids[comment_id], line)
        if comment_id:  # one without an id is left out by the import, and said so
            self.comment_ids[comment_id] = line
        date, line = self.comment.get("comment_date_gmt", ("", 0))
        if comment_id and not _no_date(date) and parse_date(date) is None:
            self.notes.append(
                (line, f"comment {comment_id}: {date!r} is not a time; it takes its post's")
            )

    def _item_read(self) -> None:
        date, line = self.item.get("post_date_gmt", ("", 0))
        published, published_line = self.item.get("pubDate", ("", 0))
        if _no_date(date) and _no_published_date(published):
            return
        if parse_date(date, published) is not None:
            return
        post_id = self.item.get("post_id", ("?", 0))[0]
        shown = date if not _no_date(date) else published
        self.notes.append(
            (
                line if not _no_date(date) else published_line,
                f"post {post_id}: {shown!r} is not a time; its article keeps the one it has "
                "here (the import's, when new), and its comments without one of their own "
                "take it",
            )
        )


def _no_date(text: str) -> bool:
    """Whether a WXR time says "none" (WordPress writes 0000-00-00 00:00:00 for never)."""
    return not text or text.startswith("0000")


def _no_published_date(text: str) -> bool:
    """Whether an RSS pubDate says "none" (WordPress writes a year -0001 for never)."""
    return not text or " -0001 " in text


def _refuse_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _refuse_unparsed_entity(name, base, sysid, pubid, notation_name) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _refuse_external(context, base, sysid, pubid) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def check_wxr(path: Path | str, chunk_size: int = 1 << 16) -> list[str]:
    """Raise ImportFileError if ``read_wxr`` would, having read the whole file: well-formed XML,
    no entity declarations or external entities (refused as defusedxml refuses them), a WXR
    export's ``<rss>``; and for a post whose comments repeat an id (its replies could not be
    told which comment they answer). Return what the import should say of the file: the times
    that are not times (``FILE:LINE: …``), which the import replaces.

    Several times faster than ``read_wxr``: expat alone, with no element and no text kept. The
    import reads the file with it first, so that nothing of a malformed file is written.
    """
    path = Path(path)
    # Names come as "namespace}local" ("{" is added where it matters): no fixing up per tag.
    parser = expat.ParserCreate(namespace_separator="}")
    shape = _Shape(parser)
    parser.StartElementHandler, parser.EndElementHandler = shape.start, shape.end
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external
    try:
        with path.open("rb") as file:
            while chunk := file.read(chunk_size):
                parser.Parse(chunk, False)
                if shape.root not in (None, "rss"):
                    break
            if shape.root in (None, "rss"):
                parser.Parse(b"", True)
    except OSError as error:
        raise ImportFileError(path, None, None, error.strerror or str(error)) from error
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code)
        raise ImportFileError(path, error.lineno, error.offset + 1, message) from error
    except _RepeatedComment as repeated:
        message = (
            f"comment id {repeated.comment_id!r} is given twice in one post "
            f"(first on line {repeated.first_line})"
        )
        raise ImportFileError(path, repeated.line, None, message) from repeated
    except DefusedXmlException as error:
        # No line: the reader, which says the same, is not told one.
        raise ImportFileError(path, None, None, refusal(error)) from error
    if shape.root is None:
        raise ImportFileError(path, None, None, "empty file")
    if shape.root != "rss":
        root = "{" + shape.root if "}" in shape.root else shape.root
        raise ImportFileError(path, shape.root_line, None, f"<{root}> is not a WXR file's <rss>")
    if not shape.is_wxr:
        raise ImportFileError(
            path, None, None, "not a WordPress export (no wp:wxr_version or wp:base_site_url)"
        )
    return [f"{path}:{line}: {note}" for line, note in shape.notes]


def refusal(error: DefusedXmlException) -> str:
    """Why the file is refused, for the operator: an export declares no entities and refers to
    nothing outside itself, and either could expand without end or read other files."""
    if isinstance(error, EntitiesForbidden):
        return f"refused: it declares the entity {error.name!r} (an export declares none)"
    if isinstance(error, ExternalReferenceForbidden):
        return f"refused: it refers to {error.sysid!r} outside the file"
    return f"refused: {type(error).__name__}"


def _parse_message(error: ParseError) -> str:
    """expat's message without the place, which the caller puts in front."""
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))
