"""The rules of posting (articles.posting) applied to edits, reports, resent forms and names."""

import re
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from articles import posting, services
from articles.abuse.addresses import ip_hash
from articles.forms import FORM_TOKEN_SALT, check_form_token
from articles.models import (
    Ban,
    Comment,
    CommentRevision,
    ModerationLog,
    Report,
    UsedFormToken,
)
from articles.posters import NAME_COOKIE, Poster

from .helpers import form, reader


@pytest.fixture
def url(article) -> str:
    return article.get_absolute_url()


@pytest.fixture
def author(url) -> Client:
    """A reader who has just posted comment #1, and may edit it."""
    client = reader()
    client.post(f"{url}comment/", form({"author_name": "太郎", "body": "最初の文"}))
    assert Comment.objects.get(number=1).status == Comment.Status.PUBLISHED
    return client


# Edits obey the rules of posts ------------------------------------------------------------------


def test_an_edit_that_would_be_held_goes_back_to_the_approval_queue(author, url, settings):
    settings.FORUM_BANNED_WORDS = ["宣伝"]
    response = author.post(f"{url}c/1/edit/", form({"author_name": "太郎", "body": "宣伝です"}))
    assert response.status_code == 302
    comment = Comment.objects.get(number=1)
    assert (comment.body, comment.status) == ("宣伝です", Comment.Status.PENDING)
    page = reader("203.0.113.1").get(url).text
    assert "宣伝です" not in page
    assert "最初の文" not in page
    assert "承認後に再び表示されます" in author.get(url).text


def ban_the_author(article, settings):
    Ban.objects.create(ip_hash=ip_hash("198.51.100.7"), reason="荒らし")


def close_the_article(article, settings):
    article.comments_open = False
    article.save()


def use_up_the_rate_limit(article, settings):
    settings.FORUM_RATE_LIMITS = {"burst": (1, 3600)}  # the post itself used it up


@pytest.mark.parametrize(
    ("since", "status", "message"),
    [
        (ban_the_author, 403, "このサイトではコメントできません"),
        (close_the_article, 400, "この記事へのコメントは締め切られました"),
        (use_up_the_rate_limit, 429, None),
    ],
    ids=["banned", "closed", "too-fast"],
)
def test_an_edit_is_refused_by_the_rules_of_posts(
    author, url, article, settings, since, status, message
):
    since(article, settings)
    response = author.post(f"{url}c/1/edit/", form({"author_name": "太郎", "body": "書き換え"}))
    assert response.status_code == status
    if message:
        assert message in response.text
        assert "書き換え" in response.text  # the reader's text comes back
    assert Comment.objects.get(number=1).body == "最初の文"


def test_an_edit_keeps_the_text_before_it_for_moderators_and_shows_it_was_edited(author, url):
    assert "編集済み" not in reader("203.0.113.1").get(url).text
    author.post(f"{url}c/1/edit/", form({"author_name": "太郎", "body": "直した文"}))
    comment = Comment.objects.get(number=1)
    assert comment.edited_at is not None
    revision = CommentRevision.objects.get()
    assert (revision.comment, revision.body, revision.author_name) == (comment, "最初の文", "太郎")
    entry = ModerationLog.objects.get()
    assert (entry.action, entry.moderator, entry.comment, entry.revision) == (
        ModerationLog.Action.EDIT,
        None,
        comment,
        revision,
    )
    page = reader("203.0.113.1").get(url).text
    assert "直した文" in page
    assert '<span class="edited">編集済み <time datetime="' in page
    assert "最初の文" not in page


def test_moderators_see_the_text_before_an_edit_in_the_admin(author, url, admin_client):
    author.post(f"{url}c/1/edit/", form({"author_name": "太郎", "body": "直した文"}))
    comment = Comment.objects.get(number=1)
    change_page = admin_client.get(f"/admin/articles/comment/{comment.pk}/change/").text
    assert "最初の文" in change_page
    assert "最初の文" in admin_client.get("/admin/articles/moderationlog/").text


# Reports ----------------------------------------------------------------------------------------


def test_a_reader_who_drops_their_cookie_still_reports_once(author, url):
    for _ in range(5):
        response = reader().post(f"{url}c/1/report/", form({"reason": "spam"}))
        assert response.status_code == 302
    assert Report.objects.count() == 1
    assert Comment.objects.get(number=1).open_reports == 1
    reader("203.0.113.1").post(f"{url}c/1/report/", form({"reason": "spam"}))
    assert Comment.objects.get(number=1).open_reports == 2


def test_an_account_reports_once_from_any_address(author, url):
    user = get_user_model().objects.create_user("hanako")
    for address in ("203.0.113.1", "203.0.113.2"):
        client = reader(address)
        client.force_login(user)
        client.post(f"{url}c/1/report/", form({"reason": "abuse"}))
    assert Report.objects.get().reporter == user


def test_reports_are_rate_limited_and_refused_to_banned_readers(author, url, settings):
    settings.FORUM_RATE_LIMITS = {"burst": (1, 3600)}
    assert (
        reader("203.0.113.1").post(f"{url}c/1/report/", form({"reason": "spam"})).status_code == 302
    )
    too_fast = reader("203.0.113.1").post(f"{url}c/1/report/", form({"reason": "spam"}))
    assert too_fast.status_code == 429
    Ban.objects.create(ip_hash=ip_hash("203.0.113.9"), reason="荒らし")
    banned = reader("203.0.113.9").post(f"{url}c/1/report/", form({"reason": "spam"}))
    assert banned.status_code == 403
    assert Report.objects.count() == 1


def test_a_report_without_its_form_token_is_refused(author, url):
    response = reader("203.0.113.1").post(f"{url}c/1/report/", {"reason": "spam"})
    assert response.status_code == 200
    assert "フォームを確認できませんでした" in response.text
    assert not Report.objects.exists()


# A form sent twice ------------------------------------------------------------------------------


def test_a_form_sent_again_answers_with_the_comment_it_created(url):
    data = form({"author_name": "太郎", "body": "一度だけ"})
    first = reader().post(f"{url}comment/", data)
    # The first answer never reached the reader (their connection dropped): they send it again,
    # from another app server, without the cookie the first answer would have set.
    again = reader().post(f"{url}comment/", data)
    assert again.status_code == first.status_code == 302
    assert again["Location"] == first["Location"]
    assert Comment.objects.filter(body="一度だけ").count() == 1


def test_a_reply_sent_again_answers_with_the_reply(author, url):
    data = form({"body": "返信は一度"})
    first = author.post(f"{url}c/1/reply/", data)
    again = author.post(f"{url}c/1/reply/", data)
    assert again["Location"] == first["Location"]
    assert Comment.objects.filter(body="返信は一度").count() == 1


@pytest.mark.parametrize("reply", [False, True])
def test_a_form_sent_twice_at_once_saves_one_comment(article, post, monkeypatch, reply):
    """The second request asks before the first has saved (it finds no used form), then meets
    the first's record in the database as it writes, and answers with the first's comment (a
    reply records its form in the tree write's round trip, a new thread after its insert)."""
    parent = post(article, "親") if reply else None
    key = check_form_token(form({})["issued"])
    poster = Poster(account=None, ip_hash="h", key="k")
    post = dict(article=article, parent=parent, body="同時", author_name="", poster=poster)
    first = posting.comment_post(**post, form_key=key)
    asked = []

    def not_yet(cursor, *, form_key):
        asked.append(form_key)
        return list

    monkeypatch.setattr(posting, "send_used_form_query", not_yet)
    again = posting.comment_post(**post, form_key=key)
    assert asked == [key]
    assert (again.comment.pk, again.repeated) == (first.comment.pk, True)
    assert Comment.objects.filter(body="同時").count() == 1
    assert UsedFormToken.objects.get().comment == first.comment


def test_a_post_now_and_then_forgets_the_forms_too_old_to_be_accepted(
    article, settings, monkeypatch
):
    poster = Poster(account=None, ip_hash="h", key="k")
    old = services.comment_create(article=article, body="古い", form_key="old")
    services.comment_create(article=article, body="新しい", form_key="recent")
    too_old = timezone.now() - timedelta(seconds=settings.FORUM_FORM_MAX_SECONDS + 1)
    UsedFormToken.objects.filter(comment=old).update(created_at=too_old)
    post = dict(article=article, parent=None, author_name="", poster=poster)
    posting.comment_post(**post, body="一つ目", form_key="first")
    assert UsedFormToken.objects.count() == 3  # the tests' chance is nil
    monkeypatch.setattr("articles.posting.PRUNE_CHANCE", 1)
    posting.comment_post(**post, body="二つ目", form_key="second")
    kept = UsedFormToken.objects.values_list("key", flat=True)
    assert sorted(kept) == ["first", "recent", "second"]


def test_without_its_used_form_the_database_refuses_a_second_comment(article):
    key = check_form_token(form({})["issued"])
    services.comment_create(article=article, body="一度目", form_key=key)
    with pytest.raises(IntegrityError):
        services.comment_create(article=article, body="二度目", form_key=key)


def test_a_form_token_from_before_tokens_were_unique_is_still_accepted():
    token = signing.dumps(time.time() - 10, salt=FORM_TOKEN_SALT)
    assert len(check_form_token(token)) == 64


# Reserved names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["管理人", "サイト管理人です", "ＴＡＲＯ", "taro"])
def test_names_of_accounts_and_staff_are_refused_to_others(url, name):
    get_user_model().objects.create_user("Taro")
    response = reader().post(f"{url}comment/", form({"author_name": name, "body": "なりすまし"}))
    assert response.status_code == 400
    assert "この名前は使えません" in response.text
    assert "なりすまし" in response.text
    assert not Comment.objects.exists()


def test_a_name_that_only_resembles_no_one_is_allowed(url):
    get_user_model().objects.create_user("Taro")
    assert (
        reader().post(f"{url}comment/", form({"author_name": "太郎", "body": "本人"})).status_code
        == 302
    )


def test_an_anonymous_edit_may_not_take_a_reserved_name(author, url):
    response = author.post(f"{url}c/1/edit/", form({"author_name": "管理人", "body": "最初の文"}))
    assert response.status_code == 400
    assert Comment.objects.get(number=1).author_name == "太郎"


def test_staff_comments_carry_a_badge(url):
    staff = reader()
    staff.force_login(get_user_model().objects.create_user("管理人", is_staff=True))
    staff.post(f"{url}comment/", form({"body": "お知らせです"}))
    plain = reader("203.0.113.1")
    plain.force_login(get_user_model().objects.create_user("jiro"))
    plain.post(f"{url}comment/", form({"body": "読者です"}))
    page = reader("203.0.113.2").get(url).text
    assert page.count('<span class="staff-badge">スタッフ</span>') == 1
    staff_comment = Comment.objects.get(body="お知らせです")
    assert (staff_comment.author_name, staff_comment.by_staff) == ("管理人", True)
    reply_page = reader("203.0.113.2").get(f"{url}c/{staff_comment.number}/reply/").text
    assert '<span class="staff-badge">スタッフ</span>' in reply_page
    assert not Comment.objects.get(body="読者です").by_staff


def _reply_template(page: str) -> str:
    return page.split('<template id="reply-template">', 1)[1].split("</template>", 1)[0]


def _comment_form(page: str) -> str:
    return page.split('id="comment-form"', 1)[1].split("</form>", 1)[0]


def test_the_reply_template_is_the_comment_form_as_shown_and_blank_when_a_post_comes_back(
    url, post, article
):
    post(article)
    browser = reader()
    browser.cookies[NAME_COOKIE] = quote("常連")  # a remembered name fills both
    page = browser.get(url).text
    shown, template = _comment_form(page), _reply_template(page)
    assert 'value="常連"' in template

    def fields(html: str) -> str:
        return html.split('name="csrfmiddlewaretoken"', 1)[1].split("</textarea>", 1)[0]

    def issued(html: str) -> str:
        return re.search(r'name="issued" value="([^"]*)"', html).group(1)

    # The same fields, each form with its own single-use token.
    assert issued(template) != issued(shown)
    assert fields(template).replace(issued(template), "") == fields(shown).replace(
        issued(shown), ""
    )

    refused = browser.post(f"{url}comment/", form({"body": "", "author_name": "名前"}))
    assert refused.status_code == 400
    assert 'value="名前"' in _comment_form(refused.text)
    assert 'role="alert"' in _comment_form(refused.text)
    template = _reply_template(refused.text)
    assert 'role="alert"' not in template
    assert 'value="名前"' not in template
