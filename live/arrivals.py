"""The comments posted on an article after a given number, as its page renders them, and those
made public since the page was loaded (a held comment approved, a hidden one shown again).

Readers' pages poll for these (static/js/live.js). A poll is answered from the article's
``last_comment_number``, which every post raises, and its ``publicity_seq``, which every change
of what readers see of comments already numbered raises (``articles.services``): both unchanged,
the answer is a 304 after one small query by the article's slug; changed, the comments are read
by their numbers (the article's unique (article, number) index) and, where the page lacks some
made public later, by the ``publicity_seq`` they were stamped with; never thread by thread.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from articles.boards import ids
from articles.models import Article, Comment, comment_url
from articles.sql.ancestors import reply_counts_above
from articles.text import reply_refs
from articles.threads import PUBLIC, backlinks_for, layout, render_items
from articles.threads.cache import thread_markup
from reactions import buttons as reaction_buttons

# At most this many comments an answer; the page asks again from the last one for the rest.
BATCH = 100


@dataclass(frozen=True)
class Watched:
    """What a poll needs of the article: one row, read on every poll."""

    pk: int
    slug: str
    last_comment_number: int
    publicity_seq: int
    daily_ids: bool
    comments_open: bool


def watched(slug: str) -> Watched | None:
    """The published article ``slug`` and its counter, or None."""
    row = (
        Article.objects.published()
        .filter(slug=slug)
        .values_list(
            "pk", "slug", "last_comment_number", "publicity_seq", "daily_ids", "comments_open"
        )
        .first()
    )
    if row is None:
        return None
    pk, slug, last, seq, daily_ids, comments_open = row
    return Watched(
        pk,
        slug,
        last,
        seq,
        ids.shown_for(Article(daily_ids=daily_ids)),
        comments_open=comments_open,
    )


def etag(article: Watched, *, after: int, since: int | None, max_depth: int) -> str:
    """The answer's validator: it changes with every comment posted on the article and every
    change of what readers see of its comments, and with everything else the answer depends on
    (where it starts, the nesting, the language, the time zone of the dates, and the code and
    translations that make the markup)."""
    context = (
        f"{after}:{since}:{max_depth}:{int(article.daily_ids)}:{int(article.comments_open)}:"
        f"{get_language()}:"
        f"{get_current_timezone_name()}:{thread_markup()}"
    )
    digest = hashlib.sha256(context.encode()).hexdigest()[:12]
    return f'"{article.last_comment_number}.{article.publicity_seq}-{digest}"'


def arrivals(
    request: HttpRequest, article: Watched, *, after: int, since: int | None, max_depth: int
) -> dict:
    """Published comments numbered above ``after`` that any reader sees, each as a page item,
    and (given the article's ``publicity_seq`` the page holds, ``since``) those of any number
    made public after that: they come first, being numbered lower.

    Held, hidden, removed and deleted comments are left out, and so is anything under a held one
    (``Comment.objects.public()``), as the page leaves them out for readers. A comment nested too
    deep for the article page has no HTML: the page links to it instead.
    """
    wanted = Q(number__gt=after)
    if since is not None and since < article.publicity_seq:
        wanted |= Q(public_since_seq__gt=since)
    found = list(
        Comment.objects.public()
        .filter(wanted, article_id=article.pk)
        .annotate(
            parent_number=F("parent__number"),
            # Whose thread it is: its first poster's ID marks their replies (スレ主), while
            # readers see that first comment (a removed or deleted one shows no ID to match).
            starter_id=Subquery(
                Comment.objects.filter(
                    tree_id=OuterRef("tree_id"), level=0, status=Comment.Status.PUBLISHED
                ).values("daily_id")[:1]
            ),
        )
        .order_by("number")[: BATCH + 1]
    )
    more = len(found) > BATCH
    found = found[:BATCH]
    page_article = Article(pk=article.pk, slug=article.slug, comments_open=article.comments_open)
    article_url = page_article.get_absolute_url()
    # Their reaction buttons, with the counts read with them (the page has the form they submit).
    counts = reaction_buttons.comment_counts(found)
    backlinks = backlinks_for(article.pk, [c.number for c in found]) if found else {}
    comments = []
    # The comments above the replies, with the replies each has now: the page's toggles that
    # hide them count them as a reload would.
    replies = reply_counts_above([c.pk for c in found if c.parent_id])
    for comment in found:
        rows = layout(
            [comment],
            article_url=article_url,
            backlinks=backlinks,
            viewer=PUBLIC,
            max_depth=max_depth,
            known_numbers={comment.parent_id: comment.parent_number} if comment.parent_id else None,
            daily_ids=article.daily_ids,
            starter_id=comment.starter_id or "",
        )
        html = ""
        if rows:
            rows[0].closes = 0  # one item on its own: the page has the lists around it
            html = reaction_buttons.fill(
                request,
                render_items(rows, article_url=article_url),
                article=page_article,
                counts=counts,
                mine={},
                with_form=False,
            )
        comments.append(
            {
                "number": comment.number,
                "parent": comment.parent_number,
                "level": comment.level,
                "url": comment_url(article_url, comment.number),
                "html": html,
                # The comments it answers with >>N: their back-links on the page gain it.
                "answers": [n for n in reply_refs(comment.body) if n < comment.number],
            }
        )
    return {
        "last": article.last_comment_number,
        # Where the next poll starts: after the last comment sent, not at the counter. A number
        # is taken (and the counter committed) a moment before its comment is committed:
        # starting at the counter would skip it for good.
        "through": max(found[-1].number, after) if found else after,
        # The next poll's ``since``. Those made public later come first (lower numbers), so a
        # batch cut short has sent them all, unless there were more than BATCH of them (the rest
        # are on the page when it is reloaded). Read with the article: one made public since
        # may come twice, and the page keeps the first.
        "seq": article.publicity_seq,
        "more": more,
        "comments": comments,
        "replies": replies,
    }
