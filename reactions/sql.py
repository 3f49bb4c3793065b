"""The statements of reactions that the ORM built more slowly than the database answered them:
a tap's (about 2 ms of a 5 ms tap): the comment's row locked and read, the reader's own
reaction read, and the comment's new counts written; and a page's counts of its cached
threads."""

from dataclasses import dataclass

from django.db import connection

from articles.models import Comment
from articles.posters import Poster
from articles.sql.names import quoted_names

from .models import COUNT_FIELDS, Reaction

# Alias: c, the comment.
_LOCKED = """\
SELECT c.{comment[status]},
    EXISTS (SELECT 1 FROM {comment[comment]} held
     WHERE held.{comment[tree_id]} = c.{comment[tree_id]} AND held.{comment[lft]} < c.{comment[lft]}
     AND held.{comment[rght]} > c.{comment[rght]} AND held.{comment[status]} = %s),
    {counts}
FROM {comment[comment]} c
WHERE c.{comment[id]} = %s"""

# Aliases: mine, the reader's reaction (if any); other, anonymous readers' from the address.
_READERS = """\
SELECT mine.{reaction[id]}, mine.{reaction[kind]}, {same_address}
FROM (SELECT 1 AS one) here
LEFT JOIN {reaction[reaction]} mine ON mine.{reaction[comment]} = %s AND {reader}"""

_SAME_ADDRESS = """\
(SELECT COUNT(*) FROM {reaction[reaction]} other
 WHERE other.{reaction[comment]} = %s AND other.{reaction[user]} IS NULL
 AND other.{reaction[ip_hash]} = %s)"""

_COUNTS = (
    "UPDATE {comment[comment]} SET {counts}, {comment[best_score]} = %s WHERE {comment[id]} = %s"
)


@dataclass(frozen=True)
class Locked:
    """A comment's row as it stands under its lock, for a reader about to react to it."""

    status: str
    held_above: bool
    counts: dict[str, int]  # by reaction kind
    mine_id: int | None  # the reader's reaction
    mine_kind: str | None
    same_address: int  # anonymous readers' reactions from the reader's address; 0 for accounts


def _names() -> dict[str, dict[str, str]]:
    return {
        "comment": quoted_names(Comment, connection),
        "reaction": quoted_names(Reaction, connection),
    }


def lock_comment(comment_id: int, poster: Poster) -> Locked | None:
    """Lock the comment's row (until the transaction ends) and read it, then the reader's own
    reaction to it; None if it is gone.

    Two statements, not one: a statement that waited for the lock sees the locked row as it is
    now but every other row as it was when it began, so a reader's second tap, waiting for their
    first, would miss the reaction the first one wrote. The second statement begins once the
    lock is held, and sees it.
    """
    names = _names()
    counts = ", ".join(f"c.{names['comment'][field]}" for field in COUNT_FIELDS.values())
    locked = _LOCKED.format(counts=counts, **names)
    if connection.features.has_select_for_update_of:
        # Not the reaction's row, which may not exist: the comment's orders its readers.
        locked += " FOR NO KEY UPDATE OF c"
    if poster.account is not None:
        reader = "mine.{reaction[user]} = %s".format_map(names)
        same_address = "0"
        params = [comment_id, poster.account.pk]
    else:
        reader = "mine.{reaction[user]} IS NULL AND mine.{reaction[poster_key]} = %s".format_map(
            names
        )
        same_address = _SAME_ADDRESS.format_map(names)
        params = [comment_id, poster.ip_hash, comment_id, poster.key]
    readers = _READERS.format(reader=reader, same_address=same_address, **names)
    with connection.cursor() as cursor:
        cursor.execute(locked, [Comment.Status.PENDING.value, comment_id])
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(readers, params)
        mine_id, mine_kind, same = cursor.fetchone()
    status, held_above, *counted = row
    by_kind = dict(zip(COUNT_FIELDS, counted, strict=True))
    return Locked(status, bool(held_above), by_kind, mine_id, mine_kind, same)


def write_counts(comment_id: int, counts: dict[str, int], best_score: float) -> None:
    names = _names()
    columns = ", ".join(f"{names['comment'][field]} = %s" for field in COUNT_FIELDS.values())
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNTS.format(counts=columns, **names),
            [*(counts[kind] for kind in COUNT_FIELDS), best_score, comment_id],
        )


# Through comment_reacted_idx (the same condition).
_THREAD_COUNTS = """\
SELECT {comment[number]}, {counts} FROM {comment[comment]}
WHERE {comment[article]} = %s AND {comment[level]} < %s{in_threads}
AND ({comment[agree_count]} > 0 OR {comment[insightful_count]} > 0
     OR {comment[disagree_count]} > 0)"""


def reacted_counts(
    article_id: int, tree_ids: list[int] | None, max_depth: int
) -> list[tuple[int, ...]]:
    """(number, each kind's count) of the article's reacted comments above ``max_depth``, in
    the threads ``tree_ids`` (None: in every thread)."""
    names = _names()
    counts = ", ".join(names["comment"][field] for field in COUNT_FIELDS.values())
    in_threads = ""
    params: list = [article_id, max_depth]
    if tree_ids is not None:
        in_threads = " AND {tree_id} IN ({marks})".format(
            tree_id=names["comment"]["tree_id"], marks=", ".join(["%s"] * len(tree_ids))
        )
        params += tree_ids
    sql = _THREAD_COUNTS.format(counts=counts, in_threads=in_threads, **names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
