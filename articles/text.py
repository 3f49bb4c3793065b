"""Clean readers' comment text for storage and render it as escaped HTML."""

import re
import unicodedata
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .models import comment_url

# U+2028/U+2029 would otherwise split lines in Python but not on the page.
_NEWLINE = re.compile(r"\r\n?|[\n\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Category Cc less \t and \n (\r is gone once newlines are normalised).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi controls can reorder the page around a comment; zero-width characters hide text.
_INVISIBLE = re.compile(
    r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u200c\u2060\ufeff\u180e\u00ad]"
)
_ZERO_WIDTH_JOINER = "\u200d"
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")

# >>N, ＞＞N or ≫N, and ranges >>N-M (also with －, 〜 or ~ between), as readers write them.
_REPLY_REF_PATTERN = (
    r"(?:>>|＞＞|≫)(?P<number>[0-9０-９]{1,7})"
    r"(?:(?P<dash>[-－〜~])(?P<end>[0-9０-９]{1,7}))?(?![0-9０-９])"
)
# A range counts each comment in it as answered, up to this many: ">>1-9999" is not a reply to all.
MAX_RANGE_LENGTH = 20
# RFC 3986 characters only: a URL ends at whitespace and at the Japanese text that often follows.
_URL_PATTERN = r"(?<![A-Za-z0-9])(?P<url>https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+)"
_REPLY_REF = re.compile(_REPLY_REF_PATTERN)
_TOKEN = re.compile(_REPLY_REF_PATTERN + "|" + _URL_PATTERN)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_QUOTE_MARKS = (">", "＞")
_TRAILING_PUNCTUATION = ".,;:!?'\""
_MAX_URL_LENGTH = 2000


def clean_comment_text(text: str) -> str:
    """Return a reader's comment body or name as it should be stored."""
    text = _NEWLINE.sub("\n", text)
    if _SURROGATE.search(text):
        raise ValidationError(
            gettext("Your text contains invalid characters that cannot be posted."),
            code="invalid_characters",
        )
    if _CONTROL.search(text):
        raise ValidationError(
            gettext("Your text contains control characters that cannot be posted."),
            code="control_characters",
        )
    text = _drop_stray_joiners(_INVISIBLE.sub("", text))
    text = unicodedata.normalize("NFC", text)
    # Leading spaces of the first line stay: ASCII art is aligned with them.
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def render_comment_body(body: str, *, reply_url: Callable[[int], str | None]) -> SafeString:
    """Render a stored comment body as HTML with quotes, reply links and web links."""
    lines = _NEWLINE.split(body)
    return mark_safe("<br>\n".join(_render_line(line, reply_url) for line in lines))


def render_stored_body(body: str, *, article_url: str, number: int) -> SafeString:
    """Comment ``number``'s body as it is stored: >>N links only to the article's earlier comments,
    so that the HTML never changes once written."""

    def reply_url(n: int) -> str | None:
        return comment_url(article_url, n) if 1 <= n < number else None

    return render_comment_body(body, reply_url=reply_url)


def reply_refs(body: str) -> list[int]:
    """Return the distinct comment numbers the body refers to, in order of first appearance."""
    numbers: list[int] = []
    for match in _REPLY_REF.finditer(body):
        start, end = _reply_range(match)
        if end is None or end - start >= MAX_RANGE_LENGTH:
            numbers.extend(n for n in (start, end) if n is not None)
        else:
            numbers.extend(range(start, end + 1))
    return list(dict.fromkeys(numbers))


def quote_text(body: str) -> str:
    """Return the body with every line marked as a quote, to start a reply with."""
    if not body:
        return ""
    return "\n".join(">" + line for line in _NEWLINE.split(body))


def _is_emoji_part(char: str) -> bool:
    """Return whether a character can stand next to a joiner inside an emoji sequence."""
    return (
        unicodedata.category(char) == "So"
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tone modifiers
        or char == "\ufe0f"  # emoji presentation selector
    )


def _drop_stray_joiners(text: str) -> str:
    """Remove zero width joiners except those joining two emoji, as in 👨‍👩‍👧."""
    if _ZERO_WIDTH_JOINER not in text:
        return text  # nearly always: the loop below costs more than the rest of the cleaning
    return "".join(
        char
        for index, char in enumerate(text)
        if char != _ZERO_WIDTH_JOINER or _joins_emoji(text, index)
    )


def _joins_emoji(text: str, index: int) -> bool:
    """Return whether the characters on both sides of text[index] are emoji."""
    return (
        0 < index < len(text) - 1
        and _is_emoji_part(text[index - 1])
        and _is_emoji_part(text[index + 1])
    )


def _is_quote(line: str) -> bool:
    """Return whether a line quotes someone, rather than starting with a >>N reference."""
    stripped = line.lstrip()
    return stripped.startswith(_QUOTE_MARKS) and not _REPLY_REF.match(stripped)


def _render_line(line: str, reply_url: Callable[[int], str | None]) -> str:
    """Render one line, escaping everything that is not a link this module built."""
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(line):
        parts.append(escape(line[position : match.start()]))
        if match["url"]:
            parts.append(_render_url(match["url"]))
        else:
            parts.append(_render_reply_ref(match, reply_url))
        position = match.end()
    parts.append(escape(line[position:]))
    html = "".join(parts)
    return f'<span class="quote">{html}</span>' if _is_quote(line) else html


def _reply_number(match: re.Match[str]) -> int:
    """Return the comment number of a >>N match, reading full-width digits too."""
    return int(match["number"].translate(_FULLWIDTH_DIGITS))


def _reply_range(match: re.Match[str]) -> tuple[int, int | None]:
    """The first and last numbers of a >>N or >>N-M match; no last one unless M is past N."""
    start = _reply_number(match)
    if match["end"] is None:
        return start, None
    end = int(match["end"].translate(_FULLWIDTH_DIGITS))
    return start, end if end > start else None


def _render_reply_ref(match: re.Match[str], reply_url: Callable[[int], str | None]) -> str:
    """Render >>N as a link, and >>N-M as links to its ends; text where there is no comment."""
    start, end = _reply_range(match)
    url = reply_url(start)
    if not url:
        return escape(match[0])
    html = format_html(
        '<a class="reply-ref" href="{}" data-number="{}">&gt;&gt;{}</a>', url, start, start
    )
    if match["end"] is None:
        return html
    end_url = reply_url(end) if end is not None else None
    if not end_url:
        return html + escape(match[0][match.start("dash") - match.start() :])
    return html + format_html(
        '{}<a class="reply-ref" href="{}" data-number="{}">{}</a>', match["dash"], end_url, end, end
    )


def _split_url(candidate: str) -> tuple[str, str]:
    """Split a matched URL into the part to link and the text that follows it."""
    url = candidate[:_MAX_URL_LENGTH]
    while url:
        if url[-1] in _TRAILING_PUNCTUATION:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            # "(see http://…)" closes the sentence; "…/Foo_(bar)" belongs to the URL.
            url = url[:-1]
        else:
            break
    return url, candidate[len(url) :]


def _render_url(candidate: str) -> str:
    """Render a matched http(s) URL as a nofollow link followed by any trimmed text."""
    url, tail = _split_url(candidate)
    if url.endswith("://"):
        return escape(candidate)
    link = format_html('<a href="{}" rel="nofollow ugc noopener">{}</a>', url, url)
    return link + escape(tail)
