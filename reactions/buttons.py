"""Each comment's reaction buttons, with its counts and the reader's own choice, put into the
page's comment HTML per request.

The thread HTML is cached under its thread's version (``articles.threads.cache``), and a tap must
not throw that away: a busy thread would be rendered again on nearly every view. So the rows
carry only a slot (``articles.threads.rows.reactions_slot``) and the page fills every slot here
from one query for the counts of all its threads, and one for the reader's own reactions
(pressed buttons are the reader's alone, so they cannot be cached for everyone).
"""

import functools
from collections.abc import Callable, Iterable
from html import escape

from django.db.models import Q
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from articles.models import Article, Comment, comment_url
from articles.posters import POSTER_COOKIE, poster_key

from . import sql
from .models import COUNT_FIELDS, Reaction, ReactionKind

# A comment's slot in the cached HTML (articles.threads.rows.reactions_slot): SLOT_OPEN, its
# number, SLOT_CLOSE.
SLOT_OPEN, SLOT_CLOSE = "<!--reactions:", "-->"
FORM_ID = "reaction-form"

Counts = dict[int, tuple[int, ...]]  # comment number: each kind's count, in ReactionKind's order
NO_REACTIONS = (0,) * len(ReactionKind)

# Past this many threads (a page showing all of them), reading the article's reacted comments
# beats listing every thread in the query.
THREADS_LOOKUP_LIMIT = 500


@functools.cache
def _labels(language: str | None) -> tuple[str, ...]:
    return tuple(escape(str(kind.label)) for kind in ReactionKind)


def thread_counts(article: Article, tree_ids: list[int], *, max_depth: int) -> Counts:
    """The counts of the reacted comments shown in these threads, by number: one query."""
    if not tree_ids:
        return {}
    in_threads = tree_ids if len(tree_ids) <= THREADS_LOOKUP_LIMIT else None
    rows = sql.reacted_counts(article.pk, in_threads, max_depth)
    return {number: tuple(counts) for number, *counts in rows}


def comment_counts(comments: Iterable[Comment]) -> Counts:
    """The counts of comments already read (a comment's own page): no query."""
    return {c.number: tuple(getattr(c, field) for field in COUNT_FIELDS.values()) for c in comments}


def _reader(request: HttpRequest) -> Q | None:
    """Which reactions are this reader's; None when they cannot have any (no account, and a
    browser that never reacted or posted here)."""
    if request.user.is_authenticated:
        return Q(user=request.user)
    if request.COOKIES.get(POSTER_COOKIE) is not None:
        return Q(user=None, poster_key=poster_key(request))
    return None


def readers_own(request: HttpRequest, comments: Q) -> dict[int, str]:
    """The reader's reactions to the comments ``comments`` (a filter on Comment) selects, by
    comment number: one query, or none for a reader who cannot have any."""
    reader = _reader(request)
    if reader is None:
        return {}
    on = Comment.objects.filter(comments).values("pk")
    mine = Reaction.objects.filter(reader, comment__in=on)
    return dict(mine.values_list("comment__number", "kind"))


def threads_own(request: HttpRequest, article: Article, tree_ids: list[int]) -> dict[int, str]:
    if not tree_ids:
        return {}
    if len(tree_ids) <= THREADS_LOOKUP_LIMIT:
        return readers_own(request, Q(tree_id__in=tree_ids))
    return readers_own(request, Q(article=article))


def fill_threads(
    request: HttpRequest,
    html: str,
    *,
    article: Article,
    threads: list[tuple[int, int]],
    loaded: dict[int, list[Comment]],
    max_depth: int,
) -> SafeString:
    """``fill`` for an article page's threads ((tree_id, version) pairs): the counts of threads
    rendered afresh come with the comments read for them (``loaded``, by thread), those of
    threads served from the cache from one query. The page carries the form itself
    (``form_html``): comments that arrive live need it even where no thread had buttons."""
    tree_ids = [tree_id for tree_id, _ in threads]
    counts = comment_counts(c for comments in loaded.values() for c in comments)
    cached = [tree_id for tree_id in tree_ids if tree_id not in loaded]
    counts.update(thread_counts(article, cached, max_depth=max_depth))
    mine = threads_own(request, article, tree_ids)
    return fill(request, html, article=article, counts=counts, mine=mine, with_form=False)


def fill(
    request: HttpRequest,
    html: str,
    *,
    article: Article,
    counts: Counts,
    mine: dict[int, str],
    with_form: bool = True,
) -> SafeString:
    """Put each comment's buttons (or, where comments are closed, its counts) into its slot;
    with the form they submit before them unless ``with_form`` is false (the page has it)."""
    if SLOT_OPEN not in html:
        return mark_safe(html)
    labels = _labels(get_language())
    kinds = [str(kind) for kind in ReactionKind]
    article_url = article.get_absolute_url()
    if not article.comments_open:

        def shown(number: int) -> str:
            numbers = counts.get(number, NO_REACTIONS)
            spans = "".join(
                f'<span class="reaction" data-kind="{kind}">{label} '
                f'<span class="reaction-count">{count}</span></span>'
                for kind, label, count in zip(kinds, labels, numbers, strict=True)
            )
            return f'<span class="reactions">{spans}</span>'

        return mark_safe(_fill_slots(html, shown))

    def buttons(number: int) -> str:
        numbers = counts.get(number, NO_REACTIONS)
        pressed = mine.get(number)
        action = f"{comment_url(article_url, number)}react/"
        out = ['<span class="reactions">']
        for kind, label, count in zip(kinds, labels, numbers, strict=True):
            out.append(
                f'<button class="reaction" form="{FORM_ID}" formaction="{action}" name="kind" '
                f'value="{kind}" aria-pressed="{"true" if kind == pressed else "false"}">'
                f'{label} <span class="reaction-count">{count}</span></button>'
            )
        out.append("</span>")
        return "".join(out)

    filled = _fill_slots(html, buttons)
    return mark_safe(form_html(request) + filled if with_form else filled)


def _fill_slots(html: str, content: Callable[[int], str]) -> str:
    """Each slot replaced by ``content`` of its comment number. By splitting rather than with a
    regular expression: on a page of all 10,000 comments (30 MB), a third of the time."""
    pieces = html.split(SLOT_OPEN)
    out = [pieces[0]]
    for piece in pieces[1:]:
        number, close, rest = piece.partition(SLOT_CLOSE)
        if close and number.isascii() and number.isdigit():
            out += [content(int(number)), rest]
        else:  # not a slot (none of ours is written otherwise)
            out += [SLOT_OPEN, piece]
    return "".join(out)


def form_html(request: HttpRequest, *, token: str | None = None) -> SafeString:
    """The page's one reaction form, which every button submits to its comment's address: the
    CSRF token is here once, and the rows hold nothing that differs from request to request.
    ``token`` stands in for the request's own (a cached page's slot)."""
    token = escape(get_token(request) if token is None else token)
    failed = escape(gettext("Your reaction could not be sent. Please try again."))
    return mark_safe(
        f'<form id="{FORM_ID}" class="reaction-form" method="post" data-failed="{failed}" hidden>'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}"></form>'
    )
