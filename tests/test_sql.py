"""articles.sql and reactions.sql: the statements written out by hand follow the models' names,
and load what the ORM would.

Each statement takes its table and column names from the models. So when a column is renamed in
a model (and in the database, as its migration would), the statements still run; one that
spelled a name itself would meet a column that no longer exists.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from articles import page_cache, posting, publishing, services
from articles.forms import check_form_token
from articles.models import (
    Article,
    Ban,
    Comment,
    Image,
    RateCounter,
    ReplyRef,
    UsedFormToken,
)
from articles.posters import Poster
from articles.sql import ancestors, instances, names
from articles.sql.article_page import published_article
from articles.tree_checks import find_tree_problems
from reactions import reacting
from reactions import sql as reaction_sql
from reactions.models import Reaction
from search import index
from tests.helpers import form, image_bytes

# Every model a statement of articles.sql or reactions.sql reads or writes (the account model
# too, read by the article page's statement, but renaming its columns would break logging in).
WRITTEN_OUT = (Article, Comment, Ban, RateCounter, ReplyRef, UsedFormToken, Reaction, Image)


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
    assert ancestors.reply_counts_above([deeper.pk]) == {1: 2, 2: 1}

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


def test_the_article_page_and_reaction_statements_follow_renamed_columns(renamed_columns):
    article = Article.objects.create(title="改名", slug="renamed", lead="リード")
    first = services.comment_create(article=article, parent=None, body="最初")
    services.comment_create(article=article, parent=first, body="返信")
    found = published_article("renamed")
    assert (found.pk, found.author, found.featured_image) == (article.pk, None, None)
    comment = Comment.objects.get_with_article(slug="renamed", number=1)
    poster = Poster(account=None, ip_hash="hash", key="key")
    reacted = reacting.reaction_toggle(comment=comment, kind="agree", poster=poster)
    assert (reacted.counts["agree"], reacted.mine) == (1, "agree")
    changed = reacting.reaction_toggle(comment=comment, kind="disagree", poster=poster)
    assert (changed.counts["agree"], changed.counts["disagree"]) == (0, 1)
    assert reaction_sql.reacted_counts(article.pk, [first.tree_id], 6) == [(1, 0, 0, 1)]
    assert reaction_sql.reacted_counts(article.pk, None, 6) == [(1, 0, 0, 1)]
    withdrawn = reacting.reaction_toggle(comment=comment, kind="disagree", poster=poster)
    assert (withdrawn.counts["disagree"], withdrawn.mine) == (0, None)
    assert not Reaction.objects.exists()


def test_the_article_page_statement_loads_what_the_orm_loads(db, media_root, post):
    author = User.objects.create_user("writer", is_staff=True, first_name="太郎", last_name="山田")
    upload = SimpleUploadedFile("tank.png", image_bytes(600, 400), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="戦車", source="Mil.ru", licence="CC BY 4.0"),
        file_changed=True,
    )
    article = Article.objects.create(
        title="記事", slug="記事-1", lead="リード", author=author, featured_image=image
    )
    for status in ("published", "published", "hidden", "removed", "pending"):
        comment = post(article)
        Comment.objects.filter(pk=comment.pk).update(status=status)
    orm = (
        Article.objects.with_comment_count()
        .select_related("author", "featured_image")
        .published()
        .get(slug="記事-1")
    )
    found = published_article("記事-1")
    assert page_cache.published_count(found) == orm.comment_count == 2
    fields = [f.attname for f in Article._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert (found.author.pk, found.byline) == (author.pk, orm.byline)
    assert (found.featured_image.pk, found.featured_image.src) == (image.pk, image.src)

    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(hours=1))
    assert published_article("記事-1") is None
    Article.objects.filter(pk=article.pk).update(
        published_at=timezone.now(), status=Article.Status.DRAFT
    )
    assert published_article("記事-1") is None
    assert published_article("no-such-article") is None
