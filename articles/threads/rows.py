"""The HTML of comment rows: one function per part of a row (header, body, actions, toggle).

Built in Python rather than in a template loop: a page may hold thousands of comments, and a
template's tags cost far more per comment than string joins. Every reader-supplied value is
escaped here; a row's body_html is already safe.
"""

import functools
from datetime import tzinfo
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language, gettext, ngettext

from ..boards.trips import shown_name
from ..models import comment_url
from .layout import Row


@functools.cache
def _words(language: str | None) -> dict[str, str]:
    """The words of every comment's markup, escaped, in the active language."""
    return {
        "permalink": escape(gettext("Permalink")),
        "anonymous": escape(gettext("Anonymous")),
        "removed": escape(gettext("This comment has been removed.")),
        "replies": escape(gettext("Replies:")),
        "reply": escape(gettext("Reply")),
        "quote": escape(gettext("Quote")),
        "edit": escape(gettext("Edit")),
        "delete": escape(gettext("Delete")),
        "report": escape(gettext("Report")),
        "staff": escape(gettext("Staff")),
        "edited": escape(gettext("Edited")),
        # The mark of the thread starter's replies in their own thread (スレ主).
        "starter": escape(gettext("OP")),
        "starter_title": escape(gettext("Posted by the poster of this thread's first comment")),
        "poster_id": escape(gettext("This poster's ID in this article, for the day of posting")),
    }


# Per language and count, not per comment: translations are looked up through a context-local,
# which costs more than the rest of a row.
@functools.cache
def _toggle_texts(language: str | None, count: int) -> str:
    hide = ngettext("Hide %(counter)s reply", "Hide %(counter)s replies", count)
    show = ngettext("Show %(counter)s hidden reply", "Show %(counter)s hidden replies", count)
    return (
        f'<span class="when-open">{escape(hide % {"counter": count})}</span>'
        f'<span class="when-closed">{escape(show % {"counter": count})}</span>'
    )


@functools.cache
def _continue_text(language: str | None, count: int) -> str:
    more = ngettext(
        "Continue this thread (%(counter)s reply)",
        "Continue this thread (%(counter)s replies)",
        count,
    )
    return escape(more % {"counter": count})


# Each part appends its strings to the row's list: one join per page, not one per part.


def header(out: list[str], row: Row, url: str, words: dict[str, str], timezone: tzinfo) -> None:
    """The opening of the row's <article> and its header: number, author, dates, status."""
    c = row.comment
    n = c.number
    classes = "comment" if row.body_html else "comment is-gone"
    created = c.created_at.astimezone(timezone)
    name = ""
    # What the mute lists (static/js/mute.js) match on: public, like the name and ID shown.
    muting = ""
    if row.body_html:
        # The stored name (a trip without a name, by its code alone, in any language).
        muted = escape(c.author_name) if c.author_name else words["anonymous"]
        muting = f' data-name="{muted}"'
        name = escape(shown_name(c.author_name))
        if row.poster_id:
            muting += f' data-poster-id="{row.poster_id}"'
    out.append(
        f'<article class="{classes}" id="c{n}" data-number="{n}"{muting} '
        f'aria-label="{escape(row.label)}">'
        f'<header class="comment-header"><a class="number" href="{url}" '
        f'title="{words["permalink"]}">{n}</a>'
    )
    if row.body_html:
        out.append(f' <span class="author">{name}</span>')
        if c.by_staff:
            out.append(f' <span class="staff-badge">{words["staff"]}</span>')
        if row.poster_id:
            out.append(
                f' <span class="poster-id" title="{words["poster_id"]}">ID:{row.poster_id}</span>'
            )
        if row.by_starter:
            out.append(
                f' <span class="starter-mark" title="{words["starter_title"]}">'
                f"{words['starter']}</span>"
            )
    out.append(f' <time datetime="{created.isoformat()}">{created:%Y/%m/%d %H:%M}</time>')
    if c.edited_at is not None and row.body_html:
        edited = c.edited_at.astimezone(timezone)
        out.append(
            f' <span class="edited">{words["edited"]} '
            f'<time datetime="{edited.isoformat()}">{edited:%Y/%m/%d %H:%M}</time></span>'
        )
    if row.status_label:
        out.append(f' <span class="status-label">{escape(row.status_label)}</span>')
    out.append("</header>")


def body(out: list[str], row: Row, article_url: str, words: dict[str, str]) -> None:
    """The comment's text (or that it was removed), and the numbers of the comments answering it."""
    if row.body_html:
        out.append(f'<div class="comment-body">{row.body_html}</div>')
    else:
        out.append(f'<p class="placeholder">{words["removed"]}</p>')
    if row.backlinks:
        links = "".join(
            f' <a class="reply-ref" href="{comment_url(article_url, b)}" data-number="{b}">'
            f"&gt;&gt;{b}</a>"
            for b in row.backlinks
        )
        out.append(f'<p class="backlinks">{words["replies"]}{links}</p>')


def actions(
    out: list[str], row: Row, url: str, words: dict[str, str], language: str | None
) -> None:
    """The row's footer: reply, quote, permalink, edit and delete or report, and the toggle."""
    out.append('<footer class="actions">')
    open_for_replies = row.body_html and not row.status_label
    if open_for_replies:
        reactions_slot(out, row)
        out.append(
            f'<a class="action" data-action="reply" href="{url}reply/">{words["reply"]}</a> '
            f'<a class="action" data-action="quote" href="{url}reply/?quote=1">'
            f"{words['quote']}</a> "
        )
    out.append(f'<a class="action" href="{url}">{words["permalink"]}</a> ')
    if row.changeable:
        out.append(
            f'<a class="action" href="{url}edit/">{words["edit"]}</a> '
            f'<a class="action" href="{url}delete/">{words["delete"]}</a> '
        )
    elif open_for_replies:
        out.append(f'<a class="action" href="{url}report/">{words["report"]}</a> ')
    if row.reply_count and not row.continues:
        toggle(out, row, language)
    out.append("</footer>")


def reactions_slot(out: list[str], row: Row) -> None:
    """Where the comment's reaction buttons go: counts change too often to be cached with the
    thread, so each page fills the slots (reactions.buttons)."""
    out.append(f"<!--reactions:{row.comment.number}-->")


def toggle(out: list[str], row: Row, language: str | None) -> None:
    """The button that hides and shows the row's replies, nested under it."""
    out.append(
        f'<button type="button" class="toggle" aria-expanded="true" '
        f'aria-controls="r{row.comment.number}" data-count="{row.reply_count}" hidden>'
        f"{_toggle_texts(language, row.reply_count)}</button>"
    )


def continuation(out: list[str], row: Row, url: str, language: str | None) -> None:
    """The link to the row's replies beyond the nesting shown here, on its own page."""
    text = _continue_text(language, row.reply_count)
    out.append(f'<p class="continue"><a href="{url}">{text}</a></p>')


def render_items(rows: list[Row], *, article_url: str) -> str:
    """The rows as <li> items with their replies nested in <ol>; the first row is at depth 0."""
    language = get_language()
    words = _words(language)
    timezone = get_current_timezone()
    out: list[str] = []
    for index, row in enumerate(rows):
        url = comment_url(article_url, row.comment.number)
        if index and row.opens:
            out.append(f'<ol class="replies" id="r{row.parent_number}">')
        elif index:
            out.append("</li>")
        out.append(f'<li class="comment-item depth-{row.depth}">')
        header(out, row, url, words, timezone)
        body(out, row, article_url, words)
        actions(out, row, url, words, language)
        if row.continues:
            continuation(out, row, url, language)
        out.append("</article>")
        out.append("</li></ol>" * row.closes)
    if rows:
        out.append("</li>")
    return "".join(out)


def render_rows(rows: list[Row], *, article_url: str) -> SafeString:
    """The rows as one nested list (<ol class="comment-tree">)."""
    if not rows:
        return mark_safe("")
    return mark_safe(f'<ol class="comment-tree">{render_items(rows, article_url=article_url)}</ol>')
