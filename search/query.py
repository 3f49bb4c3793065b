"""Searching: a reader's query in, querysets of what the public may see out."""

import re
from dataclasses import dataclass

from django.db import connections
from django.db.models import F, Func, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Comment

from .index import normalize

MAX_QUERY_LENGTH = 100
MAX_TERMS = 10
# The trigram indexes (pg_trgm, FTS5's trigram tokenizer) answer terms of three characters or
# more. On PostgreSQL the index is over the text with every character doubled (search.index),
# where a term of two characters or more is found as itself doubled: see doubled().
TRIGRAM = 3


def doubled(text: str) -> str:
    """Every character twice: 中国 → 中中国国.

    A term occurs in a text exactly when the term doubled occurs in the text doubled (at an odd
    offset it could only meet a run of one repeated character, which holds the term as well),
    and a doubled two-character term has trigrams (中中国, 中国国): the index narrows it.
    """
    return "".join(char * 2 for char in text)


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Query":
        """Terms separated by spaces (full-width too), normalised as the index is, each once."""
        return cls(tuple(dict.fromkeys(normalize(text).split())))


def _fts_phrases(terms: tuple[str, ...]) -> str:
    """An FTS5 query: every term as a quoted string, so its operators (NEAR, OR, *) are text."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _matching(queryset: QuerySet, terms: tuple[str, ...], fts_table: str) -> QuerySet:
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        queryset = queryset.alias(
            doubled_text=Func(
                F("search_text__text"), function="search_doubled", output_field=TextField()
            )
        )
    for term in terms:
        # Django escapes %, _ and \ for "contains": every character is matched as itself.
        if vendor == "postgresql" and len(term) >= 2:
            queryset = queryset.filter(doubled_text__contains=doubled(term))
        else:
            queryset = queryset.filter(search_text__text__contains=term)
    long_terms = tuple(term for term in terms if len(term) >= TRIGRAM)
    if long_terms and vendor == "sqlite":
        queryset = queryset.filter(
            pk__in=RawSQL(
                f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s",
                [_fts_phrases(long_terms)],
            )
        )
    return queryset


def comments(query: Query, *, article: Article | None = None) -> QuerySet[Comment]:
    """Published comments of public articles holding every term, newest first."""
    found = Comment.objects.visible().filter(
        article__status=Article.Status.PUBLISHED, article__published_at__lte=timezone.now()
    )
    if article is not None:
        found = found.filter(article=article)
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
