"""Reply notifications: who is notified of what, the header's count, read state and the list."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles import moderation, services
from articles.models import Article, Comment, ModerationLog
from notifications.models import Notification
from notifications.services import unread_count

from .helpers import form, reader


@pytest.fixture
def hanako(db):
    return get_user_model().objects.create_user("hanako", email="hanako@example.com")


@pytest.fixture
def taro(db):
    return get_user_model().objects.create_user("taro", email="taro@example.com")


def say(article: Article, body: str, *, user=None, parent: Comment | None = None, **kwargs):
    return services.comment_create(
        article=article,
        parent=parent,
        body=body,
        user=user,
        author_name=user.get_username() if user else "",
        **kwargs,
    )


def notified(user) -> list[int]:
    """The numbers of the replies the account is told of, as its list shows them."""
    shown = Notification.objects.filter(recipient=user).shown().order_by("reply__number")
    return list(shown.values_list("reply__number", flat=True))


def test_a_reply_to_an_accounts_comment_notifies_it(article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信します", user=taro, parent=mine)
    say(article, "名無しの返信", parent=mine)
    assert notified(hanako) == [2, 3]
    assert notified(taro) == []


def test_an_anchor_notifies_the_anchored_comments_account(article, hanako, taro):
    say(article, "一番", user=hanako)
    say(article, "別スレ")
    say(article, ">>1 それは違う", user=taro)  # a thread of its own, anchoring #1
    say(article, ">>2 こちらは名無しへ")
    assert notified(hanako) == [3]


def test_a_reply_that_also_anchors_its_parent_notifies_once(article, hanako, taro):
    mine = say(article, "一番", user=hanako)
    say(article, ">>1\n>>1 二度目", user=taro, parent=mine)
    assert Notification.objects.filter(recipient=hanako).count() == 1


def test_a_reply_anchoring_two_accounts_notifies_both(article, hanako, taro):
    first = say(article, "花子", user=hanako)
    say(article, "太郎", user=taro)
    say(article, ">>2 両方へ", parent=first)
    assert (notified(hanako), notified(taro)) == ([3], [3])


def test_ones_own_reply_notifies_nobody(article, hanako):
    mine = say(article, "私の意見", user=hanako)
    say(article, "補足 >>1", user=hanako, parent=mine)
    assert Notification.objects.count() == 0


def test_a_held_reply_notifies_only_once_approved(article, hanako, taro, moderator):
    mine = say(article, "私の意見", user=hanako)
    held = say(article, "承認待ち", user=taro, parent=mine, status=Comment.Status.PENDING)
    assert Notification.objects.count() == 0
    moderation.comment_moderate(
        comment=held, action=ModerationLog.Action.APPROVE, moderator=moderator
    )
    assert notified(hanako) == [2]
    # Hidden and restored: still the one notification.
    moderation.comment_moderate(comment=held, action=ModerationLog.Action.HIDE, moderator=moderator)
    moderation.comment_moderate(
        comment=held, action=ModerationLog.Action.RESTORE, moderator=moderator
    )
    assert Notification.objects.filter(recipient=hanako).count() == 1


def test_a_removed_or_hidden_reply_no_longer_shows_nor_counts(article, hanako, taro, moderator):
    mine = say(article, "私の意見", user=hanako)
    removed = say(article, "暴言", user=taro, parent=mine)
    hidden = say(article, "微妙", parent=mine)
    say(article, "普通の返信", parent=mine)
    assert unread_count(user=hanako) == 3
    moderation.comment_moderate(
        comment=removed, action=ModerationLog.Action.REMOVE, moderator=moderator
    )
    moderation.comment_moderate(
        comment=hidden, action=ModerationLog.Action.HIDE, moderator=moderator
    )
    assert unread_count(user=hanako) == 1
    assert notified(hanako) == [4]
    services.comment_delete(comment=Comment.objects.get(number=4))
    assert unread_count(user=hanako) == 0


def test_no_notification_for_a_reply_that_fails(article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    services.comment_set_status(comment=mine, status=Comment.Status.REMOVED, moderator=None)
    with pytest.raises(ValidationError) as refused:
        say(article, "消えたコメントへ", user=taro, parent=mine)
    assert refused.value.code == "parent_gone"
    assert Notification.objects.count() == 0


def test_a_reader_posting_through_the_site_notifies(article, hanako):
    say(article, "私の意見", user=hanako)
    response = reader().post(f"{article.get_absolute_url()}c/1/reply/", form({"body": "返信"}))
    assert response.status_code == 302
    assert notified(hanako) == [2]


def test_the_header_counts_unread_and_the_list_marks_them_read(client, article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    say(article, "一つ目の返信です", user=taro, parent=mine)
    say(article, "二つ目の返信です", parent=mine)
    client.force_login(hanako)
    page = client.get(article.get_absolute_url()).text
    assert '<span class="unread-count">2</span>' in page

    listing = client.get(reverse("notifications:list")).text
    # Newest first: who, where, the first words, a link to the reply's own page.
    assert listing.index("二つ目の返信です") < listing.index("一つ目の返信です")
    assert "taro" in listing
    assert "名無しさん" in listing
    assert "テスト記事" in listing
    assert f'href="{article.get_absolute_url()}c/2/"' in listing
    assert listing.count('class="notification unread"') == 2
    assert unread_count(user=hanako) == 0
    assert "unread-count" not in client.get(article.get_absolute_url()).text
    again = client.get(reverse("notifications:list")).text
    assert 'class="notification unread"' not in again


def test_mark_all_read_is_a_post(client, article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    for n in range(3):
        say(article, f"返信{n}", user=taro, parent=mine)
    client.force_login(hanako)
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    assert unread_count(user=hanako) == 3
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert unread_count(user=hanako) == 0


def test_the_list_is_paginated_and_only_the_page_seen_is_marked_read(client, article, hanako):
    mine = say(article, "私の意見", user=hanako)
    for n in range(25):
        say(article, f"返信{n}", parent=mine)
    client.force_login(hanako)
    first = client.get(reverse("notifications:list")).text
    assert "返信24" in first
    assert "返信4" not in first.replace("返信24", "")
    assert unread_count(user=hanako) == 5
    second = client.get(reverse("notifications:list") + "?page=2").text
    assert "返信0" in second
    assert unread_count(user=hanako) == 0


def test_the_list_needs_a_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_only_ones_own(client, article, hanako, taro):
    mine = say(article, "花子の意見", user=hanako)
    say(article, "花子への返信です", parent=mine)
    client.force_login(taro)
    assert "花子への返信です" not in client.get(reverse("notifications:list")).text


def test_the_list_costs_the_same_queries_for_many_notifications(
    client, article, hanako, django_assert_max_num_queries
):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信", parent=mine)
    client.force_login(hanako)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("notifications:list"))
    other = Article.objects.create(title="別の記事", slug="other", lead="リード")
    theirs = say(other, "別の記事の意見", user=hanako)
    for n in range(19):
        say(other if n % 2 else article, f"返信{n}", parent=theirs if n % 2 else mine)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("notifications:list")).text
    assert page.count('class="notification unread"') == 19


def test_the_article_page_asks_the_count_once_whatever_the_threads(
    client, article, hanako, taro, django_assert_max_num_queries
):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信", user=taro, parent=mine)
    client.force_login(hanako)
    with django_assert_max_num_queries(20) as few:
        client.get(article.get_absolute_url())
    for n in range(15):
        root = say(article, f"スレ{n}", user=hanako)
        say(article, f"返信{n}", user=taro, parent=root)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = client.get(article.get_absolute_url()).text
    assert '<span class="unread-count">16</span>' in page
    counts = [q["sql"] for q in many.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1


def test_anonymous_readers_pages_ask_nothing_of_notifications(
    client, article, hanako, taro, django_assert_max_num_queries
):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信", user=taro, parent=mine)
    with django_assert_max_num_queries(20) as queries:
        page = client.get(article.get_absolute_url()).text
    assert not [q for q in queries.captured_queries if "notification" in q["sql"]]
    assert "unread-count" not in page


def test_an_article_taken_back_to_draft_takes_its_notifications(article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信", user=taro, parent=mine)
    assert unread_count(user=hanako) == 1
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert unread_count(user=hanako) == 0
    assert notified(hanako) == []


def hold(comment: Comment) -> None:
    """Send a published comment back to the queue (a moderator's hold, or an edit held)."""
    services.comment_set_status(comment=comment, status=Comment.Status.PENDING, moderator=None)


def approve(comment: Comment, moderator) -> None:
    moderation.comment_moderate(
        comment=comment, action=ModerationLog.Action.APPROVE, moderator=moderator
    )


def test_a_reply_under_a_held_comment_notifies_only_once_that_is_approved(
    client, article, hanako, taro, moderator
):
    say(article, "一番", user=hanako)
    second = say(article, "二")
    third = say(article, "三", user=taro, parent=second)
    hold(second)
    # Readers may still reply to #3, which nobody sees now: nobody may hear of the reply either.
    say(article, ">>1 秘密の返信", parent=Comment.objects.get(pk=third.pk))
    assert not Comment.objects.public().filter(number=4).exists()
    assert Notification.objects.count() == 0
    assert unread_count(user=hanako) == 0
    client.force_login(hanako)
    assert "秘密の返信" not in client.get(reverse("notifications:list")).text

    approve(second, moderator)
    assert (notified(hanako), notified(taro)) == ([4], [4])
    # Held and approved again: still one notification each.
    hold(second)
    approve(second, moderator)
    assert Notification.objects.filter(reply__number=4).count() == 2


def test_replies_under_a_comment_held_deeper_wait_for_that_one_too(
    article, hanako, taro, moderator
):
    root = say(article, "一", user=hanako)
    middle = say(article, "二", user=taro, parent=root)
    answer = say(article, "三", user=hanako, parent=middle)
    hold(root)
    say(article, "根の下", parent=Comment.objects.get(pk=middle.pk))  # #4, under held #1
    say(article, "さらに下", parent=Comment.objects.get(pk=answer.pk))  # #5, under #1 and #3
    hold(answer)
    assert Notification.objects.count() == 2  # #2 and #3, from before
    assert (notified(hanako), notified(taro)) == ([], [])
    # Approving what is itself under a held comment brings out nothing.
    approve(answer, moderator)
    assert Notification.objects.count() == 2
    hold(answer)
    approve(root, moderator)
    assert notified(hanako) == [2]
    assert notified(taro) == [4]  # #3 is held, and #5 under it
    approve(answer, moderator)
    assert notified(hanako) == [2, 5]
    assert notified(taro) == [3, 4]


def test_a_notified_reply_held_from_above_leaves_the_list_and_the_count(
    client, article, hanako, taro, moderator
):
    root = say(article, "一")
    mine = say(article, "私の意見", user=hanako, parent=root)
    say(article, "返信します", user=taro, parent=mine)
    assert unread_count(user=hanako) == 1
    hold(root)
    assert unread_count(user=hanako) == 0
    assert notified(hanako) == []
    client.force_login(hanako)
    assert "返信します" not in client.get(reverse("notifications:list")).text
    approve(root, moderator)
    assert notified(hanako) == [3]
    assert Notification.objects.count() == 1


def test_held_replies_cost_the_list_and_the_count_no_query_each(
    client, article, hanako, django_assert_max_num_queries
):
    mine = say(article, "私の意見", user=hanako)
    say(article, "返信", parent=mine)
    client.force_login(hanako)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("notifications:list"))
    for n in range(12):
        root = say(article, f"スレ{n}")
        theirs = say(article, f"花子{n}", user=hanako, parent=root)
        say(article, f"返信{n}", parent=theirs)
        if n % 3 == 0:
            hold(root)
    Notification.objects.update(read_at=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("notifications:list")).text
    assert page.count('class="notification unread"') == 1 + 8
    assert "返信0" not in page
    assert "返信1" in page


def test_an_inactive_account_is_not_notified(article, hanako, taro):
    mine = say(article, "私の意見", user=hanako)
    say(article, "太郎の意見", user=taro)
    get_user_model().objects.filter(pk=hanako.pk).update(is_active=False)
    say(article, ">>2 二人へ", parent=mine)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["taro"]


def test_replies_moved_out_from_under_a_held_comment_notify(article, hanako, taro):
    root = say(article, "一")
    mine = say(article, "私の意見", user=hanako, parent=root)
    hold(root)
    say(article, "見えない返信", user=taro, parent=Comment.objects.get(pk=mine.pk))
    assert Notification.objects.count() == 0
    services.comment_move(comment=Comment.objects.get(pk=mine.pk), parent=None)
    assert notified(hanako) == [3]
    other = say(article, "別スレ")
    services.comment_move(comment=Comment.objects.get(pk=mine.pk), parent=other)
    assert Notification.objects.count() == 1


def test_approving_a_held_thread_costs_no_query_per_anonymous_reply(
    article, moderator, django_assert_max_num_queries
):
    def held_thread(replies: int) -> Comment:
        root = say(article, "一")
        for n in range(replies):
            say(article, f"返信{n}", parent=root)
        hold(root)
        return root

    few, many = held_thread(2), held_thread(20)
    with django_assert_max_num_queries(30) as counted:
        approve(few, moderator)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        approve(many, moderator)
