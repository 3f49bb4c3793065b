"""The article page as every reader without a cookie of ours sees it, cached whole.

Most readers of a news article are such readers: not signed in, never posted or reacted here,
no name remembered, no message waiting. Their page differs only in its form tokens (the CSRF
token, masked anew for each response, and the comment form's ``issued`` token), which the cached
copy holds as slots filled for each request, and in its reaction counts, whose slots the view
fills after (``reactions.buttons``), as it does for every page. Everything else the page shows
is in the key: the article's versions and counters, the threads' versions, the page asked for,
the language and time zone, and the markup that renders it. A copy lives a minute
(``PAGE_CACHE_TIMEOUT``), so that nothing the key misses (a site setting, an author's renamed
byline) outlasts that.

Only such a reader's request stores a copy, so a copy holds nothing another reader may not see.
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.core.paginator import Page
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
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
# What the cached copy holds where each response has its own token. Escaped wherever a page shows
# text, a reader's "<" never comes out as "<", so no comment or article can contain one.
CSRF_SLOT = "<!--csrf-token-->"
ISSUED_SLOT = "<!--form-issued-->"
# The query parameters the page reads; a request with any other is not served from the cache
# (the page repeats its address in the log-in and language links).
PARAMETERS = frozenset({"order", "page", "all"})
TEMPLATES = (
    "base.html",
    "articles/article_detail.html",
    "articles/_comment_form.html",
    "articles/_boards.html",
    "articles/_link_preview.html",
    "live/_bar.html",
)


def cacheable(request: HttpRequest) -> bool:
    """Whether this request's page is the one every reader without our cookies gets."""
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in cookies  # signed in, or a message in the session
        and POSTER_COOKIE not in cookies  # their own comments and reactions
        and NAME_COOKIE not in cookies  # the name the form remembers
        and CookieStorage.cookie_name not in cookies  # a message waiting
        and set(request.GET) <= PARAMETERS
    )


@functools.cache
def _markup() -> str:
    """The files that make the page: templates, the code that fills them, the catalogues."""
    from reactions import buttons

    from . import linked_data, views

    sources = [get_template(name).origin.name for name in TEMPLATES]
    sources += [views.__file__, linked_data.__file__, buttons.__file__, __file__]
    fingerprint = fragments.markup_fingerprint(*sources)
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
        getattr(article, "comment_count", None),
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


def fetch(cache_key: str) -> str | None:
    return caches[settings.PAGE_CACHE].get(cache_key)


def store(cache_key: str, html: str) -> None:
    if len(html) <= MAX_LENGTH:
        caches[settings.PAGE_CACHE].set(cache_key, html)


def fill_tokens(request: HttpRequest, html: str) -> str:
    """The copy's token slots filled for this response (``get_token`` also sets the cookie)."""
    return html.replace(escape(CSRF_SLOT), get_token(request)).replace(
        escape(ISSUED_SLOT), form_token()
    )
