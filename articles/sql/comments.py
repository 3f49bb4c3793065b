"""The statements of comment-tree writes that the ORM (or django-mptt) cannot send as fast: the
article's next comment number, and a reply's place, room and insert in one round trip."""

from django.db import connection, connections, models
from django.utils import timezone

from ..models import Article, Comment, new_version
from .instances import Derived, from_row, select_list, without_flush_wait


def take_comment_number(article_id: int, *, even_if_closed: bool) -> int | None:
    """Add one to the article's last comment number and return it; None (and nothing written)
    if its comments are closed, unless ``even_if_closed``."""
    quote = connection.ops.quote_name
    table = quote(Article._meta.db_table)
    last, is_open, pk = (
        quote(Article._meta.get_field(name).column)
        for name in ("last_comment_number", "comments_open", Article._meta.pk.name)
    )
    with connection.cursor() as cursor:
        # Its commit need not wait for the disk: the comment's own commit, which does, comes after.
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {pk} = %s AND ({is_open} OR %s) "
            f"RETURNING {last}{without_flush_wait(connection)}",
            [article_id, even_if_closed],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def defer_nested_set_checks() -> None:
    """On PostgreSQL, check the nested sets' uniqueness at commit rather than per statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS comment_unique_tree_lft DEFERRED")


def by_number(comment: Comment, attname: str) -> Derived:
    """``attname`` set to the key of ``comment``, found by its number (it may not be saved yet)."""
    table = connection.ops.quote_name(Comment._meta.db_table)
    return Derived(
        {attname: "source.id"},
        f"FROM {table} source WHERE source.article_id = %s AND source.number = %s",
        [comment.article_id, comment.number],
    )


def send_place_query(cursor, parent: Comment):
    """Send the query of where the parent stands now: its tree id, its status, and how many of
    the article's threads started before its own; return the cursor to read it from."""
    table = connection.ops.quote_name(Comment._meta.db_table)
    cursor.execute(
        "SELECT node.tree_id, node.status, "
        f"(SELECT COUNT(*) FROM {table} earlier WHERE earlier.article_id = node.article_id "
        "AND earlier.parent_id IS NULL AND earlier.number < root.number) "
        f"FROM {table} node "
        f"JOIN {table} root ON root.tree_id = node.tree_id AND root.lft = 1 "
        "WHERE node.id = %s",
        [parent.pk],
    )
    return cursor


def open_parent(parent: Comment) -> tuple[str, list]:
    """SQL finding the parent's row, ``parent``, if it is in the tree that is locked (one it was
    moved out of is not: nothing is written there, and the write is sent again)."""
    table = connection.ops.quote_name(Comment._meta.db_table)
    return (
        f"FROM {table} parent WHERE parent.id = %s AND parent.tree_id = %s",
        [parent.pk, parent.tree_id],
    )


def make_room(cursor, parent: Comment, open_parent: tuple[str, list]) -> None:
    """Make room for a last reply to the parent: what django-mptt's insert_node does, in one
    statement that also gives the thread a new version (the first comment's rght always moves),
    with the parent's rght read by the statement itself."""
    table = connection.ops.quote_name(Comment._meta.db_table)
    source, params = open_parent
    cursor.execute(
        f"UPDATE {table} SET lft = CASE WHEN lft > room.edge THEN lft + 2 ELSE lft END, "
        "rght = rght + 2, "
        "thread_version = CASE WHEN lft = 1 THEN %s ELSE thread_version END "
        f"FROM (SELECT parent.rght AS edge {source}) room "
        "WHERE tree_id = %s AND rght >= room.edge",
        [new_version(), *params, parent.tree_id],
    )


def under(open_parent: tuple[str, list]) -> Derived:
    """The new reply's place, taken from the parent's row once room is made: its parent's old
    rght and the one after it, one level deeper."""
    source, params = open_parent
    return Derived(
        {
            "tree_id": "parent.tree_id",
            "lft": "parent.rght - 2",
            "rght": "parent.rght - 1",
            "level": "parent.level + 1",
        },
        source,
        params,
    )


def comment_with_article(*, slug: str, number: int, using: str) -> Comment | None:
    """Comment ``number`` of the published article ``slug``, with its article loaded (what
    ``select_related("article")`` would load); or None. For ``Comment.objects.get_with_article``."""
    article_field = Comment._meta.get_field("article")
    article_model = Article
    connection = connections[using]
    number_field = Comment._meta.get_field("number")
    low, high = connection.ops.integer_field_range(number_field.get_internal_type())
    if not low <= number <= high:
        return None  # no such comment; the database would refuse the value
    quote = connection.ops.quote_name

    def column(alias: str, model: type[models.Model], name: str) -> str:
        return f"{alias}.{quote(model._meta.get_field(name).column)}"

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select_list(Comment, connection, 'c')}, "
            f"{select_list(article_model, connection, 'a')} "
            f"FROM {quote(Comment._meta.db_table)} c "
            f"JOIN {quote(article_model._meta.db_table)} a "
            f"ON {column('a', article_model, article_model._meta.pk.name)} = "
            f"{column('c', Comment, article_field.name)} "
            f"WHERE {column('a', article_model, 'slug')} = %s "
            f"AND {column('a', article_model, 'status')} = %s "
            f"AND {column('a', article_model, 'published_at')} <= %s "
            f"AND {column('c', Comment, number_field.name)} = %s",
            [
                slug,
                article_model.Status.PUBLISHED,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                number,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Comment._meta.concrete_fields)
    comment = from_row(Comment, row[:split], connection)
    comment.article = from_row(article_model, row[split:], connection)
    return comment
