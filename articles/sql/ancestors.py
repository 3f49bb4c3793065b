"""The comments above given comments, with how many replies each has now: up the parent links
(an index lookup a level), where the nested sets would read each tree from its start."""

from django.db import connection

from ..models import Comment
from .names import quoted_names

_ABOVE = """\
WITH RECURSIVE above (id) AS (
    SELECT {comment[parent]} FROM {comment[comment]}
    WHERE {comment[id]} IN ({ids}) AND {comment[parent]} IS NOT NULL
  UNION
    SELECT c.{comment[parent]} FROM {comment[comment]} c JOIN above ON c.{comment[id]} = above.id
    WHERE c.{comment[parent]} IS NOT NULL
)
SELECT c.{comment[number]}, c.{comment[lft]}, c.{comment[rght]}
FROM {comment[comment]} c WHERE c.{comment[id]} IN (SELECT id FROM above)"""


def reply_counts_above(comment_ids: list[int]) -> dict[int, int]:
    """By number, every comment above these, with its replies at any depth (held ones too, as
    the page's toggles count them: the nested sets')."""
    if not comment_ids:
        return {}
    statement = _ABOVE.format(
        comment=quoted_names(Comment, connection), ids=", ".join(["%s"] * len(comment_ids))
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, comment_ids)
        return {number: (rght - lft - 1) // 2 for number, lft, rght in cursor.fetchall()}
