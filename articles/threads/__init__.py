"""Comment trees as pages show them, by concern: ``layout`` (who sees what, and the rows of nested
lists), ``rows`` (the HTML of a row, part by part) and ``cache`` (the cached fragments: each
thread's HTML, and the article's)."""

from .cache import article_html, markup_fingerprint, threads_html
from .layout import MAX_DEPTH, PUBLIC, Row, Viewer, backlinks_for, body_html, layout
from .rows import render_items, render_rows

__all__ = [
    "MAX_DEPTH",
    "PUBLIC",
    "Row",
    "Viewer",
    "article_html",
    "backlinks_for",
    "body_html",
    "layout",
    "markup_fingerprint",
    "render_items",
    "render_rows",
    "threads_html",
]
