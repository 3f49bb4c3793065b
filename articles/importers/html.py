"""HTML from other systems turned into what the forum stores: blocks of plain text, comment text.

Nothing of the HTML is kept: the result is plain text, which the templates escape. The parser is
the standard library's, which never fetches or executes anything; unknown tags are dropped and
their text kept, the contents of ``script``, ``style`` and the like are dropped whole.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Tags whose contents are not text a reader wrote.
_SKIPPED = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head"}
# WordPress shortcodes: [caption …]…[/caption] is turned into a figure; other shortcodes go.
_CAPTION = re.compile(r"\[caption[^\]]*\](.*?)\[/caption\]", re.S)
_SHORTCODE = re.compile(r"\[/?[a-zA-Z_][\w-]*(?:\s[^\]]*)?\]")
_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n")
# A caption that says where an image comes from (then it is the image's credit).
_CREDIT = re.compile(
    r"^\s*(?:出典|出所|写真|画像|提供|撮影|source|photo(?:graph)?|image|credit|courtesy|©|\(c\))"
    r"\s*(?:[:：]|by\b)?\s*(?P<credit>.+)$",
    re.I | re.S,
)


@dataclass
class BodyBlock:
    kind: str  # a Block.Kind value
    text: str


@dataclass
class BodyImage:
    after_block: int  # the number of blocks before it
    caption: str


@dataclass
class Body:
    blocks: list[BodyBlock] = field(default_factory=list)
    images: list[BodyImage] = field(default_factory=list)


def image_credit(caption: str) -> str | None:
    """The credit a caption gives (``出典：共同通信`` → ``共同通信``); None for other captions."""
    match = _CREDIT.match(caption)
    return match["credit"].strip() if match else None


def _link_text(text: str, href: str) -> str:
    """A link as its text and its address, unless the text is the address already."""
    href = href.strip()
    text = text.strip()
    if not href.startswith(("http://", "https://")) or href in text:
        return text
    return f"{text} ({href})" if text else href


class _BodyParser(HTMLParser):
    """WordPress post HTML → blocks. Text outside any block tag is split into paragraphs at blank
    lines, as WordPress's own wpautop() does when it shows the post."""

    _BLOCK_KINDS = {"h1": "heading", "h2": "heading", "h3": "subheading", "h4": "subheading"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.body = Body()
        self.text: list[str] = []  # the text of the block being read
        self.kind = "paragraph"
        self.items: list[str] | None = None  # a list's items while inside one
        self.list_kind = "list"
        self.list_depth = 0
        self.skipping = 0
        self.links: list[tuple[str, int]] = []  # open links: href, where their text starts
        self.figure: list[str] | None = None  # caption text while inside a figure
        self.figure_has_image = False
        self.in_caption = False
        self.quote_depth = 0

    # Blocks --------------------------------------------------------------------------------
    def _flush(self) -> None:
        text = "".join(self.text)
        self.text = []
        if self.kind == "paragraph" or self.kind == "quote":
            parts = [_clean_lines(p) for p in _BLANK_LINES.split(text)]
            kind = self.kind
            if kind == "quote":
                joined = "\n".join(p for p in parts if p)
                if joined:
                    self.body.blocks.append(BodyBlock(kind, joined))
            else:
                for part in parts:
                    if part:
                        self.body.blocks.append(BodyBlock(kind, part.replace("\n", " ")))
        else:
            text = _clean_lines(text).replace("\n", " ")
            if text:
                self.body.blocks.append(BodyBlock(self.kind, text))
        self.kind = "quote" if self.quote_depth else "paragraph"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag in self._BLOCK_KINDS and self.items is None:
            self._flush()
            self.kind = self._BLOCK_KINDS[tag]
        elif tag in ("p", "div", "section", "article", "pre", "h5", "h6", "table", "tr"):
            if self.items is None and not self.in_caption:
                self._flush()
        elif tag == "blockquote" and self.items is None:
            self._flush()
            self.quote_depth += 1
            self.kind = "quote"
        elif tag in ("ul", "ol"):
            if self.list_depth == 0:
                self._flush()
                self.items = []
                self.list_kind = "numbered" if tag == "ol" else "list"
            self.list_depth += 1
        elif tag == "li" and self.items is not None:
            self._end_item()
        elif tag == "br":
            self.text.append("\n")
        elif tag in ("td", "th"):
            self.text.append(" ")
        elif tag == "a":
            self.links.append((attributes.get("href", ""), len(self.text)))
        elif tag == "figure":
            self._flush()
            self.figure, self.figure_has_image = [], False
        elif tag == "figcaption":
            self.in_caption = True
        elif tag == "img" and self.figure is not None:
            # An image outside a figure or caption has no credit to keep: it is left out.
            self.figure_has_image = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if tag in self._BLOCK_KINDS and self.items is None:
            self._flush()
        elif tag in ("p", "div", "section", "article", "pre", "h5", "h6", "table", "tr"):
            if self.items is None and not self.in_caption:
                self._flush()
        elif tag == "blockquote" and self.items is None and self.quote_depth:
            self._flush()
            self.quote_depth -= 1
            self.kind = "quote" if self.quote_depth else "paragraph"
        elif tag in ("ul", "ol") and self.list_depth:
            self.list_depth -= 1
            if self.list_depth == 0 and self.items is not None:
                self._end_item()
                if self.items:
                    self.body.blocks.append(BodyBlock(self.list_kind, "\n".join(self.items)))
                self.items = None
        elif tag == "li" and self.items is not None:
            self._end_item()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.text[start:])
            del self.text[start:]
            self.text.append(_link_text(text, href))
        elif tag == "figcaption":
            self.in_caption = False
        elif tag == "figure" and self.figure is not None:
            caption = _clean_lines("".join(self.text)).replace("\n", " ")
            self.text = []
            if self.figure_has_image:
                self.body.images.append(BodyImage(len(self.body.blocks), caption))
            elif caption:
                self.body.blocks.append(BodyBlock("paragraph", caption))
            self.figure = None

    def _end_item(self) -> None:
        assert self.items is not None
        item = _clean_lines("".join(self.text)).replace("\n", " ")
        self.text = []
        if item:
            self.items.append(item)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.text.append(data)

    def close(self) -> None:
        super().close()
        if self.items is not None:
            self._end_item()
            if self.items:
                self.body.blocks.append(BodyBlock(self.list_kind, "\n".join(self.items)))
            self.items = None
        self._flush()


def _clean_lines(text: str) -> str:
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def _captions_to_figures(content: str) -> str:
    """WordPress's ``[caption]<img …> Text[/caption]`` as the figure HTML it stands for."""

    def figure(match: re.Match[str]) -> str:
        inner = match[1]
        end = inner.rfind(">")
        image, caption = (inner[: end + 1], inner[end + 1 :]) if end >= 0 else ("", inner)
        return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"

    return _CAPTION.sub(figure, content)


def body_from_html(content: str) -> Body:
    """A post's HTML as the article's blocks and its images' captions."""
    content = _SHORTCODE.sub("", _captions_to_figures(content))
    parser = _BodyParser()
    parser.feed(content)
    parser.close()
    return parser.body


class _CommentParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]  # lines of text, with their quote depth in front
        self.depths: list[int] = [0]
        self.quote_depth = 0
        self.skipping = 0
        self.links: list[tuple[str, int]] = []

    def _new_line(self) -> None:
        self.lines.append([])
        self.depths.append(self.quote_depth)

    def _paragraph(self) -> None:
        if "".join(self.lines[-1]).strip():
            self._new_line()
            self.lines[-1].append("")
            self._new_line()
        else:
            self.depths[-1] = self.quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif self.skipping:
            return
        elif tag == "br":
            self._new_line()
        elif tag in ("p", "div", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._paragraph()
        elif tag == "li":
            self._new_line()
            self.lines[-1].append("・")
        elif tag == "blockquote":
            self._paragraph()
            self.quote_depth += 1
            self.depths[-1] = self.quote_depth
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.lines[-1])))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif self.skipping:
            return
        elif tag in ("p", "div", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._paragraph()
        elif tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1
            self._paragraph()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            line = self.lines[-1]
            text = "".join(line[start:])
            del line[start:]
            line.append(_link_text(text, href))

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        # In HTML a newline is a space, except that WordPress stores comments with newlines
        # for line breaks and paragraphs (it adds the <p> and <br> only when it shows them).
        parts = data.split("\n")
        for n, part in enumerate(parts):
            if n:
                self._new_line()
            self.lines[-1].append(part)

    def text(self) -> str:
        out: list[str] = []
        lines = [_SPACE.sub(" ", "".join(parts)).strip() for parts in self.lines]
        depths = list(self.depths)
        for n, line in enumerate(lines):
            if not line and 0 < n < len(lines) - 1:
                # A blank line between a quote and what follows it belongs to neither.
                depths[n] = min(depths[n - 1], depths[n + 1], depths[n])
        for line, depth in zip(lines, depths, strict=True):
            if depth:
                out.append(">" * depth + (" " + line if line else ""))
            else:
                out.append(line)
        text = "\n".join(out)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip("\n")


def text_from_html(content: str) -> str:
    """A comment's HTML as the forum's plain text: paragraphs and ``<br>`` as line breaks,
    ``<blockquote>`` as ``>`` lines, links as their text and address, entities decoded, other
    tags dropped. (Clean the result with ``articles.text.clean_comment_text``.)"""
    parser = _CommentParser()
    parser.feed(content)
    parser.close()
    return parser.text()


def plain_text(content: str) -> str:
    """A title or excerpt: tags dropped, entities decoded, whitespace made single spaces."""
    parser = _CommentParser()
    parser.feed(content)
    parser.close()
    return _SPACE.sub(" ", parser.text().replace("\n", " ")).strip()
