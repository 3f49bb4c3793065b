"""articles.sql: the statements written out by hand follow the models' names.

Each statement takes its table and column names from the models. So when a column is renamed in
a model (and in the database, as its migration would), the statements still run; one that
spelled a name itself would meet a column that no longer exists.
"""

import pytest
from django.db import connection

from articles import posting, services
from articles.forms import check_form_token
from articles.models import Article, Ban, Comment, RateCounter, ReplyRef, UsedFormToken
from articles.posters import Poster
from articles.sql import instances, names
from articles.tree_checks import find_tree_problems
from search import index
from tests.helpers import form

# Every model a statement of articles.sql reads or writes.
WRITTEN_OUT = (Article, Comment, Ban, RateCounter, ReplyRef, UsedFormToken)


def _forget_statements() -> None:
    names.forget()
    instances._select_lists.clear()
    instances._inserts.clear()
    connection.__dict__.pop("_row_converters", None)


@pytest.fixture
def renamed_columns(db, settings):
    """Every column of those models renamed, in the models and the database, for one test."""
    settings.FORUM_RATE_LIMIT_STORE = "database"  # the counting upsert is among the statements
    if connection.vendor == "postgresql":
        # The search index's trigger functions name the columns they read (search.index).
        index.uninstall(connection)
    quote = connection.ops.quote_name
    renamed = []
    try:
        with connection.cursor() as cursor:
            for model in WRITTEN_OUT:
                for field in model._meta.concrete_fields:
                    new = f"{field.column}_renamed"
                    cursor.execute(
                        f"ALTER TABLE {quote(model._meta.db_table)} "
                        f"RENAME COLUMN {quote(field.column)} TO {quote(new)}"
                    )
                    renamed.append((field, field.column))
                    field.column = new
                    field.__dict__.pop("cached_col", None)
        _forget_statements()
        yield
    finally:  # the database's renames go with the test's transaction
        for field, column in renamed:
            field.column = column
            field.__dict__.pop("cached_col", None)
        _forget_statements()


def test_the_written_out_statements_follow_renamed_columns(renamed_columns):
    assert Comment._meta.get_field("lft").column == "lft_renamed"
    article = Article.objects.create(title="改名", slug="renamed", lead="リード")
    poster = Poster(account=None, ip_hash="hash", key="key")
    first = posting.comment_post(
        article=article, parent=None, body="最初", author_name="", poster=poster
    ).comment
    key = check_form_token(form({})["issued"])
    reply = posting.comment_post(
        article=article, parent=first, body=">>1\n返信", author_name="", poster=poster, form_key=key
    ).comment
    again = posting.comment_post(
        article=article, parent=first, body=">>1\n返信", author_name="", poster=poster, form_key=key
    )
    assert (again.comment.pk, again.repeated) == (reply.pk, True)
    deeper = services.comment_create(article=article, parent=reply, body="さらに")

    assert [(c.number, c.level, c.lft, c.rght) for c in article.comments.order_by("lft")] == [
        (1, 0, 1, 6),
        (2, 1, 2, 5),
        (3, 2, 3, 4),
    ]
    assert ReplyRef.objects.get().source == reply
    assert UsedFormToken.objects.get().comment == reply
    assert RateCounter.objects.exists()
    assert not find_tree_problems()
    found = Comment.objects.get_with_article(slug="renamed", number=deeper.number)
    assert (found.pk, found.article.slug) == (deeper.pk, "renamed")

    Ban.objects.create(ip_hash="hash", reason="テスト")
    with pytest.raises(posting.Refused) as refused:
        posting.comment_post(
            article=article, parent=first, body="禁止", author_name="", poster=poster
        )
    assert refused.value.status == 403


def test_a_statement_that_spells_a_column_fails_once_it_is_renamed(renamed_columns, monkeypatch):
    """The control: the test above would catch a name written into a statement."""
    from articles.sql import comments

    monkeypatch.setattr(
        comments, "_PLACE", comments._PLACE.replace("node.{tree_id}", "node.tree_id")
    )
    article = Article.objects.create(title="改名", slug="renamed", lead="リード")
    first = services.comment_create(article=article, parent=None, body="最初")
    with pytest.raises(Exception, match="tree_id"):
        services.comment_create(article=article, parent=first, body="返信")
