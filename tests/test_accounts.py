"""Accounts: sign-up, log-in, passwords, e-mail address, profile pages and deletion."""

import re
import time

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.email_change import email_change_token
from articles import services
from articles.models import Article, Comment, CommentRevision, Report
from articles.sql import locks
from articles.tree_checks import find_tree_problems

from .helpers import reader, tree_shape

PASSWORD = "a-long-password-123"
NEW_PASSWORD = "another-long-password-456"
User = get_user_model()


@pytest.fixture
def taro(db):
    return User.objects.create_user("taro", email="taro@example.com", password=PASSWORD)


@pytest.fixture
def taro_client(taro) -> Client:
    client = reader()
    client.force_login(taro)
    return client


def signup(client: Client, username: str, email: str = "", **extra):
    data = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", data, HTTP_ACCEPT_LANGUAGE="ja", **extra)


def link_in(message) -> str:
    """The path of the one link in a mail."""
    (url,) = re.findall(r"https?://\S+", message.body)
    return re.sub(r"^https?://[^/]+", "", url)


def comment_by(user, article: Article, body: str, parent: Comment | None = None) -> Comment:
    return services.comment_create(
        article=article,
        parent=parent,
        body=body,
        author_name=user.get_username(),
        user=user,
        by_staff=user.is_staff,
    )


# Sign-up and log-in ---------------------------------------------------------------------------


def test_sign_up_and_log_in(client, db):
    assert signup(client, "hanako").status_code == 302
    assert client.get("/").context["user"].username == "hanako"
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "hanako", "password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get().email == ""


def test_sign_up_with_an_email_address_confirmed_by_a_link(client, db, mailoutbox, sending_mail):
    with sending_mail():
        response = signup(client, "hanako", "Hanako@Example.COM", follow=True)
    assert "Hanako@example.com にリンクを送りました" in response.text
    assert User.objects.get().email == ""  # not until the link is followed
    (mail,) = mailoutbox
    assert mail.to == ["Hanako@example.com"]
    assert client.post(link_in(mail)).status_code == 302
    assert User.objects.get().email == "Hanako@example.com"


def test_the_sign_up_form_says_what_the_address_is_for(client, db):
    page = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert 'type="email"' in page
    assert "パスワードの再設定" in page
    assert "メール通知" in page
    assert "リンクを送ります" in page  # the address is the account's once it is confirmed


def test_sign_up_never_tells_whether_an_address_has_an_account(taro, mailoutbox, sending_mail):
    answers = []
    for username, email in (("jiro", "TARO@example.com"), ("saburo", "free@example.com")):
        client = reader()
        with sending_mail():
            response = signup(client, username, email, follow=True)
        (said,) = re.findall(r'<ul class="messages".*?</ul>', response.text, re.S)
        answers.append((response.redirect_chain, said.replace(email, "ADDRESS")))
    assert answers[0] == answers[1]
    assert "ADDRESS にリンクを送りました" in answers[0][1]
    assert User.objects.get(username="jiro").email == ""
    # Only the owner of the mailbox, following the link, learns that the address is taken.
    taken = next(mail for mail in mailoutbox if mail.to == ["TARO@example.com"])
    response = Client().post(link_in(taken), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "このメールアドレスは別のアカウントで使われています" in response.text
    assert User.objects.get(username="jiro").email == ""


def test_an_address_belongs_to_one_account_whatever_its_case(taro):
    jiro = User.objects.create_user("jiro", password=PASSWORD)
    token = email_change_token(user=jiro, email="TARO@example.com")
    assert Client().post(f"/accounts/email/confirm/{token}/").status_code == 400
    jiro.refresh_from_db()
    assert jiro.email == ""


def test_sign_ups_from_one_address_are_limited(settings, db):
    settings.FORUM_SIGNUP_LIMIT = (2, 3600)
    client = reader("203.0.113.40")
    assert signup(client, "one").status_code == 302
    client.post("/accounts/logout/")
    assert signup(client, "two").status_code == 302
    client.post("/accounts/logout/")
    response = signup(client, "three", "three@example.com")
    assert response.status_code == 429
    assert "登録が多すぎます" in response.text
    assert 'value="three"' in response.text  # what the reader typed is kept
    assert 'value="three@example.com"' in response.text
    assert not User.objects.filter(username="three").exists()
    # Another address may still sign up.
    assert signup(reader("203.0.113.41"), "three").status_code == 302


def test_signup_never_redirects_off_site(client, db):
    response = client.post(
        "/accounts/signup/?next=https://evil.example/",
        {"username": "jiro", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"] == "/"


def test_no_one_signs_up_under_a_staff_name(client, db):
    response = signup(client, "管理人2")
    assert response.status_code == 200
    assert "この名前は使えません" in response.text
    assert not User.objects.exists()


def test_the_log_in_page_links_to_password_reset(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert 'href="/accounts/password/reset/"' in page
    assert "パスワードをお忘れですか" in page


def test_the_header_links_to_the_settings_when_logged_in(taro_client, client, db):
    assert 'href="/accounts/settings/"' in taro_client.get("/").text
    assert 'href="/accounts/settings/"' not in client.get("/").text


def test_the_settings_page_links_everything_and_needs_an_account(taro_client, client, db):
    page = taro_client.get("/accounts/settings/").text
    for url in ("/accounts/email/", "/accounts/password/", "/users/taro/", "/accounts/delete/"):
        assert f'href="{url}"' in page
    assert "taro@example.com" in page
    response = client.get("/accounts/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Passwords ------------------------------------------------------------------------------------


def test_password_reset_end_to_end(client, taro, mailoutbox, sending_mail):
    page = client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "パスワードの再設定" in page.text
    assert "django-admin" not in page.text  # the site's page, not the admin's
    with sending_mail():
        response = client.post(
            "/accounts/password/reset/", {"email": "TARO@example.com"}, HTTP_ACCEPT_LANGUAGE="ja"
        )
    assert response["Location"] == "/accounts/password/reset/sent/"
    (mail,) = mailoutbox
    assert mail.to == ["taro@example.com"]
    assert "パスワード" in mail.subject
    assert "taro" in mail.body
    link = link_in(mail)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/password/reset/done/"
    assert Client().login(username="taro", password=NEW_PASSWORD)
    assert not Client().login(username="taro", password=PASSWORD)
    # The link works once.
    assert not client.get(link, follow=True).context["validlink"]


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, taro, mailoutbox, sending_mail
):
    with sending_mail():
        response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_password_reset_mail_goes_through_the_mail_queue(client, taro, monkeypatch):
    sent = []
    monkeypatch.setattr("accounts.forms.enqueue_mail", lambda **mail: sent.append(mail))
    client.post("/accounts/password/reset/", {"email": "taro@example.com"})
    (mail,) = sent
    assert mail["to"] == "taro@example.com"
    assert "/accounts/password/reset/" in mail["text"]


def test_change_password(taro_client, taro):
    page = taro_client.get("/accounts/password/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert "パスワードの変更" in page
    response = taro_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/settings/"
    # Still logged in here; the new password logs in elsewhere.
    assert taro_client.get("/accounts/settings/").status_code == 200
    assert Client().login(username="taro", password=NEW_PASSWORD)


def test_change_password_refuses_a_wrong_old_password(taro_client, taro):
    response = taro_client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert Client().login(username="taro", password=PASSWORD)


def test_password_guesses_on_the_password_change_form_are_limited_like_log_ins(taro_client, taro):
    for number in range(12):
        response = taro_client.post(
            "/accounts/password/",
            {
                "old_password": f"wrong-{number}",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 200
    response = taro_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert "ログインの失敗が多すぎます" in response.text
    assert Client().login(username="taro", password=PASSWORD)
    # Guesses there count for the other forms too.
    assert (
        "ログインの失敗が多すぎます"
        in reader().post("/accounts/login/", {"username": "taro", "password": PASSWORD}).text
    )


def reset_password(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email}, HTTP_ACCEPT_LANGUAGE="ja")


def test_password_reset_mails_to_one_address_are_limited_and_say_the_same(
    taro, monkeypatch, settings
):
    settings.FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT = (2, 3600)
    sent = []
    monkeypatch.setattr("accounts.forms.enqueue_mail", lambda **mail: sent.append(mail))
    answers = [reset_password(reader(f"203.0.113.{n}"), "taro@example.com") for n in range(4)]
    assert len(sent) == 2
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/accounts/password/reset/sent/")
    }
    # Another address is counted apart.
    User.objects.create_user("jiro", email="jiro@example.com", password=PASSWORD)
    reset_password(reader(), "jiro@example.com")
    assert [mail["to"] for mail in sent] == ["taro@example.com"] * 2 + ["jiro@example.com"]


def test_account_mail_limits_hold_in_redis_as_in_the_database(taro, monkeypatch, settings):
    from django.core.cache import cache

    cache.clear()
    settings.FORUM_RATE_LIMIT_STORE = "cache"
    settings.FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT = (1, 3600)
    sent = []
    monkeypatch.setattr("accounts.forms.enqueue_mail", lambda **mail: sent.append(mail))
    for n in range(3):
        reset_password(reader(f"203.0.113.{90 + n}"), "taro@example.com")
    assert len(sent) == 1


def test_password_reset_asked_from_one_client_is_limited_whatever_the_address(
    taro, monkeypatch, settings
):
    settings.FORUM_ACCOUNT_MAIL_CLIENT_LIMIT = (3, 3600)
    sent = []
    monkeypatch.setattr("accounts.forms.enqueue_mail", lambda **mail: sent.append(mail))
    client = reader("203.0.113.50")
    for n in range(3):
        reset_password(client, f"nobody{n}@example.com")  # unknown addresses count too
    response = reset_password(client, "taro@example.com")
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert sent == []
    reset_password(reader("203.0.113.51"), "taro@example.com")
    assert len(sent) == 1


# E-mail address -------------------------------------------------------------------------------


def ask_for_new_address(client: Client, email: str, password: str = PASSWORD):
    return client.post(
        "/accounts/email/", {"email": email, "password": password}, HTTP_ACCEPT_LANGUAGE="ja"
    )


def test_email_change_is_confirmed_from_the_new_address(
    taro_client, taro, mailoutbox, sending_mail
):
    with sending_mail():
        response = ask_for_new_address(taro_client, "new@example.com")
    assert response["Location"] == "/accounts/settings/"
    (mail,) = mailoutbox
    assert mail.to == ["new@example.com"]
    taro.refresh_from_db()
    assert taro.email == "taro@example.com"  # not until the link is followed
    link = link_in(mail)
    # Opened in another browser, without logging in: a GET changes nothing (mail scanners).
    other = Client()
    page = other.get(link, HTTP_ACCEPT_LANGUAGE="ja")
    assert "new@example.com" in page.text
    taro.refresh_from_db()
    assert taro.email == "taro@example.com"
    assert other.post(link).status_code == 302
    taro.refresh_from_db()
    assert taro.email == "new@example.com"
    # Spent: the address it was made for has changed.
    assert other.post(link).status_code == 400


def test_a_tampered_email_change_link_is_refused(taro_client, taro, mailoutbox, sending_mail):
    with sending_mail():
        ask_for_new_address(taro_client, "new@example.com")
    token = link_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    payload, rest = token.split(":", 1)
    forged = signing.dumps([taro.pk, "evil@example.com", "x"], salt="wrong")
    for bad in (forged, token[:-2] + "xx", payload + "x:" + rest):
        response = Client().post(f"/accounts/email/confirm/{bad}/", HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 400
        assert "このリンクは無効です" in response.text
    taro.refresh_from_db()
    assert taro.email == "taro@example.com"


def test_an_expired_email_change_link_is_refused(taro, monkeypatch, settings):
    token = email_change_token(user=taro, email="new@example.com")
    later = time.time() + settings.ACCOUNTS_EMAIL_CHANGE_DAYS * 24 * 3600 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert Client().post(f"/accounts/email/confirm/{token}/").status_code == 400
    taro.refresh_from_db()
    assert taro.email == "taro@example.com"


def test_email_change_needs_the_password(taro_client, taro, mailoutbox, sending_mail):
    with sending_mail():
        response = ask_for_new_address(taro_client, "new@example.com", password="wrong")
    assert response.status_code == 200
    assert 'value="new@example.com"' in response.text
    assert mailoutbox == []


def test_email_change_never_tells_whether_an_address_has_an_account(
    taro_client, taro, mailoutbox, sending_mail
):
    jiro = User.objects.create_user("jiro", email="jiro@example.com")
    with sending_mail():
        taken = ask_for_new_address(taro_client, "JIRO@example.com")
    with sending_mail():
        free = ask_for_new_address(taro_client, "free@example.com")
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    # The mailbox's owner, following the link, is told; nothing changes.
    (to_jiro,) = (mail for mail in mailoutbox if mail.to == ["JIRO@example.com"])
    response = Client().post(link_in(to_jiro), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "このメールアドレスは別のアカウントで使われています" in response.text
    taro.refresh_from_db()
    jiro.refresh_from_db()
    assert (taro.email, jiro.email) == ("taro@example.com", "jiro@example.com")


def test_an_address_taken_before_the_link_is_followed_is_refused(
    taro_client, taro, mailoutbox, sending_mail
):
    with sending_mail():
        ask_for_new_address(taro_client, "new@example.com")
    User.objects.create_user("jiro", email="NEW@example.com")
    response = Client().post(link_in(mailoutbox[0]), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    taro.refresh_from_db()
    assert taro.email == "taro@example.com"


def test_email_change_mails_are_limited_with_a_clear_message(taro, monkeypatch, settings):
    settings.FORUM_ACCOUNT_MAIL_CLIENT_LIMIT = (2, 3600)
    sent = []
    monkeypatch.setattr("accounts.email_change.enqueue_mail", lambda **mail: sent.append(mail))
    client = reader("203.0.113.60")
    client.force_login(taro)
    for n in range(2):
        assert ask_for_new_address(client, f"new{n}@example.com").status_code == 302
    response = ask_for_new_address(client, "new9@example.com")
    assert response.status_code == 429
    assert "確認メールの依頼が多すぎます" in response.text
    assert 'value="new9@example.com"' in response.text
    assert [mail["to"] for mail in sent] == ["new0@example.com", "new1@example.com"]


def test_email_change_mails_to_one_address_are_limited(taro, monkeypatch, settings):
    settings.FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT = (1, 3600)
    sent = []
    monkeypatch.setattr("accounts.email_change.enqueue_mail", lambda **mail: sent.append(mail))
    for n in range(2):
        client = reader(f"203.0.113.{70 + n}")
        client.force_login(taro)
        response = ask_for_new_address(client, "NEW@example.com")
    assert response.status_code == 429
    assert len(sent) == 1


def test_rate_counts_hold_no_email_address(taro, settings):
    from articles.models import RateCounter

    settings.FORUM_RATE_LIMIT_STORE = "database"
    reset_password(reader(), "taro@example.com")
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert keys
    assert not any("example.com" in key for key in keys)


# Profile pages --------------------------------------------------------------------------------


def test_a_profile_lists_only_public_comments_on_published_articles(client, taro, article):
    public = comment_by(taro, article, "公開のコメント")
    held = comment_by(taro, article, "承認待ち")
    under_held = comment_by(taro, article, "承認待ちへの返信", parent=held)
    hidden = comment_by(taro, article, "非表示")
    for comment, status in ((held, "pending"), (hidden, "hidden")):
        services.comment_set_status(comment=comment, status=status, moderator=None)
    draft = Article.objects.create(title="下書き", slug="draft", status="draft")
    comment_by(taro, draft, "下書きへのコメント")
    comment_by(User.objects.create_user("jiro"), article, "他人のコメント")
    page = client.get("/users/taro/").text
    assert "公開のコメント" in page
    assert f'href="/articles/test-article/c/{public.number}/"' in page
    for private in ("承認待ち", "非表示", "下書き", "他人のコメント"):
        assert private not in page
    assert under_held.status == "published"  # published, yet under a held comment


def test_a_profile_is_paginated_newest_first(client, taro, article):
    for n in range(25):
        comment_by(taro, article, f"コメント{n:02}")
    first = client.get("/users/taro/").text
    assert first.index("コメント24") < first.index("コメント05")
    assert "コメント04" not in first
    assert 'href="?page=2"' in first
    second = client.get("/users/taro/?page=2").text
    assert "コメント04" in second
    assert "コメント00" in second
    assert "コメント05" not in second


def test_a_staff_account_without_public_comments_has_no_profile(client, moderator, article):
    assert client.get("/users/moderator/").status_code == 404
    hidden = comment_by(moderator, article, "非表示")
    services.comment_set_status(comment=hidden, status=Comment.Status.HIDDEN, moderator=moderator)
    assert client.get("/users/moderator/").status_code == 404
    admin = User.objects.create_superuser("root-admin", password=PASSWORD)
    assert client.get(f"/users/{admin.username}/").status_code == 404
    # The account itself still finds its page from its settings.
    client.force_login(moderator)
    assert client.get("/users/moderator/").status_code == 200


def test_a_staff_account_that_posted_shows_its_profile(client, moderator, article):
    comment_by(moderator, article, "お知らせです")
    response = client.get("/users/moderator/")
    assert response.status_code == 200
    assert "お知らせです" in response.text


def test_a_profile_with_a_japanese_name(client, article):
    user = User.objects.create_user("太郎")
    comment_by(user, article, "日本語の名前で")
    response = client.get("/users/%E5%A4%AA%E9%83%8E/")
    assert response.status_code == 200
    assert "日本語の名前で" in response.text
    assert client.get("/users/次郎/").status_code == 404


def test_a_profile_costs_the_same_queries_for_few_comments_and_many(client, taro, article):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/users/taro/").status_code == 200
        return len(captured)

    comment_by(taro, article, "一つ")
    few = queries()
    for n in range(30):
        comment_by(taro, article, f"もっと{n}", parent=None)
    assert queries() == few
    assert few <= 4


def test_a_profile_query_count_is_bounded(client, taro, article, django_assert_max_num_queries):
    for n in range(20):
        comment_by(taro, article, f"コメント{n}")
    with django_assert_max_num_queries(4):
        client.get("/users/taro/")


# Deleting an account --------------------------------------------------------------------------


def test_deleting_an_account_keeps_its_comments_as_anonymous(client, article, post):
    staff = User.objects.create_user("管理人", password=PASSWORD, is_staff=True)
    first = post(article, "最初")
    mine = comment_by(staff, article, "スタッフの返信", parent=first)
    post(article, "その返信", parent=mine)
    comment_by(staff, article, "スタッフのスレッド")
    services.comment_edit(
        comment=mine, body="スタッフの返信(修正)", author_name="管理人", keep_revision=True
    )
    Report.objects.create(comment=first, reason="spam", reporter=staff, reporter_key="k")
    shape = tree_shape(article)
    url = article.get_absolute_url()
    page = reader().get(url).text  # caches the threads' HTML
    assert "管理人" in page
    assert "staff-badge" in page
    assert page.count('<span class="author">名無しさん</span>') == 2

    owner = reader("203.0.113.9")
    owner.force_login(staff)
    elsewhere = reader("203.0.113.10")
    elsewhere.force_login(staff)
    response = owner.post("/accounts/delete/", {"password": PASSWORD})
    assert response["Location"] == "/"

    assert not User.objects.exists()
    assert find_tree_problems() == {}
    assert tree_shape(article) == shape
    page = reader().get(url).text
    assert "管理人" not in page
    assert "staff-badge" not in page
    assert page.count('<span class="author">名無しさん</span>') == 4
    comment_page = reader().get(f"{url}c/{mine.number}/").text
    assert "管理人" not in comment_page
    assert Comment.objects.filter(user__isnull=False).count() == 0
    assert not Comment.objects.exclude(poster_key="").exists()
    assert not CommentRevision.objects.exclude(author_name="").exists()
    assert Report.objects.get().reporter is None
    # Every session of the account is over.
    for browser in (owner, elsewhere):
        assert not browser.get("/").context["user"].is_authenticated


def test_a_wrong_password_does_not_delete_the_account(taro_client, taro, article):
    comment_by(taro, article, "残る")
    response = taro_client.post(
        "/accounts/delete/", {"password": "wrong"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 200
    assert "パスワードが正しくありません" in response.text
    assert User.objects.filter(pk=taro.pk).exists()
    assert Comment.objects.get().author_name == "taro"


def test_the_profile_of_a_deleted_account_is_gone(taro_client, taro, article):
    comment_by(taro, article, "消える前")
    taro_client.post("/accounts/delete/", {"password": PASSWORD})
    assert Client().get("/users/taro/").status_code == 404


def test_an_account_deleted_in_the_admin_leaves_its_comments_anonymous(admin_client, taro, article):
    comment = comment_by(taro, article, "管理画面で消される")
    response = admin_client.post(
        f"/admin/auth/user/{taro.pk}/delete/", {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.user, comment.author_name) == (None, "")
    assert find_tree_problems() == {}


# Outside the test's own transaction, as a request runs: only there can a deletion try again.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["delete", "changelist"])
def test_an_account_deletion_in_the_admin_that_meets_a_busy_tree_tries_again(
    admin_client, taro, article, monkeypatch, page
):
    comment = comment_by(taro, article, "管理画面で消される")
    real_lock_trees, refused = locks.lock_trees, []

    def lock_trees(tree_ids, *, wait=True):
        if not refused:  # the comment's thread is being written to, out of order for this one
            refused.append(tree_ids)
            raise locks.LockConflict("comment tree is locked")
        return real_lock_trees(tree_ids, wait=wait)

    monkeypatch.setattr(locks, "lock_trees", lock_trees)
    if page == "delete":
        response = admin_client.post(f"/admin/auth/user/{taro.pk}/delete/", {"post": "yes"})
    else:
        data = {"action": "delete_selected", "_selected_action": [taro.pk], "post": "yes"}
        response = admin_client.post("/admin/auth/user/", data)
    assert response.status_code == 302
    assert refused
    assert not get_user_model().objects.filter(pk=taro.pk).exists()
    comment.refresh_from_db()
    assert (comment.user, comment.author_name) == (None, "")
    # The attempt let go of left nothing behind: one entry in the admin's log.
    assert LogEntry.objects.filter(object_id=str(taro.pk), action_flag=DELETION).count() == 1


def test_password_guesses_on_the_deletion_form_are_limited_like_log_ins(taro_client, taro):
    for _ in range(5):
        taro_client.post("/accounts/delete/", {"password": "wrong"})
    response = taro_client.post(
        "/accounts/delete/", {"password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 200
    assert "ログインの失敗が多すぎます" in response.text
    assert User.objects.filter(pk=taro.pk).exists()
