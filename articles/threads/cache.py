"""The fragment cache: each thread's HTML, and the article's, cached under keys holding their
versions, so that a cached fragment is never stale and nothing needs deleting."""

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from ..boards import ids, trips
from ..models import Article, Comment, ImageCredit, Link
from . import layout as layout_module
from . import rows as rows_module
from .layout import PUBLIC, Viewer, backlinks_for, layout
from .rows import render_items


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


@functools.cache
def thread_markup() -> str:
    return markup_fingerprint(layout_module.__file__, rows_module.__file__, trips.__file__)


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
    daily_ids = ids.shown_for(article)
    context = (
        f"{thread_markup()}:{article.pk}:{article.slug}:{max_depth}:{int(daily_ids)}:"
        f"{get_language()}:{get_current_timezone_name()}"
    )
    keys = {
        tree_id: f"{context}:{tree_id}:{version}"
        for tree_id, version in threads
        if tree_id not in personal
    }
    cache = caches[settings.RENDERED_CACHE]
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
                daily_ids=daily_ids,
            )
            html[tree_id] = render_items(rows, article_url=article_url)
        cache.set_many({keys[tree_id]: html[tree_id] for tree_id in missing if tree_id in keys})
    items = "".join(html[tree_id] for tree_id, _ in threads)
    return mark_safe(f'<ol class="comment-tree">{items}</ol>' if items else "")


ARTICLE_TEMPLATES = (
    "articles/_article.html",
    "articles/_image_credit.html",
    "articles/_picture.html",
    "articles/_image_source.html",
)


@functools.cache
def article_markup() -> str:
    """The article's markup: its templates (found on first use, not at import), and
    _article_body, here, which decides what they get."""
    return markup_fingerprint(
        __file__, *(get_template(name).origin.name for name in ARTICLE_TEMPLATES)
    )


def _article_body(article: Article) -> dict:
    """The article's blocks with the credits of the images after each, and its links."""
    credits = list(article.image_credits.all())
    after: dict[int, list[ImageCredit]] = {}
    for credit in credits:
        if credit.role == ImageCredit.Role.INLINE:
            after.setdefault(credit.after_paragraph, []).append(credit)
    links = list(article.links.all())
    blocks = article.blocks.select_related("image")
    return {
        "leading_credits": after.get(0, []),
        "body": [(block, after.get(block.position, [])) for block in blocks],
        "featured_credit": next((c for c in credits if c.role == ImageCredit.Role.FEATURED), None),
        "references": [link for link in links if link.kind == Link.Kind.REFERENCE],
        "related": [link for link in links if link.kind == Link.Kind.RELATED],
    }


def article_html(article: Article) -> SafeString:
    """The article itself as its page shows it, cached under its content version.

    Every write to what it shows gives the article a new version (Article.save and
    services.article_content_changed), so the cached copy is never stale; it saves the page
    three queries and most of its rendering.
    """
    key = (
        f"article:{article_markup()}:{article.pk}:{article.content_version}:"
        f"{get_language()}:{get_current_timezone_name()}"
    )
    cache = caches[settings.RENDERED_CACHE]
    html = cache.get(key)
    if html is None:
        context = {"article": article, **_article_body(article)}
        html = render_to_string(ARTICLE_TEMPLATES[0], context)
        cache.set(key, html)
    return mark_safe(html)
