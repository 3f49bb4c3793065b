"""schema.org structured data (JSON-LD) for the article page: a DiscussionForumPosting whose
``comment`` items are the comments the page shows, as any reader sees them.

JSON-LD is data, not script: a browser never runs a ``<script type="application/ld+json">``, so
the Content-Security-Policy stays as strict as it is. Each thread's items are cached like its
HTML (threads.threads_html), under a key holding its version, so a warm page reads nothing more.
"""

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .boards.trips import shown_name
from .models import Article, Comment, comment_url
from .threads import PUBLIC, layout, markup_fingerprint

LINKED_DATA_VERSION = markup_fingerprint(__file__)

# What json_script escapes: no "</script>" nor "<!--" can end the block early.
_JSON_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def json_ld(data: dict) -> SafeString:
    """The data as a JSON-LD block, escaped to stay inside its <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # str.replace, not str.translate: several times faster on a page's 100 KB of JSON.
    for character, escaped in _JSON_ESCAPES:
        text = text.replace(character, escaped)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


def _person(name: str) -> dict:
    return {"@type": "Person", "name": name}


def _thread_items(comments: Iterable[Comment], *, article_url: str, max_depth: int) -> list[dict]:
    """Items for the published comments of one thread that its HTML shows, with paths as URLs."""
    items = []
    for row in layout(comments, article_url=article_url, viewer=PUBLIC, max_depth=max_depth):
        comment = row.comment
        if not comment.is_published:
            continue  # a placeholder on the page: no text, no name
        path = comment_url(article_url, comment.number)
        item = {
            "@type": "Comment",
            "@id": path,
            "url": path,
            "author": _person(shown_name(comment.author_name)),
            "datePublished": comment.created_at.isoformat(),
            "text": comment.body,
        }
        if row.parent_number is not None:
            item["parentItem"] = {"@id": comment_url(article_url, row.parent_number)}
        items.append(item)
    return items


class ThreadItems:
    """The comment items of a page's threads, each thread cached under its version.

    Pass ``remember`` to threads.threads_html as ``on_load``: the threads whose HTML it renders
    then need no query here either.
    """

    def __init__(self, article: Article, *, max_depth: int) -> None:
        self.article = article
        self.max_depth = max_depth
        self.article_url = article.get_absolute_url()
        self.context = (
            f"ld:{LINKED_DATA_VERSION}:{article.pk}:{article.slug}:{max_depth}:{get_language()}"
        )
        self.loaded: dict[int, list[dict]] = {}

    def remember(self, by_tree: dict[int, list[Comment]]) -> None:
        for tree_id, comments in by_tree.items():
            self.loaded[tree_id] = _thread_items(
                comments, article_url=self.article_url, max_depth=self.max_depth
            )

    def items(self, threads: list[tuple[int, int]]) -> list[dict]:
        """Items for the given threads ((tree_id, thread_version) pairs), in their order."""
        if not threads:
            return []
        keys = {tree_id: f"{self.context}:{tree_id}:{version}" for tree_id, version in threads}
        cache = caches[settings.RENDERED_CACHE]
        fresh = {keys[tree_id]: items for tree_id, items in self.loaded.items() if tree_id in keys}
        items = dict(self.loaded)
        wanted = [key for tree_id, key in keys.items() if tree_id not in items]
        cached = cache.get_many(wanted) if wanted else {}
        items.update({tree_id: cached[key] for tree_id, key in keys.items() if key in cached})
        missing = [tree_id for tree_id, _ in threads if tree_id not in items]
        if missing:
            by_tree: dict[int, list[Comment]] = {tree_id: [] for tree_id in missing}
            shown = Comment.objects.filter(tree_id__in=missing, level__lt=self.max_depth)
            for comment in shown.order_by("tree_id", "lft"):
                by_tree[comment.tree_id].append(comment)
            self.remember(by_tree)
            items.update(self.loaded)
            fresh.update({keys[tree_id]: self.loaded[tree_id] for tree_id in missing})
        if fresh:
            cache.set_many(fresh)
        return [item for tree_id, _ in threads for item in items[tree_id]]


def _absolute(root: str, item: dict) -> dict:
    """The item with its addresses (paths of this site, already URI-encoded) made absolute:
    what ``request.build_absolute_uri`` gives, without its parsing for every comment."""
    item = {**item, "@id": root + item["@id"]}
    item["url"] = item["@id"]
    if "parentItem" in item:
        item["parentItem"] = {"@id": root + item["parentItem"]["@id"]}
    return item


def article_posting(
    request: HttpRequest,
    article: Article,
    *,
    comments: list[dict],
    comment_count: int,
) -> SafeString:
    """The article page's JSON-LD: the article, its comment count and the comments shown.

    ``comment_count`` is the figure the lists of articles show (its published comments); the
    items are the published comments of the threads on this page, as deep as the page nests.
    """
    url = request.build_absolute_uri(article.get_absolute_url())
    root = request.build_absolute_uri("/").removesuffix("/")
    if article.byline:
        author = _person(article.byline)
    else:
        author = {"@type": "Organization", "name": gettext("Forum")}
    data = {
        "@context": "https://schema.org",
        "@type": "DiscussionForumPosting",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": article.title,
        "text": article.lead,
        "datePublished": article.published_at.isoformat(),
        "author": author,
        "commentCount": comment_count,
        "comment": [_absolute(root, item) for item in comments],
    }
    if article.featured_image_id:
        data["image"] = request.build_absolute_uri(article.featured_image.src)
    return json_ld(data)
