"""Boards (articles.boards): daily poster IDs, the thread starter's mark, and trip codes."""

import logging
import re
import sys
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.functions import Cast
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.views.debug import ExceptionReporter

from articles import posting, services, views
from articles.abuse.addresses import ip_hash
from articles.boards import trips
from articles.boards.ids import daily_id
from articles.models import Article, Comment

from . import test_import_wordpress as wordpress
from .helpers import form, reader

ID_PATTERN = re.compile(r'<span class="poster-id"[^>]*>ID:([0-9A-Za-z]{8})</span>')
SECRET = "とりっぷ秘密XYZ123"


@pytest.fixture
def at(monkeypatch):
    """Set the clock: ``at(datetime)`` makes every ``timezone.now()`` answer that time."""

    def at(when: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: when)

    return at


def utc(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)  # after the articles are published


def post_as(client: Client, article: Article, body: str, *, name: str = "", parent: int = 0):
    url = article.get_absolute_url()
    target = f"{url}c/{parent}/reply/" if parent else f"{url}comment/"
    return client.post(target, form({"author_name": name, "body": body}))


def comment_id(article: Article, number: int) -> str:
    return Comment.objects.get(article=article, number=number).daily_id


def shown_ids(html: str) -> list[str]:
    return ID_PATTERN.findall(html)


# Daily poster IDs ------------------------------------------------------------------------------


def test_a_poster_keeps_one_id_in_an_article_for_a_japanese_day(article, at):
    taro = reader("198.51.100.7")
    at(utc(0, 30))  # 09:30 in Japan
    post_as(taro, article, "朝の書き込み")
    at(utc(14, 59))  # 23:59 in Japan, the same day
    post_as(taro, article, "夜の書き込み")
    first, second = comment_id(article, 1), comment_id(article, 2)
    assert re.fullmatch(r"[0-9A-Za-z]{8}", first)
    assert first == second
    page = reader("203.0.113.50").get(article.get_absolute_url()).text
    assert shown_ids(page) == [first, first]
    assert f'data-poster-id="{first}"' in page


def test_the_id_changes_at_midnight_in_japan_not_in_utc(article, at):
    taro = reader("198.51.100.7")
    at(utc(14, 59))  # 23:59 on the 5th in Japan
    post_as(taro, article, "日付が変わる前")
    at(utc(15, 0))  # 00:00 on the 6th in Japan, still the 5th in UTC
    post_as(taro, article, "日付が変わった後")
    at(utc(23, 0))  # 08:00 on the 6th in Japan, the same Japanese day
    post_as(taro, article, "翌朝")
    assert comment_id(article, 1) != comment_id(article, 2)
    assert comment_id(article, 2) == comment_id(article, 3)


def test_the_id_differs_between_articles_and_between_posters(article, other_article, at):
    at(utc(3))
    taro, hanako = reader("198.51.100.7"), reader("198.51.100.8")
    post_as(taro, article, "この記事で")
    post_as(taro, other_article, "別の記事で")
    post_as(hanako, article, "別の人")
    assert comment_id(article, 1) != comment_id(other_article, 1)
    assert comment_id(article, 1) != comment_id(article, 2)


def test_an_account_keeps_its_id_from_any_address(article, at):
    user = get_user_model().objects.create_user("kenji", password="pw-123456789")
    at(utc(3))
    for address in ("198.51.100.7", "203.0.113.9"):
        client = reader(address)
        client.force_login(user)
        post_as(client, article, f"{address} から")
    assert comment_id(article, 1) == comment_id(article, 2) != ""


def test_the_id_is_a_keyed_hash_that_holds_no_address(article):
    posted_at = utc(3)
    address_hash = ip_hash("198.51.100.7")
    key = {"article_id": article.pk, "user_id": None, "ip_hash": address_hash}
    code = daily_id(**key, posted_at=posted_at)
    assert code not in address_hash
    assert "198" not in code
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.FORUM_DAILY_ID_SECRET", "another key")
        assert daily_id(**key, posted_at=posted_at) != code


def test_the_article_switch_hides_ids_even_from_a_cached_page(article, admin_client):
    post_as(reader("198.51.100.7"), article, "IDつき")
    url = article.get_absolute_url()
    assert shown_ids(reader("203.0.113.50").get(url).text)  # rendered, and cached
    article.daily_ids = False
    article.save(update_fields=["daily_ids"])
    page = reader("203.0.113.50").get(url).text
    assert shown_ids(page) == []
    assert "data-poster-id" not in page
    # The comment's own page follows the switch too.
    assert shown_ids(reader("203.0.113.50").get(f"{url}c/1/").text) == []


def test_the_article_switch_is_in_the_admin(article, admin_client):
    change = f"/admin/articles/article/{article.pk}/change/"
    assert 'name="daily_ids"' in admin_client.get(change).text


def test_the_site_switch_hides_ids_everywhere(article, settings):
    post_as(reader("198.51.100.7"), article, "IDつき")
    url = article.get_absolute_url()
    assert shown_ids(reader("203.0.113.50").get(url).text)
    settings.FORUM_DAILY_IDS = False
    assert shown_ids(reader("203.0.113.50").get(url).text) == []
    assert shown_ids(reader("203.0.113.50").get(f"{url}c/1/").text) == []


def test_comments_imported_without_an_address_have_no_id(seeded):
    assert not seeded.comments.exclude(daily_id="").exists()
    page = reader().get(seeded.get_absolute_url()).text
    assert shown_ids(page) == []
    assert "data-poster-id" not in page


def test_comments_imported_with_an_address_have_the_id_of_the_day_they_were_posted(db):
    wordpress.run(str(wordpress.WXR_12))
    comments = {c.import_ref: c for c in Comment.objects.filter(import_ref__isnull=False)}
    answer = comments["wp:102"]  # from 2001:db8::1
    assert answer.daily_id == daily_id(
        article_id=answer.article_id,
        user_id=None,
        ip_hash=answer.ip_hash,
        posted_at=answer.created_at,
    )
    assert comments["wp:108"].daily_id == ""  # exported without an address
    # A newer export that corrects when it was posted corrects the day of its ID too.
    wordpress.run(str(wordpress.WXR_11_NEWER))
    for comment in Comment.objects.filter(import_ref__isnull=False).exclude(ip_hash=""):
        assert comment.daily_id == daily_id(
            article_id=comment.article_id,
            user_id=None,
            ip_hash=comment.ip_hash,
            posted_at=comment.created_at,
        )


def test_the_migration_gives_comments_posted_before_it_their_ids(article, other_article):
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("articles.migrations.0016_daily_ids")
    posted = services.comment_create(article=article, body="前から", ip_hash=ip_hash("192.0.2.1"))
    imported = services.comment_create(article=other_article, body="住所なし")
    expected = posted.daily_id
    Comment.objects.update(daily_id="")
    migration.give_posted_comments_their_ids(django_apps, None)
    assert Comment.objects.get(pk=posted.pk).daily_id == expected != ""
    assert Comment.objects.get(pk=imported.pk).daily_id == ""


def test_the_page_shows_ids_without_more_queries(article, django_assert_max_num_queries):
    url = article.get_absolute_url()
    for n in range(3):
        post_as(reader(f"198.51.100.{n + 1}"), article, f"コメント{n}")
    article.daily_ids = False
    article.save(update_fields=["daily_ids"])
    with django_assert_max_num_queries(20) as without:
        reader("203.0.113.50").get(url)
    article.daily_ids = True
    article.save(update_fields=["daily_ids"])
    with django_assert_max_num_queries(len(without.captured_queries)):
        page = reader("203.0.113.50").get(url).text
    assert len(shown_ids(page)) == 3


# The thread starter's mark (スレ主) -------------------------------------------------------------


def starter_marked(html: str, number: int) -> bool:
    row = html.split(f'id="c{number}"', 1)[1].split("</header>", 1)[0]
    return 'class="starter-mark"' in row


def test_the_thread_starter_is_marked_in_their_own_thread(article, at):
    taro, hanako = reader("198.51.100.7"), reader("198.51.100.8")
    at(utc(3))
    post_as(taro, article, "スレを立てた")  # 1
    post_as(hanako, article, "返信", parent=1)  # 2
    post_as(taro, article, "スレ主の返信", parent=2)  # 3
    post_as(hanako, article, "別のスレ")  # 4
    post_as(taro, article, "よそのスレで", parent=4)  # 5
    at(utc(16))  # the next day in Japan: a new ID, no longer recognised
    post_as(taro, article, "翌日の返信", parent=1)  # 6
    url = article.get_absolute_url()
    page = reader("203.0.113.50").get(url).text
    assert [n for n in range(1, 7) if starter_marked(page, n)] == [3]
    assert "スレ主" in page
    # On the reply's own page the first comment is only an ancestor, and still counts.
    assert starter_marked(reader("203.0.113.50").get(f"{url}c/2/").text, 3)


@pytest.mark.parametrize("status", [Comment.Status.REMOVED, Comment.Status.DELETED])
def test_a_first_comment_readers_cannot_see_marks_nobody(article, status):
    taro, hanako = reader("198.51.100.7"), reader("198.51.100.8")
    post_as(taro, article, "スレを立てた")  # 1
    post_as(hanako, article, "返信", parent=1)  # 2
    post_as(taro, article, "スレ主の返信", parent=2)  # 3
    url = article.get_absolute_url()
    assert starter_marked(reader("203.0.113.50").get(url).text, 3)  # and the thread is cached
    first = Comment.objects.get(article=article, number=1)
    services.comment_set_status(comment=first, status=status, moderator=None)
    # Its tombstone shows no ID, so nothing on the page may tie #3 to whoever wrote it.
    page = reader("203.0.113.50").get(url).text
    assert first.daily_id not in page.split('id="c2"', 1)[0]
    assert not starter_marked(page, 3)
    assert not starter_marked(reader("203.0.113.50").get(f"{url}c/2/").text, 3)
    arrived = reader().get(f"{url}new-comments/?after=2").json()["comments"]
    assert [c["number"] for c in arrived] == [3]
    assert "starter-mark" not in arrived[0]["html"]


def test_no_starter_mark_where_ids_are_off(article, settings):
    taro, hanako = reader("198.51.100.7"), reader("198.51.100.8")
    post_as(taro, article, "スレを立てた")
    post_as(hanako, article, "返信", parent=1)
    post_as(taro, article, "スレ主の返信", parent=2)
    settings.FORUM_DAILY_IDS = False
    assert "starter-mark" not in reader("203.0.113.50").get(article.get_absolute_url()).text


# Trip codes -------------------------------------------------------------------------------------


def test_a_trip_code_is_the_same_for_the_same_secret_anywhere(article, other_article, at):
    at(utc(3))
    post_as(reader("198.51.100.7"), article, "一つ目", name=f"太郎#{SECRET}")
    at(utc(20, day=9))
    post_as(reader("203.0.113.9"), other_article, "二つ目", name=f"太郎＃{SECRET}")
    post_as(reader("203.0.113.9"), other_article, "三つ目", name="太郎#違う秘密")
    first = Comment.objects.get(article=article, number=1).author_name
    assert re.fullmatch(r"太郎 ◆[0-9A-Za-z]{10}", first)
    assert Comment.objects.get(article=other_article, number=1).author_name == first
    assert Comment.objects.get(article=other_article, number=2).author_name != first
    assert first in reader().get(article.get_absolute_url()).text


def test_a_trip_alone_shows_only_its_code(article):
    post_as(reader(), article, "名無しでトリップ", name=f"#{SECRET}")
    assert re.fullmatch(r"◆[0-9A-Za-z]{10}", Comment.objects.get().author_name)


def test_the_name_shown_for_a_stored_name():
    with translation.override("ja"):
        assert trips.shown_name("") == "名無しさん"
        assert trips.shown_name("◆AbCdEfGhIj") == "名無しさん ◆AbCdEfGhIj"
        assert trips.shown_name("太郎 ◆AbCdEfGhIj") == "太郎 ◆AbCdEfGhIj"
        assert trips.shown_name("太郎") == "太郎"


def test_a_trip_alone_is_shown_after_the_anonymous_name_as_boards_show_it(article):
    post_as(reader(), article, "名無しでトリップ", name=f"#{SECRET}")
    code = Comment.objects.get().author_name
    url = article.get_absolute_url()
    page = reader().get(url).text
    assert f'<span class="author">名無しさん {code}</span>' in page
    assert f'data-name="{code}"' in page  # what mute lists match: the code, in any language
    assert f'"name":"名無しさん {code}"' in page  # the structured data
    reply_page = reader().get(f"{url}c/1/reply/").text
    assert f'<span class="author">名無しさん {code}</span>' in reply_page
    preview = reader().post(
        f"{url}comment/", form({"author_name": f"#{SECRET}", "body": "確認", "preview": "1"})
    )
    assert f'<span class="author">名無しさん {code}</span>' in preview.text
    english = reader().get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert f'<span class="author">Anonymous {code}</span>' in english


def text_columns() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    ]


def test_the_trip_secret_is_stored_nowhere(article, client):
    taro = reader()
    post_as(taro, article, "トリップ付き", name=f"太郎#{SECRET}")
    post_as(taro, article, "返信 >>1", name=f"太郎#{SECRET}", parent=1)
    comment = Comment.objects.get(number=1)
    taro.post(
        f"{article.get_absolute_url()}c/1/edit/",
        form({"author_name": f"次郎#{SECRET}", "body": "直した"}),
    )
    assert Comment.objects.get(number=1).author_name.startswith("次郎 ◆")
    assert comment.revisions.exists()  # the name before the edit is kept: with its code only
    for model, name in text_columns():
        rows = model._default_manager.annotate(searched_text=Cast(name, models.TextField()))
        # JSON is stored with non-ASCII characters escaped: its ASCII part is looked for too.
        for part in (SECRET[:6], SECRET[6:]):
            found = rows.filter(searched_text__contains=part)
            assert not found.exists(), f"{model.__name__}.{name}"
    # Nor in the browser's name cookie: the reader types the secret each time.
    assert unquote(taro.cookies["forum_name"].value) == "太郎"


def test_the_trip_secret_is_not_logged_nor_in_error_reports(article, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    post_as(reader(), article, "トリップ付き", name=f"太郎#{SECRET}")
    refused = post_as(reader(), article, "名乗れない", name=f"管理人#{SECRET}")
    assert refused.status_code == 400
    assert SECRET not in caplog.text

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(posting, "comment_post", fail)
    request = RequestFactory().post(
        f"{article.get_absolute_url()}comment/",
        form({"author_name": f"太郎#{SECRET}", "body": "本文"}),
        REMOTE_ADDR="198.51.100.7",
    )
    request.user = AnonymousUser()
    with pytest.raises(RuntimeError):
        views.comment_post(request, article.slug)
    report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    # The report mailed to admins (DEBUG off) lists the POST, with the name blanked out.
    assert "author_name" in report
    assert SECRET not in report


def test_a_diamond_typed_in_a_name_is_replaced(article):
    post_as(reader(), article, "なりすまし", name="太郎 ◆AbCdEfGhIj")
    assert Comment.objects.get().author_name == "太郎 ◇AbCdEfGhIj"
    assert trips.posted_name("◆◆#") == "◇◇"


def test_reserved_names_apply_to_the_name_part_only(article):
    response = post_as(reader(), article, "名乗れない", name=f"管理人#{SECRET}")
    assert response.status_code == 400
    assert "この名前は使えません" in response.text
    assert not Comment.objects.exists()
    assert "名乗れない" in response.text  # the reader's text is kept
    post_as(reader(), article, "秘密に管理人", name="太郎#管理人")
    assert Comment.objects.get().author_name.startswith("太郎 ◆")


def test_a_name_too_long_for_its_trip_is_refused_with_the_text_kept(article):
    name = "長" * 40
    response = post_as(reader(), article, "長い名前", name=f"{name}#{SECRET}")
    assert response.status_code == 400
    assert "38" in response.text
    assert "長い名前" in response.text
    assert not Comment.objects.exists()


def test_an_edit_keeps_the_trip_when_the_name_is_sent_back_unchanged(article):
    taro = reader()
    post_as(taro, article, "最初", name=f"太郎#{SECRET}")
    name = Comment.objects.get().author_name
    url = f"{article.get_absolute_url()}c/1/edit/"
    assert name in taro.get(url).text  # the form shows the name with its code
    preview = taro.post(url, form({"author_name": name, "body": "下書き", "preview": "1"}))
    assert name in preview.text
    assert name.replace("◆", "◇") not in preview.text
    taro.post(url, form({"author_name": name, "body": "直した"}))
    assert Comment.objects.get().author_name == name
    taro.post(url, form({"author_name": "偽 ◆AbCdEfGhIj", "body": "また直した"}))
    assert Comment.objects.get().author_name == "偽 ◇AbCdEfGhIj"


def test_the_preview_shows_the_code_not_the_secret(article):
    response = reader().post(
        f"{article.get_absolute_url()}comment/",
        form({"author_name": f"太郎#{SECRET}", "body": "下書き", "preview": "1"}),
    )
    code = trips.trip_code(SECRET)
    assert f"太郎 ◆{code}" in response.text


def test_the_services_write_ids_for_the_importer_and_the_views_alike(article):
    comment = services.comment_create(article=article, body="本文", ip_hash=ip_hash("192.0.2.1"))
    assert comment.daily_id
    assert services.comment_create(article=article, body="住所なし").daily_id == ""
