"""The article page as every reader without a cookie of ours sees it, cached whole.

Most readers of a news article are such readers: not signed in, never posted or reacted here,
no name remembered, no message waiting. Their page differs only in its form tokens (the CSRF
token, masked anew for each response, and the comment and reply forms' ``issued`` tokens),
which the cached copy holds as slots filled for each response, and in its reaction counts, whose
slots the view fills after (``reactions.buttons``), as it does for every page. Everything else
the page shows is in the key: the article's versions and counters, the threads' versions, the
page asked for, the language and time zone, and the markup that renders it. A copy lives a
minute (``PAGE_CACHE_TIMEOUT``), so that nothing the key misses (a site setting, an author's
renamed byline) outlasts that.

Only such a reader's request stores a copy, so a copy holds nothing another reader may not see.
"""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import django
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.core.paginator import Page
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from .boards import ids
from .forms import form_token
from .models import Article
from .posters import NAME_COOKIE, POSTER_COOKIE
from .threads import cache as fragments

# A page longer than this (all threads of a large article on one page) is not kept: it would
# crowd out many ordinary ones, and is read far less often.
MAX_LENGTH = 1_000_000
# The query parameters the page reads. A request with any other, or with one spelled otherwise
# than the page it gets (the page repeats its address in the log-in and language links), is not
# served from the cache: a copy per made-up address would crowd out the real ones.
PARAMETERS = frozenset({"order", "page", "all"})
TEMPLATES = (
    "base.html",
    "articles/article_detail.html",
    "articles/_comment_form.html",
    "articles/_boards.html",
    "articles/_link_preview.html",
    "live/_bar.html",
)


@dataclass(frozen=True)
class Slots:
    """Where a cached copy holds each response's own tokens: values drawn at random for each
    rendering and kept with the copy, so that no text on the page can hold one."""

    csrf: str
    issued: str  # the comment form's
    reply_issued: str  # the reply form's (the page clones it for each reply)

    @classmethod
    def drawn(cls) -> "Slots":
        return cls(*(f"slot{secrets.token_hex(16)}" for _ in range(3)))


def cacheable(request: HttpRequest, *, order: str, page: Page, show_all: bool) -> bool:
    """Whether this request's page is the one every reader without our cookies gets, asked for
    at its own address."""
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in cookies  # signed in, or a message in the session
        and POSTER_COOKIE not in cookies  # their own comments and reactions
        and NAME_COOKIE not in cookies  # the name the form remembers
        and CookieStorage.cookie_name not in cookies  # a message waiting
        # Not a page of all the threads: long, read far less often, and its token slots would
        # cost more to fill than rendering it with the tokens does.
        and not show_all
        and _canonical(request, order=order, page=page, show_all=show_all)
    )


def _canonical(request: HttpRequest, *, order: str, page: Page, show_all: bool) -> bool:
    query = request.GET
    if set(query) - PARAMETERS or any(len(query.getlist(name)) > 1 for name in query):
        return False
    number = str(page.number)
    return (
        query.get("order", order) == order
        and query.get("page", number) == number
        and query.get("all", "1" if show_all else "") == ("1" if show_all else "")
    )


@functools.cache
def _markup() -> str:
    """The files that make the page: templates, the code that fills them, the catalogues."""
    from live.templatetags import live
    from reactions import buttons

    from . import forms, linked_data, views
    from .boards import trips
    from .templatetags import sharing

    sources = [get_template(name).origin.name for name in TEMPLATES]
    modules = (views, forms, linked_data, buttons, live, sharing, trips)
    sources += [module.__file__ for module in modules] + [__file__]
    # Django's own: its form widgets' templates.
    fingerprint = django.get_version() + fragments.markup_fingerprint(*sources)
    # The static files' hashed names, which a deploy's collectstatic changes.
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and staticfiles_storage.exists(manifest):
        manifest_bytes = Path(staticfiles_storage.path(manifest)).read_bytes()
        fingerprint += hashlib.sha256(manifest_bytes).hexdigest()[:12]
    return fingerprint


def key(request: HttpRequest, article: Article, page: Page, threads: list[tuple[int, int]]) -> str:
    state = (
        article.pk,
        article.slug,
        article.content_version,
        article.last_comment_number,
        article.publicity_seq,
        article.comments_open,
        ids.shown_for(article),  # the site's switch and the article's
        article.byline,
        page.number,
        page.paginator.count,
        tuple(threads),
        request.get_full_path(),
        request.get_host(),
        request.is_secure(),
        get_language(),
        get_current_timezone_name(),
        settings.FORUM_LIVE_POLL_SECONDS,
    )
    digest = hashlib.sha256(repr(state).encode()).hexdigest()
    # The fragments' markup too: the page holds them.
    markup = f"{_markup()}{fragments.thread_markup()}{fragments.article_markup()}"
    return f"page:{markup}:{article.pk}:{digest}"


def published_count(article: Article) -> int:
    """The article's published comments (the figure lists of articles show), cached under the
    counters that every change to them moves: its last comment number (a post) and its
    ``publicity_seq`` (a comment approved, hidden, removed or deleted); a minute at most."""
    key = f"published:{article.pk}:{article.last_comment_number}:{article.publicity_seq}"
    cache = caches[settings.RENDERED_CACHE]
    count = cache.get(key)
    if count is None:
        count = article.comments.visible().count()
        cache.set(key, count, settings.PAGE_CACHE_TIMEOUT)
    return count


def fetch(cache_key: str) -> tuple[Slots, str] | None:
    return caches[settings.PAGE_CACHE].get(cache_key)


def store(cache_key: str, slots: Slots, html: str) -> None:
    if len(html) <= MAX_LENGTH:
        caches[settings.PAGE_CACHE].set(cache_key, (slots, html))


def fill_tokens(request: HttpRequest, slots: Slots, html: str) -> str:
    """The copy's token slots filled for this response (``get_token`` also sets the cookie)."""
    return (
        html.replace(slots.csrf, get_token(request))
        .replace(slots.issued, form_token())
        .replace(slots.reply_issued, form_token())
    )
