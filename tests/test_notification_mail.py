"""Notification e-mail: queued on reply, sent by the task worker, retried, capped, unsubscribed."""

import logging
import socket
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import moderation, services
from articles.models import Article, Comment, ModerationLog
from forum.mail import enqueue_mail
from notifications.models import MailMode, MailPreference, Notification
from notifications.unsubscribe import unsubscribe_token

from .helpers import form, reader


@pytest.fixture
def hanako(db):
    user = get_user_model().objects.create_user("hanako", email="hanako@example.com")
    MailPreference.objects.create(user=user, mode=MailMode.EACH, language="ja")
    return user


@pytest.fixture
def mine(article: Article, hanako) -> Comment:
    return services.comment_create(article=article, body="私の意見", user=hanako)


@pytest.fixture
def reply(article, mine, django_capture_on_commit_callbacks):
    """Reply to hanako's comment as a reader on the site does, the commit's callbacks run."""

    def reply(body: str = "返信です") -> Comment:
        with django_capture_on_commit_callbacks(execute=True):
            url = f"{article.get_absolute_url()}c/1/reply/"
            response = reader().post(url, form({"body": body}))
        assert response.status_code == 302
        return Comment.objects.get(body=body)

    return reply


def dead_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_reply_queues_the_mail_and_the_worker_sends_it(reply, run_worker, article):
    reply("はじめまして、返信です")
    assert mail.outbox == []  # nothing is sent inside the request
    assert DBTaskResult.objects.filter(task_path="notifications.tasks.reply_mail").count() == 1
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["hanako@example.com"]
    assert message.subject == "名無しさんからあなたのコメントに返信がありました"
    assert "はじめまして、返信です" in message.body
    assert f"{article.get_absolute_url()}c/2/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "はじめまして、返信です" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://")
    assert Notification.objects.get().mailed_at is not None


def test_the_mail_is_in_the_readers_language(reply, run_worker, hanako):
    MailPreference.objects.filter(user=hanako).update(language="en")
    reply()
    run_worker()
    (message,) = mail.outbox
    assert message.subject == "Anonymous replied to your comment"
    assert "Unsubscribe:" in message.body


def test_no_mail_when_off_or_without_an_address(reply, run_worker, hanako):
    MailPreference.objects.filter(user=hanako).update(mode=MailMode.OFF)
    reply("一つ目")
    assert not DBTaskResult.objects.exists()
    MailPreference.objects.filter(user=hanako).update(mode=MailMode.EACH)
    get_user_model().objects.filter(pk=hanako.pk).update(email="")
    reply("二つ目")
    run_worker()
    assert mail.outbox == []


def test_a_reply_removed_before_the_worker_runs_is_not_mailed(reply, run_worker):
    comment = reply()
    services.comment_set_status(comment=comment, status=Comment.Status.REMOVED, moderator=None)
    run_worker()
    assert mail.outbox == []


@pytest.fixture
def silent_mail_server(settings):
    """A mail server that takes connections and never says a word (a hung SMTP server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 1
        yield server


def was_contacted(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def test_a_hung_mail_server_never_touches_the_post_and_is_retried(
    reply, run_worker, settings, caplog, silent_mail_server
):
    comment = reply("止まったサーバーでも投稿できる")
    assert comment.status == Comment.Status.PUBLISHED
    assert not was_contacted(silent_mail_server)  # the request never spoke to it
    with caplog.at_level(logging.WARNING, logger="forum.mail"):
        run_worker()
    assert was_contacted(silent_mail_server)  # the worker did, and gave up after EMAIL_TIMEOUT
    assert "attempt 1 failed; trying again in 60 s" in caplog.text
    failed = DBTaskResult.objects.failed().get()
    assert failed.exception_class_path == "smtplib.SMTPServerDisconnected"  # timed out
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timezone.timedelta(seconds=50)
    run_worker()  # not due yet
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    # The server is back; the retry, once due, goes out.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    (message,) = mail.outbox
    assert "止まったサーバーでも投稿できる" in message.body


def test_a_mail_that_keeps_failing_is_given_up_and_logged(
    settings, run_worker, caplog, django_capture_on_commit_callbacks, db
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", dead_port()
    settings.EMAIL_USE_TLS = False
    settings.FORUM_MAIL_ATTEMPTS = 3
    settings.FORUM_MAIL_RETRY_SECONDS = 0  # back-off of 0, 0, 0: each retry is due at once
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_mail(to="a@example.com", subject="件名", text="本文")
    with caplog.at_level(logging.WARNING, logger="forum.mail"):
        run_worker()
    assert DBTaskResult.objects.failed().count() == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert "attempt 3 failed; giving up" in caplog.text


def test_enqueue_mail_waits_for_the_commit(django_capture_on_commit_callbacks, run_worker, db):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_mail(
            to="a@example.com",
            subject="パスワードの再設定",
            text="本文",
            html="<p>本文</p>",
            headers={"X-Test": "1"},
        )
    assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    run_worker()
    (message,) = mail.outbox
    assert (message.subject, message.body, message.extra_headers) == (
        "パスワードの再設定",
        "本文",
        {"X-Test": "1"},
    )
    assert message.alternatives[0][0] == "<p>本文</p>"


def test_the_hourly_cap(reply, run_worker, settings):
    settings.FORUM_NOTIFICATION_MAILS_PER_HOUR = 2
    for n in range(4):
        reply(f"返信{n}")
    run_worker()
    assert len(mail.outbox) == 2
    assert Notification.objects.count() == 4  # the site still tells of every one


def test_unsubscribe_works_logged_out_with_a_signed_link(reply, run_worker, hanako, client):
    reply()
    run_worker()
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200
    assert MailPreference.objects.get(user=hanako).mode == MailMode.EACH  # GET changes nothing
    # One click from the mail program: a POST with no cookie and no CSRF token.
    strict = reader()
    strict.handler.enforce_csrf_checks = True
    response = strict.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert MailPreference.objects.get(user=hanako).mode == MailMode.OFF


def test_a_tampered_unsubscribe_token_is_refused(hanako, client):
    taro = get_user_model().objects.create_user("taro", email="taro@example.com")
    MailPreference.objects.create(user=taro, mode=MailMode.EACH)
    token = unsubscribe_token(hanako.pk)
    signature = token.split(":", 1)[1]
    forged = f"{unsubscribe_token(taro.pk).split(':', 1)[0]}:{signature}"
    for bad in (forged, token[:-1] + ("A" if token[-1] != "A" else "B"), "nonsense"):
        url = reverse("notifications:unsubscribe", args=[bad])
        assert client.post(url).status_code == 400
    assert MailPreference.objects.get(user=taro).mode == MailMode.EACH
    assert MailPreference.objects.get(user=hanako).mode == MailMode.EACH


def test_the_daily_digest(article, mine, hanako, run_worker, django_capture_on_commit_callbacks):
    MailPreference.objects.filter(user=hanako).update(mode=MailMode.DIGEST)
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_create(article=article, parent=mine, body=f"ダイジェスト{n}")
    run_worker()
    assert mail.outbox == []  # nothing per reply
    Notification.objects.filter(reply__body="ダイジェスト0").update(read_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification_digests", stdout=StringIO())
    run_worker()
    (digest,) = mail.outbox
    assert "2" in digest.subject
    assert "ダイジェスト1" in digest.body
    assert "ダイジェスト2" in digest.body
    assert "ダイジェスト0" not in digest.body  # read on the site already
    assert "List-Unsubscribe" in digest.extra_headers
    # The next day's digest tells only of what is new.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification_digests", stdout=StringIO())
    run_worker()
    assert len(mail.outbox) == 1


def test_the_settings_page_refuses_email_without_an_address(client, db):
    user = get_user_model().objects.create_user("noaddress")
    client.force_login(user)
    url = reverse("notifications:settings")
    assert client.get(url).status_code == 200
    response = client.post(url, {"mode": "each"})
    assert response.status_code == 200
    assert "メールアドレス" in response.text
    assert not MailPreference.objects.exists()


def test_the_settings_page_stores_the_mode_and_language(client, db):
    user = get_user_model().objects.create_user("withaddress", email="w@example.com")
    client.force_login(user)
    response = client.post(
        reverse("notifications:settings"), {"mode": "digest"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    preference = MailPreference.objects.get(user=user)
    assert (preference.mode, preference.language) == (MailMode.DIGEST, "en")


def test_a_held_reply_is_mailed_once_approved(
    article, mine, run_worker, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        held = services.comment_create(
            article=article, parent=mine, body="承認待ちの返信", status=Comment.Status.PENDING
        )
    run_worker()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(
            comment=held, action=ModerationLog.Action.APPROVE, moderator=moderator
        )
    run_worker()
    (message,) = mail.outbox
    assert "承認待ちの返信" in message.body


def test_an_inactive_account_gets_no_mail(
    article, mine, hanako, reply, run_worker, django_capture_on_commit_callbacks
):
    reply("止められる前の返信")  # queued while the account was active
    get_user_model().objects.filter(pk=hanako.pk).update(is_active=False)
    run_worker()
    reply("止められた後の返信")
    MailPreference.objects.filter(user=hanako).update(mode=MailMode.DIGEST)
    Notification.objects.update(mailed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification_digests", stdout=StringIO())
    run_worker()
    assert mail.outbox == []


def test_a_reply_under_a_held_comment_is_mailed_once_that_is_approved(
    article, hanako, run_worker, moderator, django_capture_on_commit_callbacks
):
    root = services.comment_create(article=article, body="一")
    mine = services.comment_create(article=article, parent=root, body="私の意見", user=hanako)
    services.comment_set_status(comment=root, status=Comment.Status.PENDING, moderator=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(article=article, parent=mine, body="まだ誰にも見えない返信")
    run_worker()
    assert mail.outbox == []
    for _ in range(2):  # approved, held again, approved again: one mail
        with django_capture_on_commit_callbacks(execute=True):
            moderation.comment_moderate(
                comment=root, action=ModerationLog.Action.APPROVE, moderator=moderator
            )
        run_worker()
        services.comment_set_status(comment=root, status=Comment.Status.PENDING, moderator=None)
    (message,) = mail.outbox
    assert "まだ誰にも見えない返信" in message.body


def test_the_digest_leaves_out_a_reply_held_from_above(
    article, hanako, run_worker, django_capture_on_commit_callbacks
):
    MailPreference.objects.filter(user=hanako).update(mode=MailMode.DIGEST)
    root = services.comment_create(article=article, body="一")
    mine = services.comment_create(article=article, parent=root, body="私の意見", user=hanako)
    services.comment_create(article=article, parent=mine, body="あとで隠れる返信")
    other = services.comment_create(article=article, body="別の意見", user=hanako)
    services.comment_create(article=article, parent=other, body="見えている返信")
    services.comment_set_status(comment=root, status=Comment.Status.PENDING, moderator=None)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification_digests", stdout=StringIO())
    run_worker()
    (digest,) = mail.outbox
    assert "見えている返信" in digest.body
    assert "あとで隠れる返信" not in digest.body
