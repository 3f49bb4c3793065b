"""articles.sql.bulk: rows copied in are the rows bulk_create would write."""

from datetime import UTC, datetime

from django.db import connection, transaction

from articles.models import Comment
from articles.sql import bulk


def _pair(article, number: int) -> Comment:
    return Comment(
        article=article,
        number=number,
        body="本文 <b>&",
        body_html="<p>本文</p>",
        author_name="名前",
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        ip_hash="ab" * 32,
        status=Comment.Status.PENDING,
        import_ref=f"wp:{number}",
        tree_id=1_000_000 + number,
        lft=1,
        rght=2,
        level=0,
        by_staff=True,
        open_reports=True,  # a bool for an integer column is prepared as the ORM prepares it
    )


def test_copied_rows_are_what_bulk_create_writes(article):
    with transaction.atomic():
        copied = [_pair(article, 1)]
        reserved = bulk.reserve_ids(Comment, 1)
        assert (reserved is None) == (connection.vendor != "postgresql")
        if reserved is not None:
            copied[0].pk = reserved[0]
        bulk.insert(copied)
        created = Comment.objects.bulk_create([_pair(article, 2)])
    assert copied[0].pk is not None
    assert not copied[0]._state.adding
    rows = {c["number"]: c for c in Comment.objects.values()}
    for row in rows.values():
        del row["id"]
        row["number"] = row["tree_id"] = row["import_ref"] = row["thread_version"] = None
    assert rows[1] == rows[2]
    assert rows[1]["open_reports"] == 1
    assert Comment.objects.get(pk=copied[0].pk).body == "本文 <b>&"
    assert created[0].pk != copied[0].pk
