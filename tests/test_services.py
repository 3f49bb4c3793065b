"""The comment services: every tree write, validated, keeping the trees sound."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DataError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from articles import services
from articles.abuse import limits
from articles.models import Article, Comment, ReplyRef, UsedFormToken
from articles.sql import locks
from articles.tree_checks import find_tree_problems

from .helpers import numbered, tree_shape


def test_replies_nest_under_their_parents_in_posting_order(thread):
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"
    assert find_tree_problems() == {}


def test_a_reply_is_saved_as_the_orm_saves_and_loads_it(thread):
    """Replies are inserted by a statement written out (articles.sql.instances.insert)."""
    from django.db.models.signals import post_save, pre_save

    sent = []

    def record(sender, instance, **kwargs) -> None:
        sent.append((kwargs["signal"], instance.pk, kwargs.get("created")))

    pre_save.connect(record, sender=Comment)
    post_save.connect(record, sender=Comment)
    try:
        reply = services.comment_create(
            article=thread, parent=numbered(thread)[2], body=">>2 返信です", author_name="名無し"
        )
    finally:
        pre_save.disconnect(record, sender=Comment)
        post_save.disconnect(record, sender=Comment)
    assert sent == [(pre_save, None, None), (post_save, reply.pk, True)]
    loaded = Comment.objects.get(pk=reply.pk)
    for field in Comment._meta.concrete_fields:
        got, want = getattr(reply, field.attname), getattr(loaded, field.attname)
        assert got == want, field.name
        assert isinstance(got, type(want)), field.name  # body_html: a SafeString, as save() too
    assert reply._state.adding is False
    assert reply._state.db == loaded._state.db
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n    #6 >>2 返信です\n  #4 四\n#5 五"
    # django-mptt takes the instance as saved where it is: saving it again moves nothing.
    reply.author_name = "別名"
    reply.save()
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n    #6 >>2 返信です\n  #4 四\n#5 五"
    assert find_tree_problems() == {}


def test_reply_through_a_stale_parent_instance_still_lands_right(thread, post):
    stale = numbered(thread)[2]
    post(thread, "六", parent=numbered(thread)[1])  # shifts #2's tree fields in the database
    post(thread, "七", parent=stale)
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n    #7 七\n  #4 四\n  #6 六\n#5 五"
    assert find_tree_problems() == {}


def test_reply_through_a_parent_moved_to_another_thread_meanwhile_follows_it(thread, post):
    stale = numbered(thread)[2]  # read while still in #1's thread
    services.comment_move(comment=numbered(thread)[2], parent=numbered(thread)[5])
    reply = post(thread, "六", parent=stale)
    assert reply.tree_id == numbered(thread)[5].tree_id
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五\n  #2 二\n    #3 三\n    #6 六"
    assert find_tree_problems() == {}


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_parent_moved_into_a_busy_thread_waits_for_that_thread_next(
    article, post, monkeypatch
):
    first = post(article, "一")
    second = post(article, "二", parent=first)
    other = post(article, "三")
    stale = Comment.objects.get(pk=second.pk)  # read while still in #1's thread
    services.comment_move(comment=second, parent=other)
    real_lock_trees, calls = locks.lock_trees, []

    def lock_trees(tree_ids, *, wait=True):
        calls.append((sorted(tree_ids), wait))
        if not wait and sum(1 for _, waited in calls if not waited) == 1:
            raise locks.LockConflict("busy")  # the new thread is being written to
        return real_lock_trees(tree_ids, wait=wait)

    monkeypatch.setattr(locks, "lock_trees", lock_trees)
    reply = post(article, "四", parent=stale)
    assert reply.tree_id == other.tree_id
    assert calls == [
        ([first.tree_id], True),
        ([other.tree_id], False),  # out of order: refused, so the whole write starts over
        ([other.tree_id], True),  # and then waits for the thread the parent is in now
    ]
    assert find_tree_problems() == {}


def test_trees_named_after_the_first_locks_are_locked_too_without_waiting(thread, monkeypatch):
    comments = numbered(thread)
    real_lock_trees, calls = locks.lock_trees, []

    def lock_trees(tree_ids, *, wait=True):
        calls.append((set(tree_ids), wait))
        if len(calls) == 1:  # meanwhile #4 went to a tree of its own
            Comment.objects.filter(pk=comments[4].pk).update(tree_id=999)
        return real_lock_trees(tree_ids, wait=wait)

    monkeypatch.setattr(locks, "lock_trees", lock_trees)
    trees = Comment.objects.filter(article=thread).values_list("tree_id", flat=True)
    with transaction.atomic():
        held = locks.hold_trees(trees, new_tree=True)
    first, second = comments[1].tree_id, comments[5].tree_id
    assert calls == [({None, first, second}, True), ({999}, False)]
    assert held == {None, first, second, 999}


def test_reply_to_a_comment_removed_since_it_was_read_is_refused_and_writes_nothing(thread, post):
    stale = numbered(thread)[2]  # read while published
    services.comment_set_status(comment=stale, status=Comment.Status.REMOVED, moderator=None)
    before = tree_shape(thread)
    with pytest.raises(ValidationError) as caught:
        post(thread, ">>2 返信", parent=stale)
    assert caught.value.code == "parent_gone"
    assert tree_shape(thread) == before
    assert not ReplyRef.objects.filter(target_number=2).exists()
    assert find_tree_problems() == {}
    # The importer writes what its seed says, under a removed comment too.
    reply = services.comment_create(article=thread, parent=stale, body="取り込み", seed_index=9)
    assert reply.parent_id == stale.pk
    assert find_tree_problems() == {}


@pytest.mark.parametrize("form_key", ["", "f" * 64])
@pytest.mark.django_db(transaction=True)  # so that the tree write's own transaction shows
def test_a_replys_tree_write_goes_to_the_database_in_one_round_trip(thread, form_key):
    """The lock, the parent's place, making room, the insert, its >>N reference and the record
    of the form that sent it are pipelined: sent together on PostgreSQL; one after the other
    elsewhere."""
    statements = []

    def watch(execute, sql, params, many, context):
        # The psycopg pipeline the statement is sent in, if any.
        pipeline = connection.vendor == "postgresql" and connection.connection._pipeline
        statements.append((sql.split()[0], connection.in_atomic_block, pipeline))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        reply = services.comment_create(
            article=thread, parent=numbered(thread)[2], body=">>2 返信", form_key=form_key
        )
    in_transaction = [(verb, pipeline) for verb, atomic, pipeline in statements if atomic]
    on_postgresql = connection.vendor == "postgresql"
    expected = ["SELECT"] * (2 if on_postgresql else 1) + ["UPDATE", "INSERT", "INSERT"]
    if form_key:
        expected.append("INSERT")
        assert UsedFormToken.objects.get(key=form_key).comment == reply
    assert [verb for verb, _ in in_transaction] == expected
    pipelines = {id(pipeline) if pipeline else None for _, pipeline in in_transaction}
    assert len(pipelines) == 1  # all in one, on PostgreSQL
    assert (None not in pipelines) == on_postgresql


@pytest.mark.postgresql
def test_a_value_too_long_for_its_column_is_refused_not_cut(thread):
    """The insert's values are cast to their columns' types, but not to their lengths."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")  # SQLite keeps any length
    with pytest.raises(DataError):
        services.comment_create(
            article=thread, parent=numbered(thread)[2], body="返信", ip_hash="x" * 65
        )


def test_numbers_count_up_per_article(thread, other_article, post):
    assert post(other_article).number == 1
    assert post(thread).number == 6


def test_reply_to_another_articles_comment_is_refused(thread, other_article, post):
    with pytest.raises(ValidationError) as caught:
        post(other_article, "横から", parent=numbered(thread)[1])
    assert caught.value.code == "parent_other_article"
    assert not other_article.comments.exists()


def test_reply_to_a_deleted_comment_is_refused(thread, post):
    parent = numbered(thread)[5]
    services.comment_delete(comment=parent)
    with pytest.raises(ValidationError) as caught:
        post(thread, "返信", parent=parent)
    assert caught.value.code == "comment_missing"


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "body_empty"), ("   \n ", "body_empty"), ("あ" * 5001, "body_too_long")],
)
def test_bad_bodies_are_refused_before_anything_is_written(article, body, code):
    with pytest.raises(ValidationError) as caught:
        services.comment_create(article=article, body=body)
    assert caught.value.error_dict["body"][0].code == code
    article.refresh_from_db()
    assert article.last_comment_number == 0


def test_database_refuses_an_overlong_body_written_around_the_services(thread):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(number=1).update(body="x" * 5001)


def test_move_takes_the_subtree_along(thread):
    comments = numbered(thread)
    services.comment_move(comment=comments[2], parent=comments[5])
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五\n  #2 二\n    #3 三"
    services.comment_move(comment=comments[2], parent=None)
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五\n#2 二\n  #3 三"
    services.comment_move(comment=comments[5], parent=comments[3])
    assert tree_shape(thread) == "#1 一\n  #4 四\n#2 二\n  #3 三\n    #5 五"
    assert find_tree_problems() == {}


def test_move_under_its_own_reply_or_to_another_article_is_refused(thread, other_article, post):
    comments = numbered(thread)
    with pytest.raises(ValidationError) as caught:
        services.comment_move(comment=comments[1], parent=comments[3])
    assert caught.value.code == "move_into_own_subtree"
    elsewhere = post(other_article)
    with pytest.raises(ValidationError) as caught:
        services.comment_move(comment=comments[2], parent=elsewhere)
    assert caught.value.code == "parent_other_article"
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"


def test_delete_removes_the_whole_subtree_and_says_how_many(thread):
    assert services.comment_delete(comment=numbered(thread)[2]) == 2
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五"
    assert find_tree_problems() == {}


def test_removed_comment_keeps_its_replies_and_the_record(thread):
    moderator = get_user_model().objects.create_user("mod")
    removed = services.comment_set_status(
        comment=numbered(thread)[2],
        status=Comment.Status.REMOVED,
        moderator=moderator,
        reason="荒らし",
    )
    assert (removed.status, removed.moderated_by, removed.moderation_reason) == (
        "removed",
        moderator,
        "荒らし",
    )
    assert removed.moderated_at is not None
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"
    assert Comment.objects.visible().filter(number=3).exists()


def test_tree_index_is_in_the_migrations_and_the_database(db):
    state = MigrationLoader(connection).project_state()
    indexes = state.models["articles", "comment"].options["indexes"]
    assert ["tree_id", "lft"] in [list(index.fields) for index in indexes]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "articles_comment")
    assert any(c["index"] and c["columns"] == ["tree_id", "lft"] for c in constraints.values())


@pytest.mark.postgresql
def test_postgresql_guards_the_nested_sets_with_constraints(thread):
    from django.db import IntegrityError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, condeferrable FROM pg_constraint WHERE conname LIKE 'comment_%%'"
        )
        found = dict(cursor.fetchall())
    assert found["comment_unique_tree_lft"] is True  # deferrable: shifts pass through values
    comments = numbered(thread)
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(pk=comments[4].pk).update(lft=comments[2].lft)
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(pk=comments[4].pk).update(rght=comments[4].lft)


def test_checker_finds_broken_trees_and_rebuild_repairs_them(thread):
    comments = numbered(thread)
    # A write around the services: #4's parent link changes, its nested set does not.
    Comment.objects.filter(pk=comments[4].pk).update(parent=comments[5])
    Comment.objects.filter(pk=comments[3].pk).update(level=5)
    problems = find_tree_problems()
    assert set(problems) == {comments[1].tree_id}
    assert any(
        "outside its parent" in p or "another tree" in p for p in problems[comments[1].tree_id]
    )
    assert any("level 5" in p for p in problems[comments[1].tree_id])

    services.comment_trees_rebuild(article=thread)
    assert find_tree_problems() == {}
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n#5 五\n  #4 四"


def test_check_comment_trees_command_reports_and_repairs(thread, capsys):
    call_command("check_comment_trees")
    assert "All 2 comment trees are sound." in capsys.readouterr().out
    Comment.objects.filter(number=3).update(level=0)
    with pytest.raises(CommandError, match="1 broken trees"):
        call_command("check_comment_trees")
    call_command("check_comment_trees", "--repair")
    assert "Repaired." in capsys.readouterr().out
    assert find_tree_problems() == {}


def test_a_long_reply_chain_can_be_deleted(article, post):
    root = post(article, "根")
    # 600 deep, deeper than Django's cascade can follow; laid out directly, as posting them one
    # by one rewrites every ancestor each time.
    depth = 600
    chain = [
        Comment(
            article=article,
            number=n + 2,
            body=f"{n}",
            tree_id=root.tree_id,
            lft=n + 2,
            rght=2 * depth + 1 - n,
            level=n + 1,
        )
        for n in range(depth)
    ]
    with Comment.objects.disable_mptt_updates():
        for node, parent in zip(chain, [root, *chain], strict=False):
            node.parent = parent
            node.save()
    Comment.objects.filter(pk=root.pk).update(rght=2 * depth + 2)
    Article.objects.filter(pk=article.pk).update(last_comment_number=depth + 1)
    assert find_tree_problems() == {}
    sibling = post(article, "兄弟", parent=root)
    assert services.comment_delete(comment=article.comments.get(number=2)) == 600
    assert tree_shape(article) == f"#1 根\n  #{sibling.number} 兄弟"
    assert find_tree_problems() == {}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_only_a_posts_counters_commit_without_waiting_for_the_disk(article):
    """The rate counts and the comment number may be lost in a crash; the comment may not."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")

    def synchronous_commit() -> str:
        # On psycopg's connection: a cursor of Django's would come back through watch().
        return connection.connection.execute("SHOW synchronous_commit").fetchone()[0]

    statements = []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # As it stands now is how this statement's transaction will commit, unless it is over.
        statements.append(
            (
                sql.split()[0],
                "synchronous_commit" in sql,
                connection.in_atomic_block and synchronous_commit(),
            )
        )
        return result

    root = services.comment_create(article=article, body="一")
    with connection.execute_wrapper(watch):
        assert limits.within_limits(limits.counted_for("post", user=None, ip_hash="counted"))
        services.comment_create(article=article, parent=root, body=">>1 二")
    assert [(verb, off) for verb, off, _ in statements if off] == [
        ("INSERT", True),
        ("UPDATE", True),
    ]
    assert statements[0][0] == "INSERT"  # the rate counts, on their own
    in_transaction = [setting for _, _, setting in statements if setting]
    assert len(in_transaction) >= 4  # the lock, the place, making room, the insert...
    assert set(in_transaction) == {"on"}  # ...and the comment's commit waits for the disk
    assert synchronous_commit() == "on"


def test_changes_to_what_readers_see_raise_the_articles_publicity_seq(article, post):
    def seq() -> int:
        article.refresh_from_db()
        return article.publicity_seq

    first = post(article, "一")
    reply = post(article, "二", parent=first)
    assert seq() == 0  # posting alone moves the comment numbers, not this
    services.comment_set_status(comment=first, status=Comment.Status.PENDING, moderator=None)
    assert seq() == 1
    assert set(Comment.objects.values_list("public_since_seq", flat=True)) == {0}
    services.comment_set_status(comment=first, status=Comment.Status.PUBLISHED, moderator=None)
    assert seq() == 2
    # The comment and the reply it had kept from readers are both public since then.
    assert set(Comment.objects.values_list("public_since_seq", flat=True)) == {2}
    services.comment_set_status(comment=first, status=Comment.Status.PUBLISHED, moderator=None)
    assert seq() == 2  # no change
    services.comment_delete(comment=reply)
    assert seq() == 3
