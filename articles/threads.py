"""Laying out comment trees as nested lists, from one ordered query, without a template per node."""

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, get_current_timezone_name
from django.utils.translation import get_language, gettext, ngettext

from .models import Article, Comment, ReplyRef, comment_url
from .text import render_stored_body

# Replies nest this many levels below the first comment on a page; deeper ones continue on the
# permalink page of the comment at the last level.
MAX_DEPTH = 6


def _never(comment: Comment) -> bool:
    return False


@dataclass(frozen=True)
class Viewer:
    """Who is reading: moderators see hidden and held comments, authors their own held ones."""

    can_moderate: bool = False
    is_author: Callable[[Comment], bool] = _never
    can_change: Callable[[Comment], bool] = _never

    def shows_text(self, comment: Comment) -> bool:
        if comment.is_published:
            return True
        if comment.status in (Comment.Status.HIDDEN, Comment.Status.PENDING) and self.can_moderate:
            return True
        return comment.status == Comment.Status.PENDING and self.is_author(comment)

    def skips(self, comment: Comment) -> bool:
        """Held comments are not there at all for other readers, nor is anything under them."""
        return comment.status == Comment.Status.PENDING and not self.shows_text(comment)


@dataclass
class Row:
    """One comment in a nested list, with the list markup around it."""

    comment: Comment
    depth: int
    opens: bool = False  # an <ol> opens before this item
    closes: int = 0  # how many </li></ol> pairs follow it
    parent_number: int | None = None
    body_html: SafeString | str = ""
    label: str = ""
    reply_count: int = 0
    continues: bool = False  # it has replies beyond MAX_DEPTH, shown on its own page
    backlinks: list[int] = field(default_factory=list)
    changeable: bool = False  # the reader wrote it and may still edit or delete it
    status_label: str = ""  # shown on comments that only some readers see


def body_html(comment: Comment, *, article_url: str) -> SafeString:
    """The comment's stored HTML; for a row written around the services, rendered the same way."""
    if comment.body_html:
        return mark_safe(comment.body_html)
    return render_stored_body(comment.body, article_url=article_url, number=comment.number)


def reply_count(comment: Comment) -> int:
    return (comment.rght - comment.lft - 1) // 2


def layout(
    comments: Iterable[Comment],
    *,
    base_level: int = 0,
    article_url: str,
    backlinks: dict[int, list[int]] | None = None,
    viewer: Viewer = Viewer(),
    collapsible: bool = True,
    max_depth: int = MAX_DEPTH,
    known_numbers: dict[int, int] | None = None,
) -> list[Row]:
    """Rows for comments given in tree order, nesting at most max_depth levels below base_level.

    known_numbers maps the ids of comments not given (the ancestors on a comment's own page) to
    their numbers, so that a reply to one of them says which comment it answers.
    """
    numbers: dict[int, int] = dict(known_numbers or {})
    words = _words(get_language())
    thread_label, reply_label = words["thread_label"], words["reply_label"]
    # Replies of a left-out comment come right after it in tree order, inside its lft…rght.
    rows: list[Row] = []
    backlinks = backlinks or {}
    skipped: tuple[int, int] | None = None  # (tree_id, rght) of a subtree left out
    for comment in comments:
        numbers[comment.pk] = comment.number
        depth = comment.level - base_level
        if depth >= max_depth or depth < 0:
            continue
        if skipped and comment.tree_id == skipped[0] and comment.rght < skipped[1]:
            continue
        if viewer.skips(comment):
            skipped = (comment.tree_id, comment.rght)
            continue
        parent_number = numbers.get(comment.parent_id)
        row = Row(
            comment=comment,
            depth=depth,
            parent_number=parent_number,
            reply_count=reply_count(comment) if collapsible else 0,
            backlinks=backlinks.get(comment.number, []),
            changeable=viewer.can_change(comment),
        )
        row.continues = depth == max_depth - 1 and row.reply_count > 0
        if comment.level == 0:
            row.label = thread_label % {"number": comment.number}
        else:
            row.label = (
                reply_label % {"level": comment.level, "parent": parent_number}
                if parent_number
                else words["orphan_label"] % {"level": comment.level}
            )
        if viewer.shows_text(comment):
            row.body_html = body_html(comment, article_url=article_url)
            if not comment.is_published:
                row.status_label = comment.get_status_display()
        if rows:
            previous = rows[-1]
            row.opens = depth > previous.depth
            previous.closes = max(previous.depth - depth, 0)
        else:
            row.opens = True
        rows.append(row)
    if rows:
        rows[-1].closes = rows[-1].depth
    return rows


# Past this many comments, reading all the article's back-links beats looking each number up.
BACKLINKS_LOOKUP_LIMIT = 500


def backlinks_for(article_id: int, numbers: Iterable[int]) -> dict[int, list[int]]:
    """For each comment number, the numbers of the comments that answer it with >>N."""
    numbers = set(numbers)
    found: dict[int, list[int]] = defaultdict(list)
    refs = ReplyRef.objects.filter(article_id=article_id)
    if len(numbers) <= BACKLINKS_LOOKUP_LIMIT:
        refs = refs.filter(target_number__in=numbers)
    refs = refs.order_by("target_number", "source__number").values_list(
        "target_number", "source__number"
    )
    for target, source in refs:
        if target in numbers:
            found[target].append(source)
    return found


def mark_new(html: str, number: int | None) -> SafeString:
    """Highlight the comment just posted (applied after caching, which is the same for all)."""
    if number is not None:
        html = re.sub(
            rf'<article class="comment([^"]*)" id="c{number}"',
            rf'<article class="comment is-new\1" id="c{number}"',
            html,
            count=1,
        )
    return mark_safe(html)


def render_rows(rows: list[Row], *, article_url: str, new: int | None = None) -> SafeString:
    """The rows as one nested list (<ol class="comment-tree">)."""
    if not rows:
        return mark_safe("")
    return mark_new(
        f'<ol class="comment-tree">{render_items(rows, article_url=article_url)}</ol>', new
    )


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
        "thread_label": gettext("comment #%(number)d"),
        "reply_label": gettext("level %(level)d reply to #%(parent)d"),
        "orphan_label": gettext("level %(level)d reply"),
    }


def render_items(rows: list[Row], *, article_url: str) -> str:
    """The rows as <li> items with their replies nested in <ol>; the first row is at depth 0.

    Built in Python rather than in a template loop: a page may hold thousands of comments, and
    a template's tags cost far more per comment than string joins. Every reader-supplied value
    is escaped here; body_html is already safe.
    """
    words = _words(get_language())

    # Per count, not per comment: translations are looked up through a context-local, which
    # costs more than the rest of a row.
    @functools.cache
    def toggle_texts(count: int) -> str:
        hide = ngettext("Hide %(counter)s reply", "Hide %(counter)s replies", count)
        show = ngettext("Show %(counter)s hidden reply", "Show %(counter)s hidden replies", count)
        return (
            f'<span class="when-open">{escape(hide % {"counter": count})}</span>'
            f'<span class="when-closed">{escape(show % {"counter": count})}</span>'
        )

    @functools.cache
    def continue_text(count: int) -> str:
        more = ngettext(
            "Continue this thread (%(counter)s reply)",
            "Continue this thread (%(counter)s replies)",
            count,
        )
        return escape(more % {"counter": count})

    timezone = get_current_timezone()
    out: list[str] = []
    for index, row in enumerate(rows):
        c = row.comment
        n = c.number
        url = comment_url(article_url, n)
        if index and row.opens:
            out.append(f'<ol class="replies" id="r{row.parent_number}">')
        elif index:
            out.append("</li>")
        classes = "comment"
        if not row.body_html:
            classes += " is-gone"
        created = c.created_at.astimezone(timezone)
        out.append(
            f'<li class="comment-item depth-{row.depth}">'
            f'<article class="{classes}" id="c{n}" data-number="{n}" '
            f'aria-label="{escape(row.label)}">'
            f'<header class="comment-header"><a class="number" href="{url}" '
            f'title="{words["permalink"]}">{n}</a>'
        )
        if row.body_html:
            name = escape(c.author_name) if c.author_name else words["anonymous"]
            out.append(f' <span class="author">{name}</span>')
            if c.by_staff:
                out.append(f' <span class="staff-badge">{words["staff"]}</span>')
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
        out.append('<footer class="actions">')
        open_for_replies = row.body_html and not row.status_label
        if open_for_replies:
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
        count = row.reply_count
        if count and not row.continues:
            out.append(
                f'<button type="button" class="toggle" aria-expanded="true" '
                f'aria-controls="r{n}" hidden>{toggle_texts(count)}</button>'
            )
        out.append("</footer>")
        if row.continues:
            out.append(f'<p class="continue"><a href="{url}">{continue_text(count)}</a></p>')
        out.append("</article>")
        out.append("</li></ol>" * row.closes)
    if rows:
        out.append("</li>")
    return "".join(out)


def markup_fingerprint(*sources: str | Path) -> str:
    """Part of every cached fragment's key: it changes with the files that make its markup and
    with the translations, so that a deploy never serves HTML cached by the code it replaces."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source).read_bytes())
    for path in sorted(Path(p) for p in settings.LOCALE_PATHS):
        for catalog in sorted(path.glob("*/LC_MESSAGES/django.mo")):
            digest.update(catalog.read_bytes())
    return digest.hexdigest()[:12]


THREAD_MARKUP = markup_fingerprint(__file__)
PUBLIC = Viewer()


def threads_html(
    article: Article,
    threads: list[tuple[int, int]],
    *,
    max_depth: int,
    viewer: Viewer,
    personal: set[int],
    on_load: Callable[[dict[int, list[Comment]]], None] | None = None,
) -> SafeString:
    """The given threads ((tree_id, thread_version) pairs) as one comment list.

    Each thread as any reader sees it is cached under a key holding its version, which every
    write to it changes (articles.services), so a cached thread is never stale and nothing needs
    deleting. Threads in ``personal`` show something only to this viewer (their held comments, or
    edit links on their recent ones), so they are rendered for this viewer and not cached.
    ``on_load`` gets the comments read for threads not cached, by thread, so that what else the
    page makes of them (linked_data) needs no query of its own.
    """
    if not threads:
        return mark_safe("")
    article_url = article.get_absolute_url()
    # Everything else the HTML depends on: the markup, the article, the nesting, the language
    # and the time zone of the dates shown.
    context = (
        f"{THREAD_MARKUP}:{article.pk}:{article.slug}:{max_depth}:"
        f"{get_language()}:{get_current_timezone_name()}"
    )
    keys = {
        tree_id: f"{context}:{tree_id}:{version}"
        for tree_id, version in threads
        if tree_id not in personal
    }
    cache = caches["threads"]
    cached = cache.get_many(keys.values())
    html = {tree_id: cached[key] for tree_id, key in keys.items() if key in cached}
    missing = [tree_id for tree_id, _ in threads if tree_id not in html]
    if missing:
        by_tree: dict[int, list[Comment]] = {tree_id: [] for tree_id in missing}
        # The body is not shown (its stored HTML is), and it is the widest column; the
        # structured data (on_load) gives it as text.
        shown = Comment.objects.filter(tree_id__in=missing, level__lt=max_depth)
        if on_load is None:
            shown = shown.defer("body")
        for comment in shown.order_by("tree_id", "lft"):
            by_tree[comment.tree_id].append(comment)
        if on_load is not None:
            on_load(by_tree)
        backlinks = backlinks_for(article.pk, (c.number for t in by_tree.values() for c in t))
        for tree_id, comments in by_tree.items():
            rows = layout(
                comments,
                article_url=article_url,
                backlinks=backlinks,
                viewer=viewer if tree_id in personal else PUBLIC,
                max_depth=max_depth,
            )
            html[tree_id] = render_items(rows, article_url=article_url)
        cache.set_many({keys[tree_id]: html[tree_id] for tree_id in missing if tree_id in keys})
    items = "".join(html[tree_id] for tree_id, _ in threads)
    return mark_safe(f'<ol class="comment-tree">{items}</ol>' if items else "")
