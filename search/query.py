"""Searching: a reader's query in, querysets of what the public may see out."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Comment

from .index import doubled, normalize
from .models import CommentText

MAX_QUERY_LENGTH = 100
MAX_TERMS = 10
# The index holds the text doubled (search.index.doubled): a term of two characters or more is
# three or more doubled, enough for the trigram indexes; a single character is matched by LIKE.
TRIGRAM = 3
# A query of single characters only gives the trigram index nothing to narrow by: matching it
# is a scan. It looks through the newest comments only (of the article, when one is given), so
# that its cost has a bound whatever the size of the forum.
SINGLE_CHARACTER_WINDOW = 10_000


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Query":
        """Terms separated by spaces (full-width too), normalised as the index is, each once."""
        return cls(tuple(dict.fromkeys(normalize(text).split())))

    @property
    def single_characters(self) -> bool:
        """Whether no term is long enough for the index (see SINGLE_CHARACTER_WINDOW)."""
        return all(len(doubled(term)) < TRIGRAM for term in self.terms)


def _fts_phrases(terms: tuple[str, ...]) -> str:
    """An FTS5 query: every term as a quoted string, so its operators (NEAR, OR, *) are text."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _matching(queryset: QuerySet, terms: tuple[str, ...], fts_table: str) -> QuerySet:
    for term in terms:
        # Django escapes %, _ and \ for "contains": every character is matched as itself.
        # PostgreSQL's planner takes the trigram index for it by itself.
        queryset = queryset.filter(search_text__text__contains=doubled(term))
    indexed = tuple(doubled(term) for term in terms if len(doubled(term)) >= TRIGRAM)
    if indexed and connections[queryset.db].vendor == "sqlite":
        queryset = queryset.filter(
            pk__in=RawSQL(
                f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s",
                [_fts_phrases(indexed)],
            )
        )
    return queryset


@contextmanager
def custom_plans(using: str = "default") -> Iterator[None]:
    """Plan the searches inside for their own terms, never with a generic plan.

    psycopg prepares a statement the forum repeats, and after five runs PostgreSQL may plan it
    once for any terms: a plan that fetches every comment holding a common term and sorts them
    all, seconds at scale, where walking the newest first stops after a page.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def comments(query: Query, *, article: Article | None = None) -> QuerySet[Comment]:
    """Published comments under no held comment, of public articles, holding every term, newest
    first."""
    found = Comment.objects.public().filter(article__in=Article.objects.published())
    if article is not None:
        found = found.filter(article=article)
    if query.single_characters:
        newest = CommentText.objects.order_by("-created_at")
        if article is not None:
            newest = newest.filter(comment__article=article)
        oldest_looked_at = newest.values_list("created_at", flat=True)[
            SINGLE_CHARACTER_WINDOW - 1 : SINGLE_CHARACTER_WINDOW
        ]
        if oldest_looked_at := list(oldest_looked_at):
            found = found.filter(search_text__created_at__gte=oldest_looked_at[0])
    return (
        _matching(found, query.terms, "search_commenttext_fts")
        .select_related("article")
        .only(
            "number",
            "author_name",
            "body",
            "created_at",
            "article__slug",
            "article__title",
        )
        .order_by("-search_text__created_at", "-pk")
    )


def articles(query: Query) -> QuerySet[Article]:
    """Public articles whose title, lead or body holds every term, newest first."""
    return _matching(Article.objects.published(), query.terms, "search_articletext_fts").only(
        "slug", "title", "lead", "published_at"
    )


def _normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` normalised character by character, with where each character came from."""
    folded = normalize(text)
    if len(folded) == len(text):
        # The usual case (full-width ？ becomes ?, A becomes a): one character for one. Only
        # where the marks go hangs on it, never what is shown or escaped.
        return folded, list(range(len(text)))
    out, origin = [], []
    for i, char in enumerate(text):
        for folded in normalize(char):
            out.append(folded)
            origin.append(i)
    return "".join(out), origin


def snippet(text: str, terms: tuple[str, ...], *, width: int = 120) -> SafeString:
    """About ``width`` characters of ``text`` around its first match, terms in <mark>, escaped."""
    folded, origin = _normalised_with_offsets(text)
    spans = []
    for term in sorted(terms, key=len, reverse=True):
        for match in re.finditer(re.escape(term), folded):
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
    spans.sort()
    first = spans[0][0] if spans else 0
    begin = max(0, min(first - width // 3, len(text) - width))
    end = min(len(text), begin + width)
    parts = ["…" if begin else ""]
    position = begin
    for start, stop in spans:
        if start < position or stop > end:
            continue
        parts += [escape(text[position:start]), "<mark>", escape(text[start:stop]), "</mark>"]
        position = stop
    parts += [escape(text[position:end]), "…" if end < len(text) else ""]
    return mark_safe("".join(parts))
