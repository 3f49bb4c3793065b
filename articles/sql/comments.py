"""The statements of comment-tree writes that the ORM (or django-mptt) cannot send as fast: the
article's next comment number, and a reply's place, room and insert in one round trip."""

from django.db import connection, connections
from django.utils import timezone

from ..models import Article, Comment, new_version
from .instances import Derived, from_row, select_list, without_flush_wait
from .names import quoted_names


def take_comment_number(article_id: int, *, even_if_closed: bool) -> int | None:
    """Add one to the article's last comment number and return it; None (and nothing written)
    if its comments are closed, unless ``even_if_closed``."""
    with connection.cursor() as cursor:
        # Its commit need not wait for the disk: the comment's own commit, which does, comes after.
        cursor.execute(
            "UPDATE {article} SET {last_comment_number} = {last_comment_number} + 1 "
            "WHERE {id} = %s AND ({comments_open} OR %s) "
            "RETURNING {last_comment_number}".format_map(quoted_names(Article, connection))
            + without_flush_wait(connection),
            [article_id, even_if_closed],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


# A constraint of the database only (migration 0002), so that it can be deferred.
NESTED_SET_UNIQUE = "comment_unique_tree_lft"


def defer_nested_set_checks() -> None:
    """On PostgreSQL, check the nested sets' uniqueness at commit rather than per statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            quoted = connection.ops.quote_name(NESTED_SET_UNIQUE)
            cursor.execute(f"SET CONSTRAINTS {quoted} DEFERRED")


def _names() -> dict[str, str]:
    return quoted_names(Comment, connection)


def by_number(comment: Comment, attname: str) -> Derived:
    """``attname`` set to the key of ``comment``, found by its number (it may not be saved yet)."""
    return Derived(
        {attname: "source.{id}".format_map(_names())},
        "FROM {comment} source WHERE source.{article} = %s AND source.{number} = %s".format_map(
            _names()
        ),
        [comment.article_id, comment.number],
    )


# Where the parent stands now (aliases: node, the parent; root, its thread's first comment).
_PLACE = """\
SELECT node.{tree_id}, node.{status},
    (SELECT COUNT(*) FROM {comment} earlier
     WHERE earlier.{article} = node.{article} AND earlier.{parent} IS NULL
     AND earlier.{number} < root.{number}),
    EXISTS (SELECT 1 FROM {comment} held
     WHERE held.{tree_id} = node.{tree_id} AND held.{lft} <= node.{lft}
     AND held.{rght} >= node.{rght} AND held.{status} = %s)
FROM {comment} node
JOIN {comment} root ON root.{tree_id} = node.{tree_id} AND root.{lft} = 1
WHERE node.{id} = %s"""


def send_place_query(cursor, parent: Comment):
    """Send the query of where the parent stands now: its tree id, its status, how many of the
    article's threads started before its own, and whether it or a comment above it is held;
    return the cursor to read it from."""
    cursor.execute(_PLACE.format_map(_names()), [Comment.Status.PENDING.value, parent.pk])
    return cursor


def open_parent(parent: Comment) -> tuple[str, list]:
    """SQL finding the parent's row, ``parent``, if it is in the tree that is locked (one it was
    moved out of is not: nothing is written there, and the write is sent again)."""
    return (
        "FROM {comment} parent WHERE parent.{id} = %s AND parent.{tree_id} = %s".format_map(
            _names()
        ),
        [parent.pk, parent.tree_id],
    )


# django-mptt's insert_node for a last reply; room.edge is the parent's rght before it.
_MAKE_ROOM = """\
UPDATE {comment} SET
    {lft} = CASE WHEN {lft} > room.edge THEN {lft} + 2 ELSE {lft} END,
    {rght} = {rght} + 2,
    {thread_version} = CASE WHEN {lft} = 1 THEN %s ELSE {thread_version} END
FROM (SELECT parent.{rght} AS edge {source}) room
WHERE {tree_id} = %s AND {rght} >= room.edge"""


def make_room(cursor, parent: Comment, open_parent: tuple[str, list]) -> None:
    """Make room for a last reply to the parent: what django-mptt's insert_node does, in one
    statement that also gives the thread a new version (the first comment's rght always moves),
    with the parent's rght read by the statement itself."""
    source, params = open_parent
    cursor.execute(
        _MAKE_ROOM.format_map({**_names(), "source": source}),
        [new_version(), *params, parent.tree_id],
    )


def under(open_parent: tuple[str, list]) -> Derived:
    """The new reply's place, taken from the parent's row once room is made: its parent's old
    rght and the one after it, one level deeper."""
    source, params = open_parent
    names = _names()
    return Derived(
        {
            "tree_id": "parent.{tree_id}".format_map(names),
            "lft": "parent.{rght} - 2".format_map(names),
            "rght": "parent.{rght} - 1".format_map(names),
            "level": "parent.{level} + 1".format_map(names),
        },
        source,
        params,
    )


_WITH_ARTICLE = """\
SELECT {comment_columns}, {article_columns}
FROM {comment} c JOIN {article} a ON a.{article_pk} = c.{article_fk}
WHERE a.{slug} = %s AND a.{status} = %s AND a.{published_at} <= %s AND c.{number} = %s"""


def comment_with_article(*, slug: str, number: int, using: str) -> Comment | None:
    """Comment ``number`` of the published article ``slug``, with its article loaded (what
    ``select_related("article")`` would load); or None. For ``Comment.objects.get_with_article``."""
    connection = connections[using]
    low, high = connection.ops.integer_field_range(
        Comment._meta.get_field("number").get_internal_type()
    )
    if not low <= number <= high:
        return None  # no such comment; the database would refuse the value
    c, a = quoted_names(Comment, connection), quoted_names(Article, connection)
    statement = _WITH_ARTICLE.format(
        comment_columns=select_list(Comment, connection, "c"),
        article_columns=select_list(Article, connection, "a"),
        comment=c["comment"],
        article=a["article"],
        article_pk=a["id"],
        article_fk=c["article"],
        slug=a["slug"],
        status=a["status"],
        published_at=a["published_at"],
        number=c["number"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                slug,
                Article.Status.PUBLISHED,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                number,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Comment._meta.concrete_fields)
    comment = from_row(Comment, row[:split], connection)
    comment.article = from_row(Article, row[split:], connection)
    return comment
