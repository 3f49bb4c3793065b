"""The moderation desk: permissions, actions that keep threads whole, queues, the log."""

import re

import pytest
from django.contrib.auth.models import User

from articles import services
from articles.models import Ban, Comment, ModerationLog, Report
from articles.sql import locks
from articles.tree_checks import find_tree_problems

from .helpers import form, grow_thread, numbered, tree_shape

CHANGELIST = "/admin/articles/comment/"


def act(client, action: str, comments, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in comments], **extra}
    return client.post(CHANGELIST, data)


@pytest.mark.parametrize(
    "url",
    [
        CHANGELIST,
        "/admin/articles/article/",
        "/admin/articles/reportedcomment/",
        "/admin/articles/pendingcomment/",
        "/admin/articles/ban/",
        "/admin/articles/moderationlog/",
    ],
)
def test_permission_matrix_for_the_moderation_pages(client, thread, moderator, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.get(url)["Location"].startswith("/admin/login/")
    staff = User.objects.create_user("staff", password="x-password-123", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403  # staff without the permission
    client.force_login(moderator)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/add/",
        "/admin/auth/group/",
        "/admin/articles/article/add/",
    ],
)
def test_a_moderator_cannot_do_superuser_things(moderator_client, moderator, url):
    assert not moderator.is_superuser
    assert moderator_client.get(url).status_code == 403


def test_the_admin_names_the_task_queue_in_its_language(admin_client):
    japanese = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert "タスクキュー" in japanese
    assert "タスクの実行結果" in japanese
    assert "Tasks Database Backend" not in japanese
    assert "Task queue" in admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").text


def test_a_moderator_cannot_change_accounts(moderator_client, moderator):
    response = moderator_client.post(
        f"/admin/auth/user/{moderator.pk}/change/", {"username": "x", "is_superuser": "on"}
    )
    assert response.status_code == 403
    moderator.refresh_from_db()
    assert not moderator.is_superuser


@pytest.mark.parametrize(
    ("action", "status"),
    [("hide", "hidden"), ("remove", "removed")],
)
def test_hide_and_remove_keep_the_replies_and_record_who_when_why(
    moderator_client, moderator, thread, action, status
):
    comments = numbered(thread)
    act(moderator_client, action, [comments[2]], reason="荒らし")
    comment = Comment.objects.get(pk=comments[2].pk)
    assert (comment.status, comment.moderated_by, comment.moderation_reason) == (
        status,
        moderator,
        "荒らし",
    )
    log = ModerationLog.objects.get()
    assert (log.action, log.moderator, log.reason, log.comment) == (
        action,
        moderator,
        "荒らし",
        comment,
    )
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"
    assert find_tree_problems() == {}
    page = moderator_client.get(thread.get_absolute_url()).text
    assert "三" in page  # the reply stays visible


def test_hidden_comment_is_seen_by_moderators_only(client, moderator_client, thread):
    comments = numbered(thread)
    act(moderator_client, "hide", [comments[2]])
    assert "二</div>" in moderator_client.get(thread.get_absolute_url()).text
    client.logout()
    assert "二</div>" not in client.get(thread.get_absolute_url()).text


def test_restore_brings_a_removed_comment_back(moderator_client, thread):
    comments = numbered(thread)
    act(moderator_client, "remove", [comments[4]])
    act(moderator_client, "restore", [comments[4]])
    assert Comment.objects.get(pk=comments[4].pk).status == "published"
    assert list(ModerationLog.objects.values_list("action", flat=True)) == ["restore", "remove"]


def test_delete_subtree_asks_first_and_says_how_many_go(moderator_client, thread):
    comments = numbered(thread)
    confirm = act(moderator_client, "delete_selected", [comments[2]])
    assert confirm.status_code == 200
    assert re.search(r"コメント: 2|Comments: 2", confirm.text)
    assert Comment.objects.count() == 5
    act(moderator_client, "delete_selected", [comments[2]], post="yes")
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五"
    assert find_tree_problems() == {}
    log = ModerationLog.objects.get()
    assert log.action == "delete"
    assert log.target.endswith("(+1)")


def test_moving_a_reply_in_the_change_form_keeps_the_trees(moderator_client, thread):
    comments = numbered(thread)
    url = f"{CHANGELIST}{comments[2].pk}/change/"
    data = {"parent": comments[5].pk, "author_name": "", "body": "二", **inline_management()}
    response = moderator_client.post(url, data)
    assert response.status_code == 302, response.text[:3000]
    assert tree_shape(thread) == "#1 一\n  #4 四\n#5 五\n  #2 二\n    #3 三"
    assert find_tree_problems() == {}
    assert ModerationLog.objects.get().action == "move"


# Outside the test's own transaction, as a request runs: only there can a write try again.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["move", "delete", "hide"])
def test_a_write_that_meets_a_tree_lock_out_of_order_tries_again(
    moderator_client, thread, monkeypatch, page
):
    """A comment moved by someone else between the page's read and the lock: the tree lock is
    taken out of order and refused (LockConflict). The admin's own transaction must let go and
    the write run again, not answer 500."""
    real_lock_trees, refused = locks.lock_trees, []

    def lock_trees(tree_ids, *, wait=True):
        if not refused:
            refused.append(tree_ids)
            raise locks.LockConflict("comment tree is locked")
        return real_lock_trees(tree_ids, wait=wait)

    monkeypatch.setattr(locks, "lock_trees", lock_trees)
    comments = numbered(thread)
    if page == "move":
        url = f"{CHANGELIST}{comments[2].pk}/change/"
        data = {"parent": comments[5].pk, "author_name": "", "body": "二", **inline_management()}
        response = moderator_client.post(url, data)
        shape = "#1 一\n  #4 四\n#5 五\n  #2 二\n    #3 三"
    elif page == "delete":
        url = f"{CHANGELIST}{comments[2].pk}/delete/"
        response = moderator_client.post(url, {"post": "yes"})
        shape = "#1 一\n  #4 四\n#5 五"
    else:
        response = act(moderator_client, "hide", [comments[2]])
        shape = "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"
    assert response.status_code == 302
    assert refused
    assert tree_shape(thread) == shape
    assert find_tree_problems() == {}
    # The refused attempt left nothing behind: one log entry.
    assert ModerationLog.objects.get().action == page


@pytest.mark.parametrize("target", [3, "other"])
def test_moves_under_an_own_reply_or_to_another_article_are_refused(
    moderator_client, thread, other_article, post, target
):
    comments = numbered(thread)
    parent = comments[3] if target == 3 else post(other_article, "よそ")
    url = f"{CHANGELIST}{comments[2].pk}/change/"
    data = {"parent": parent.pk, "author_name": "", "body": "二", **inline_management()}
    response = moderator_client.post(url, data)
    assert response.status_code == 200
    assert "errorlist" in response.text
    assert tree_shape(thread) == "#1 一\n  #2 二\n    #3 三\n  #4 四\n#5 五"


def inline_management() -> dict:
    return {
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
        "reports-MIN_NUM_FORMS": "0",
        "reports-MAX_NUM_FORMS": "1000",
    }


def test_change_page_shows_the_comment_in_its_thread(moderator_client, thread):
    comments = numbered(thread)
    page = moderator_client.get(f"{CHANGELIST}{comments[2].pk}/change/").text
    section = page[page.index('class="comment-thread"') :]
    assert re.findall(r"<strong>#(\d+)</strong>", section) == ["1", "2", "3"]


def test_reported_queue_shows_the_most_reported_first_and_dismissing_records_who(
    moderator_client, moderator, thread
):
    comments = numbered(thread)
    for n, key in [(2, "a"), (4, "a"), (4, "b"), (4, "c")]:
        services.report_create(comment=comments[n], reason="spam", reporter_key=key)
    page = moderator_client.get("/admin/articles/reportedcomment/").text
    assert page.index(f"/{comments[4].pk}/change/") < page.index(f"/{comments[2].pk}/change/")
    moderator_client.post(
        "/admin/articles/reportedcomment/",
        {"action": "dismiss_reports", "_selected_action": [comments[4].pk]},
    )
    assert Comment.objects.get(pk=comments[4].pk).open_reports == 0
    assert set(
        Report.objects.filter(comment=comments[4]).values_list("resolved_by", flat=True)
    ) == {moderator.pk}
    assert ModerationLog.objects.get().action == "dismiss"


def test_removing_a_reported_comment_resolves_its_reports(moderator_client, moderator, thread):
    comments = numbered(thread)
    services.report_create(comment=comments[5], reason="abuse", reporter_key="a")
    act(moderator_client, "remove", [comments[5]])
    report = Report.objects.get()
    assert (report.resolved_by, report.resolution) == (moderator, "remove")


def test_ban_action_records_a_ban_by_ip_hash_without_the_address(moderator_client, seeded, client):

    reader = type(client)(REMOTE_ADDR="203.0.113.9")
    reader.post(f"{seeded.get_absolute_url()}comment/", form({"body": "荒らし投稿"}))
    comment = Comment.objects.get(body="荒らし投稿")
    act(moderator_client, "ban_posters", [comment], reason="荒らし", days="7")
    ban = Ban.objects.get()
    assert ban.ip_hash == comment.ip_hash
    assert "203.0.113.9" not in ban.ip_hash
    assert ban.expires_at is not None
    assert not Comment.objects.filter(ip_hash__contains="203.0.113").exists()


def test_moderation_log_lists_every_action(moderator_client, thread):
    comments = numbered(thread)
    act(moderator_client, "hide", [comments[1]], reason="一つ目")
    act(moderator_client, "restore", [comments[1]], reason="二つ目")
    page = moderator_client.get("/admin/articles/moderationlog/").text
    assert "一つ目" in page
    assert "二つ目" in page


def test_close_and_reopen_comments_action(moderator_client, thread):
    moderator_client.post(
        "/admin/articles/article/",
        {"action": "close_comments", "_selected_action": [thread.pk]},
    )
    thread.refresh_from_db()
    assert not thread.comments_open
    assert ModerationLog.objects.get().action == "close"


def test_admin_pages_for_a_thousand_comment_thread_take_a_fixed_number_of_queries(
    moderator_client, article, post, django_assert_max_num_queries
):
    root = post(article, "根")
    parents = [root, post(article, "返信", parent=root)]
    listing = f"{CHANGELIST}?article__id__exact={article.pk}"
    pages = [listing, f"{CHANGELIST}{root.pk}/change/", f"{CHANGELIST}{parents[1].pk}/change/"]
    small = []
    for url in pages:
        with django_assert_max_num_queries(20) as counted:
            moderator_client.get(url)
        small.append(len(counted.captured_queries))
    grow_thread(article, parents[1], 998, lambda n, count: (n * 7) % count)
    for url, limit in zip(pages, small, strict=True):
        with django_assert_max_num_queries(limit):
            response = moderator_client.get(url)
        assert response.status_code == 200
    page = moderator_client.get(pages[1]).text
    assert page.count("<strong>#") == 1000


def test_comment_list_leads_with_the_text_newest_first_and_the_article_short(
    moderator_client, thread
):
    thread.title = "とても長い記事の見出し" * 10
    thread.save()
    page = moderator_client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="ja").text
    start = page.index("<thead>")
    header = page[start : page.index("</thead>", start)]
    columns = re.findall(r"column-(\w+)", header)
    assert columns[:2] == ["comment_text", "short_article"]
    assert re.findall(r"<strong>#(\d+)</strong>", page) == ["5", "4", "3", "2", "1"]
    assert thread.title not in re.sub(r'title="[^"]*"', "", page)  # whole only in the tooltip
    assert "記事" in header  # the article column's label, translated


def test_admin_field_labels_are_translated(moderator_client, thread):
    page = moderator_client.get(
        f"{CHANGELIST}{numbered(thread)[1].pk}/change/", HTTP_ACCEPT_LANGUAGE="ja"
    ).text
    assert ">記事:<" in page
    assert ">Article:<" not in page


@pytest.mark.parametrize("action", ["hide", "remove", "restore", "dismiss_reports"])
def test_change_page_offers_the_lists_actions_and_confirms_them(moderator_client, thread, action):
    comment = numbered(thread)[2]
    change = f"{CHANGELIST}{comment.pk}/change/"
    page = moderator_client.get(change).text
    assert f'value="{action}"' in page
    # A form of its own after the comment's: Enter in the comment's fields never moderates.
    assert page.index('class="submit-row"') < page.index(
        f'action="{CHANGELIST}{comment.pk}/moderate/"'
    )
    response = moderator_client.post(
        f"{CHANGELIST}{comment.pk}/moderate/",
        {"moderation_action": action, "reason": "変更ページから"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == change
    assert len(list(response.context["messages"])) == 1
    if action in ("hide", "remove"):
        assert (
            Comment.objects.get(pk=comment.pk).status
            == {"hide": "hidden", "remove": "removed"}[action]
        )
        assert ModerationLog.objects.get().reason == "変更ページから"


def test_change_page_ban_confirms_what_it_did(moderator_client, seeded, client):

    reader = type(client)(REMOTE_ADDR="203.0.113.7")
    reader.post(f"{seeded.get_absolute_url()}comment/", form({"body": "荒らし"}))
    comment = Comment.objects.get(body="荒らし")
    response = moderator_client.post(
        f"{CHANGELIST}{comment.pk}/moderate/",
        {"moderation_action": "ban_posters", "reason": "荒らし", "days": "7"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert Ban.objects.count() == 1
    assert [str(m) for m in response.context["messages"]] == [
        "Banned the poster of 1 comment for 7 days."
    ]


def test_ban_from_the_list_confirms_what_it_did(moderator_client, seeded, client):

    reader = type(client)(REMOTE_ADDR="203.0.113.8")
    reader.post(f"{seeded.get_absolute_url()}comment/", form({"body": "荒らし2"}))
    comment = Comment.objects.get(body="荒らし2")
    response = moderator_client.post(
        CHANGELIST,
        {"action": "ban_posters", "_selected_action": [comment.pk], "reason": "x"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Banned the poster of 1 comment for good."
    ]


def test_the_moderate_view_refuses_get_unknown_actions_and_readers(moderator_client, thread):
    from django.test import Client

    url = f"{CHANGELIST}{numbered(thread)[1].pk}/moderate/"
    assert moderator_client.get(url).status_code == 405
    assert moderator_client.post(url, {"moderation_action": "delete_selected"}).status_code == 403
    assert Client().post(url, {"moderation_action": "hide"}).status_code == 302  # to log in
    assert not ModerationLog.objects.exists()


def test_admin_index_shows_what_awaits_moderators(moderator_client, thread):
    comments = numbered(thread)
    services.report_create(comment=comments[2], reason="spam", reporter_key="a")
    services.report_create(comment=comments[3], reason="spam", reporter_key="b")
    Comment.objects.filter(pk=comments[5].pk).update(status=Comment.Status.PENDING)
    page = moderator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "1 comment awaits approval" in page
    assert "2 open reports" in page


def test_a_ban_made_by_hand_in_the_admin_is_logged_as_its_moderators(admin_client, admin_user):
    data = {
        "user": "",
        "ip_hash": "f" * 64,
        "reason": "荒らし",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    assert admin_client.post("/admin/articles/ban/add/", data).status_code == 302
    ban = Ban.objects.get()
    assert ban.created_by == admin_user
    log = ModerationLog.objects.get()
    assert (log.action, log.moderator, log.target, log.reason) == (
        "ban",
        admin_user,
        str(ban),
        "荒らし",
    )
    data["reason"] = "荒らし（延長）"
    change = admin_client.post(f"/admin/articles/ban/{ban.pk}/change/", data)
    assert change.status_code == 302
    assert ModerationLog.objects.count() == 1  # a change to a ban is not a new ban
