"""Abuse protection on the real comment form: bans, rate limits, traps, held comments, log-ins."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format

from articles.abuse.addresses import ip_hash
from articles.abuse.bans import active_ban
from articles.abuse.limits import Limit, PosterCheck, check_poster, within_limits
from articles.forms import check_form_token, form_issued_at, form_token
from articles.models import Ban, Comment, ModerationLog, RateCounter

from .helpers import count_in_two_processes, form, reader, test_database_url


@pytest.fixture
def url(seeded) -> str:
    return f"{seeded.get_absolute_url()}comment/"


def test_a_banned_address_gets_a_clear_message_and_nothing_is_saved(url):
    Ban.objects.create(ip_hash=ip_hash("198.51.100.7"), reason="荒らし")
    response = reader().post(url, form({"body": "まだ書きたい"}))
    assert response.status_code == 403
    assert "このサイトではコメントできません" in response.text
    assert "まだ書きたい</textarea>" in response.text
    assert not Comment.objects.filter(body="まだ書きたい").exists()
    # Another address is not affected.
    assert reader("198.51.100.8").post(url, form({"body": "別人"})).status_code == 302


def test_an_ipv6_ban_holds_the_whole_slash_64_and_no_more(url):
    """The host half of an IPv6 address is the subscriber's to change at will."""
    Ban.objects.create(ip_hash=ip_hash("2001:db8:1:2::7"), reason="荒らし")
    assert reader("2001:db8:1:2:abcd::99").post(url, form({"body": "別の番地"})).status_code == 403
    assert reader("2001:db8:1:3::7").post(url, form({"body": "別の回線"})).status_code == 302


def test_a_ban_for_a_time_ends(url):
    ban = Ban.objects.create(
        ip_hash=ip_hash("198.51.100.7"),
        reason="一週間",
        expires_at=timezone.now() + timedelta(days=7),
    )
    response = reader().post(url, form({"body": "一週間後"}))
    assert response.status_code == 403
    assert "までコメントできません" in response.text
    Ban.objects.filter(pk=ban.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reader().post(url, form({"body": "一週間後"})).status_code == 302


def test_of_two_bans_the_longer_one_speaks(url):
    address = ip_hash("198.51.100.7")
    day, week = timezone.now() + timedelta(days=1), timezone.now() + timedelta(days=7)
    Ban.objects.create(ip_hash=address, reason="一日", expires_at=day)
    Ban.objects.create(ip_hash=address, reason="一週間", expires_at=week)
    response = reader().post(url, form({"body": "まだ"}))
    assert response.status_code == 403
    until = date_format(timezone.localtime(week), "DATETIME_FORMAT")
    assert f"{until}までコメントできません" in response.text
    Ban.objects.create(ip_hash=address, reason="永久")
    response = reader().post(url, form({"body": "まだ"}))
    assert "このサイトではコメントできません" in response.text


def test_the_ban_found_is_the_instance_the_orm_would_load(db):
    """active_ban is written out by hand: every field, value and type as the ORM gives them."""
    user = get_user_model().objects.create_user("troll")
    ban = Ban.objects.create(user=user, reason="荒らし", expires_at=timezone.now() + timedelta(1))
    found = active_ban(user=user, ip_hash="")
    expected = Ban.objects.get(pk=ban.pk)
    for field in Ban._meta.concrete_fields:
        got, want = getattr(found, field.attname), getattr(expected, field.attname)
        assert (got, type(got)) == (want, type(want)), field.name
    assert found._state.adding is False
    assert found._state.db == expected._state.db
    by_address = Ban.objects.create(ip_hash=ip_hash("203.0.113.9"), reason="荒らし")
    assert active_ban(user=None, ip_hash=ip_hash("203.0.113.9")).pk == by_address.pk
    assert active_ban(user=None, ip_hash=ip_hash("203.0.113.10")) is None


def test_a_count_now_and_then_deletes_the_expired_counters(db, monkeypatch):
    gone = timezone.now() - timedelta(seconds=1)
    RateCounter.objects.create(
        key="burst:old", window_start=gone - timedelta(hours=1), expires_at=gone
    )
    limit = Limit("burst", 5, 3600)
    within_limits([("ip:someone", limit)])
    assert RateCounter.objects.filter(key="burst:old").exists()  # the tests' chance is nil
    monkeypatch.setattr("articles.abuse.limits.PRUNE_CHANCE", 1)
    within_limits([("ip:someone", limit)])
    assert list(RateCounter.objects.values_list("key", "count")) == [("burst:ip:someone", 2)]


@pytest.mark.django_db(transaction=True)  # autocommit, as a reader's post runs it
def test_the_ban_and_the_rate_count_are_asked_in_one_round_trip(settings):
    """check_poster answers as active_ban and within_limits do, their two statements pipelined
    on PostgreSQL (one after the other elsewhere); a banned poster's attempt counts too."""
    settings.FORUM_RATE_LIMITS = {"burst": (2, 3600), "hourly": (30, 86400)}
    address = ip_hash("198.51.100.7")
    pipelines = []

    def watch(execute, sql, params, many, context):
        pipelines.append(connection.vendor == "postgresql" and connection.connection._pipeline)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        first = check_poster(user=None, ip_hash=address)
    assert first == PosterCheck(ban=None, too_fast=False)
    assert len(pipelines) == 2
    assert len({id(p) if p else None for p in pipelines}) == 1
    assert all(pipelines) == (connection.vendor == "postgresql")

    ban = Ban.objects.create(ip_hash=address, reason="荒らし")
    second = check_poster(user=None, ip_hash=address)
    assert (second.ban.pk, second.too_fast) == (ban.pk, False)
    # The banned attempt counted: the third goes over the burst limit of two.
    assert check_poster(user=None, ip_hash=address).too_fast
    assert check_poster(user=None, ip_hash=ip_hash("198.51.100.8")) == first


def test_a_banned_account_cannot_comment_from_any_address(url):
    user = get_user_model().objects.create_user("troll")
    Ban.objects.create(user=user, reason="荒らし")
    client = reader("192.0.2.50")
    client.force_login(user)
    assert client.post(url, form({"body": "別の場所から"})).status_code == 403


def test_burst_limit_answers_429_and_keeps_the_text(url, settings):
    settings.FORUM_RATE_LIMITS = {"burst": (3, 3600), "hourly": (30, 86400)}
    client = reader()
    for n in range(3):
        assert client.post(url, form({"body": f"連投{n}"})).status_code == 302
    response = client.post(url, form({"body": "四つ目"}))
    assert response.status_code == 429
    assert "投稿が速すぎます" in response.text
    assert "四つ目</textarea>" in response.text
    assert not Comment.objects.filter(body="四つ目").exists()
    assert reader("198.51.100.99").post(url, form({"body": "別の人"})).status_code == 302


def test_hourly_limit_counts_per_account_across_addresses(url, settings):
    settings.FORUM_RATE_LIMITS = {"burst": (100, 30), "hourly": (2, 3600)}
    user = get_user_model().objects.create_user("busy")
    statuses = []
    for n in range(3):
        client = reader(f"192.0.2.{n}")
        client.force_login(user)
        statuses.append(client.post(url, form({"body": f"投稿{n}"})).status_code)
    assert statuses == [302, 302, 429]


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_limit():
    allowed = count_in_two_processes({"DATABASE_URL": test_database_url()})
    # 80 attempts against a limit of 50 shared by both: exactly 50 get through.
    assert sum(allowed) == 50
    assert all(count > 0 for count in allowed)


def test_honeypot_filled_in_is_refused_with_the_text_kept(url):
    response = reader().post(url, form({"body": "ボットです", "website": "http://spam.example"}))
    assert response.status_code == 400
    assert "コメントを投稿できませんでした" in response.text
    assert "ボットです</textarea>" in response.text
    assert not Comment.objects.filter(body="ボットです").exists()


@pytest.mark.parametrize(
    ("issued", "message"),
    [
        (lambda: form_token(time.time()), "早すぎ"),
        (lambda: form_token(time.time() - 2 * 24 * 3600), "有効期限"),
        (lambda: "forged", "確認できませんでした"),
        (lambda: "", "確認できませんでした"),
    ],
)
def test_form_timestamp_too_fast_too_old_or_forged_is_refused(url, settings, issued, message):
    settings.FORUM_FORM_MIN_SECONDS = 2
    token = issued()
    response = reader().post(url, {"issued": token, "body": "時刻の確認"})
    assert response.status_code == 400
    assert message in response.text
    assert "時刻の確認</textarea>" in response.text
    assert not Comment.objects.filter(body="時刻の確認").exists()
    # The form comes back with a token to post again with: the one it came with when that is
    # still good (a person's time on the form counts from when it was first shown), else fresh.
    again = re.search(r'name="issued" value="([^"]+)"', response.text)[1]
    assert (again == token) == (message == "早すぎ")
    check_form_token_later(again, settings)


def test_a_preview_at_once_is_shown_and_the_post_right_after_it_goes_through(url, settings):
    """The minimum time is a person's time on the form since it was first shown: a preview
    writes nothing, and the form it shows again is the same form."""
    settings.FORUM_FORM_MIN_SECONDS = 2
    shown = form_token(time.time() - 3)  # the page was read three seconds ago
    browser = reader()
    preview = browser.post(url, {"issued": form_token(), "body": "すぐに確認", "preview": "1"})
    assert preview.status_code == 200
    assert "すぐに確認</textarea>" in preview.text
    assert "早すぎ" not in preview.text
    preview = browser.post(url, {"issued": shown, "body": "確認して投稿", "preview": "1"})
    again = re.search(r'name="issued" value="([^"]+)"', preview.text)[1]
    assert again == shown  # the same form, not yet posted
    posted = browser.post(url, {"issued": again, "body": "確認して投稿"})
    assert posted.status_code == 302
    assert Comment.objects.filter(body="確認して投稿").exists()


def test_a_used_form_previewed_again_gives_a_form_that_must_wait(url, settings):
    """A form already posted cannot be previewed into new forms that post at once."""
    settings.FORUM_FORM_MIN_SECONDS = 2
    used = form_token(time.time() - 3)
    browser = reader()
    assert browser.post(url, {"issued": used, "body": "一度目"}).status_code == 302
    preview = browser.post(url, {"issued": used, "body": "二度目", "preview": "1"})
    fresh = re.search(r'name="issued" value="([^"]+)"', preview.text)[1]
    assert fresh != used
    assert time.time() - form_issued_at(fresh) < 2  # handed out now
    refused = browser.post(url, {"issued": fresh, "body": "二度目"})
    assert refused.status_code == 400
    assert "早すぎ" in refused.text
    assert not Comment.objects.filter(body="二度目").exists()


def check_form_token_later(token: str, settings) -> None:
    """The fresh token is genuine: accepted once the minimum time has passed."""
    settings.FORUM_FORM_MIN_SECONDS = 0
    check_form_token(token)


def test_every_comment_form_carries_the_traps(client, seeded):
    base = seeded.get_absolute_url()
    for page in (base, f"{base}c/3/reply/"):
        text = client.get(page).text
        assert 'name="website"' in text
        assert 'name="issued"' in text


@pytest.mark.parametrize("spelling", ["ＳＰＡＭ商品", "spam商品", "Spam商品", "ｓｐａｍ商品"])
def test_banned_words_match_full_and_half_width_and_hold_the_comment(url, settings, spelling):
    settings.FORUM_BANNED_WORDS = ["spam商品"]
    response = reader().post(url, form({"body": f"格安の{spelling}です"}))
    assert response.status_code == 302
    comment = Comment.objects.get(body=f"格安の{spelling}です")
    assert comment.status == Comment.Status.PENDING


def test_too_many_links_hold_the_comment(url, settings):
    settings.FORUM_MAX_LINKS = 2
    links = " ".join(f"https://example.com/{n}" for n in range(3))
    reader().post(url, form({"body": f"リンク集 {links}"}))
    assert Comment.objects.get(body__startswith="リンク集").status == Comment.Status.PENDING
    reader().post(url, form({"body": "一つだけ https://example.com/"}))
    assert Comment.objects.get(body__startswith="一つだけ").status == Comment.Status.PUBLISHED


@pytest.mark.parametrize(
    ("policy", "held"),
    [
        ("off", [False, False, False]),
        ("first", [True, False, False]),
        ("links", [False, True, False]),
        ("all", [True, True, True]),
    ],
)
def test_premoderation_per_article(seeded, url, moderator_client, policy, held):
    seeded.premoderation = policy
    seeded.save()
    client = reader()
    bodies = ["はじめまして", "参考 https://example.com/", "二回目"]
    for n, body in enumerate(bodies):
        client.post(url, form({"body": body}))
        if n == 0 and held[0]:
            # A moderator approves the first comment, so the poster is no longer new.
            moderator_client.post(
                "/admin/articles/pendingcomment/",
                {"action": "approve", "_selected_action": [Comment.objects.get(body=body).pk]},
            )
    statuses = [Comment.objects.get(body=body).status for body in bodies]
    expected = [
        "published" if n == 0 and held[0] else ("pending" if h else "published")
        for n, h in enumerate(held)
    ]
    assert statuses == expected


def test_site_wide_premoderation(url, settings):
    settings.FORUM_PREMODERATION = "all"
    reader().post(url, form({"body": "全部保留"}))
    assert Comment.objects.get(body="全部保留").status == Comment.Status.PENDING


def test_held_comment_is_seen_by_its_author_and_moderators_only(seeded, url, moderator_client):
    seeded.premoderation = "all"
    seeded.save()
    author = reader()
    response = author.post(url, form({"body": "承認待ちの意見"}), follow=True)
    assert "承認されると表示されます" in response.text
    assert "承認待ちの意見" in response.text
    assert "承認待ちの意見" in author.get(seeded.get_absolute_url()).text
    assert "承認待ちの意見" not in reader("203.0.113.1").get(seeded.get_absolute_url()).text
    assert "承認待ちの意見" in moderator_client.get(seeded.get_absolute_url()).text
    held = Comment.objects.get(body="承認待ちの意見")
    moderator_client.post(
        "/admin/articles/pendingcomment/",
        {"action": "approve", "_selected_action": [held.pk]},
    )
    assert "承認待ちの意見" in reader("203.0.113.1").get(seeded.get_absolute_url()).text
    assert ModerationLog.objects.get().action == "approve"


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_log_in_attempts_are_limited(db, login_url):
    get_user_model().objects.create_user("owner", password="right-password-123", is_staff=True)
    client = reader()
    for _ in range(5):
        client.post(login_url, {"username": "owner", "password": "wrong"})
    response = client.post(login_url, {"username": "owner", "password": "right-password-123"})
    assert response.status_code == 200
    assert "ログインの失敗が多すぎます" in response.text
    assert "_auth_user_id" not in client.session
    # Another address may still log in.
    other = reader("203.0.113.77")
    response = other.post(login_url, {"username": "owner", "password": "right-password-123"})
    assert response.status_code == 302


def test_the_admin_lives_at_the_configured_url(settings, moderator_client):
    import importlib

    from django.urls import clear_url_caches

    import forum.urls

    settings.ADMIN_URL = "desk-7f3a/"
    try:
        importlib.reload(forum.urls)
        clear_url_caches()
        assert moderator_client.get("/desk-7f3a/").status_code == 200
        assert moderator_client.get("/admin/").status_code == 404
    finally:
        settings.ADMIN_URL = "admin/"
        importlib.reload(forum.urls)
        clear_url_caches()
