"""Who sees what of a comment tree (``Viewer``), and the tree laid out as rows of nested lists,
from one ordered query."""

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from ..models import Comment, ReplyRef
from ..text import render_stored_body

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


PUBLIC = Viewer()


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
    poster_id: str = ""  # the poster's daily ID, where the article shows them
    by_starter: bool = False  # a reply by the poster of the thread's first comment (スレ主)


def body_html(comment: Comment, *, article_url: str) -> SafeString:
    """The comment's stored HTML; for a row written around the services, rendered the same way."""
    if comment.body_html:
        return mark_safe(comment.body_html)
    return render_stored_body(comment.body, article_url=article_url, number=comment.number)


def reply_count(comment: Comment) -> int:
    return (comment.rght - comment.lft - 1) // 2


@functools.cache
def _labels(language: str | None) -> dict[str, str]:
    """The rows' labels (read out by screen readers) in the active language, not yet escaped."""
    return {
        "thread": gettext("comment #%(number)d"),
        "reply": gettext("level %(level)d reply to #%(parent)d"),
        "orphan": gettext("level %(level)d reply"),
    }


def layout(
    comments: Iterable[Comment],
    *,
    base_level: int = 0,
    article_url: str,
    backlinks: dict[int, list[int]] | None = None,
    viewer: Viewer = PUBLIC,
    collapsible: bool = True,
    max_depth: int = MAX_DEPTH,
    known_numbers: dict[int, int] | None = None,
    daily_ids: bool = False,
    starter_id: str = "",
) -> list[Row]:
    """Rows for comments given in tree order, nesting at most max_depth levels below base_level.

    known_numbers maps the ids of comments not given (the ancestors on a comment's own page) to
    their numbers, so that a reply to one of them says which comment it answers. With
    ``daily_ids``, rows carry their posters' daily IDs and mark the replies of the thread's
    first poster: ``starter_id`` is that poster's ID when the first comment is not given (and
    the viewer sees it: a removed or deleted one marks nobody).
    """
    starters: dict[int, str] = {}
    numbers: dict[int, int] = dict(known_numbers or {})
    labels = _labels(get_language())
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
            row.label = labels["thread"] % {"number": comment.number}
        else:
            row.label = (
                labels["reply"] % {"level": comment.level, "parent": parent_number}
                if parent_number
                else labels["orphan"] % {"level": comment.level}
            )
        if comment.level == 0:
            # A first comment the reader cannot see has no ID on the page: nothing to link to.
            starters[comment.tree_id] = comment.daily_id if viewer.shows_text(comment) else ""
        if viewer.shows_text(comment):
            row.body_html = body_html(comment, article_url=article_url)
            if daily_ids and comment.daily_id:
                row.poster_id = comment.daily_id
                row.by_starter = comment.level > 0 and comment.daily_id == starters.get(
                    comment.tree_id, starter_id
                )
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
