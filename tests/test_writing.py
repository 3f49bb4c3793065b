"""Writing: posting, replying, previews, errors that keep the text, edits, deletes and reports."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from articles.models import Comment, Report
from articles.posters import NAME_COOKIE

from .helpers import form


@pytest.fixture
def url(seeded) -> str:
    return seeded.get_absolute_url()


def test_posting_a_comment_lands_on_it_highlighted(client, seeded, url):
    response = client.post(
        f"{url}comment/", form({"author_name": "軍事太郎", "body": "新しい意見"})
    )
    comment = Comment.objects.get(body="新しい意見")
    assert (comment.number, comment.parent, comment.author_name) == (37, None, "軍事太郎")
    assert response.status_code == 302
    assert response["Location"] == f"{url}?new=37#c37"
    page = client.get(response["Location"]).text
    # Highlighted as the target of #c37 (.comment:target), and announced.
    assert '<article class="comment" id="c37"' in page
    assert 'id="new-comment-status"' in page


def test_name_is_remembered_for_next_time(client, seeded, url):
    client.post(f"{url}comment/", form({"author_name": "軍事太郎", "body": "一回目"}))
    assert client.cookies[NAME_COOKIE].value
    page = client.get(url).text
    assert 'value="軍事太郎"' in page


def test_reply_goes_under_the_parent_from_the_url(client, seeded, url):
    parent = seeded.comments.get(number=3)
    response = client.post(f"{url}c/3/reply/", form({"body": "返信です", "parent": "1"}))
    reply = Comment.objects.get(body="返信です")
    assert reply.parent == parent
    assert reply.level == 3
    assert response["Location"] == f"{url}?new=37#c37"


def test_reply_page_without_javascript_and_quote_prefill(client, seeded, url):
    page = client.get(f"{url}c/3/reply/?quote=1").text
    assert "&gt;違うね\n&gt;印パ戦争で西側諸国から制裁受けたからだね" in page
    assert client.get(f"{url}c/3/reply/").status_code == 200


def test_anonymous_name_is_empty_and_shown_as_nanashi(client, seeded, url):
    client.post(f"{url}comment/", form({"author_name": "", "body": "名前なし"}))
    assert Comment.objects.get(body="名前なし").author_name == ""


def test_preview_renders_without_saving_and_keeps_the_text(client, seeded, url):
    response = client.post(f"{url}comment/", form({"body": ">引用\n本文 >>1", "preview": "1"}))
    assert response.status_code == 200
    assert not Comment.objects.filter(number=37).exists()
    text = response.text
    assert '<section class="preview"' in text
    assert '<span class="quote">&gt;引用</span>' in text
    assert "&gt;引用\n本文 &gt;&gt;1</textarea>" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": ""}, "コメントを入力してください"),
        ({"body": "   \n  "}, "コメントを入力してください"),
        ({"body": "あ" * 5001}, "5000文字以内"),
        ({"body": "ヌル\x00文字"}, "制御文字"),
        ({"body": "ベル\x07"}, "制御文字"),
        ({"body": "本文", "author_name": "名" * 51}, "50"),
    ],
)
def test_bad_input_re_renders_the_form_with_the_text_kept(client, seeded, url, data, message):
    response = client.post(f"{url}comment/", form(data), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert message in response.text
    if data["body"].strip() and "\x00" not in data["body"]:
        assert data["body"][:100] in response.text
    assert not Comment.objects.filter(number=37).exists()


def test_a_one_megabyte_body_is_refused_and_kept(client, seeded, url):
    from urllib.parse import urlencode

    body = "長文" * 175_000  # 1 MB of UTF-8
    # Sent form-encoded, as a browser sends the form: over the request body limit, so that the
    # 400 page (forum.errors) gives it back rather than the form.
    response = client.post(
        f"{url}comment/",
        urlencode(form({"body": body})),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert "5000文字以内" in response.text
    assert body in response.text


def test_hostile_text_is_stored_as_text_and_escaped(client, seeded, url):
    body = '"><img src=x onerror=alert(1)> <script>alert(1)</script> javascript:alert(1)'
    client.post(f"{url}comment/", form({"author_name": '"><b>名前</b>', "body": body}))
    page = client.get(url).text
    assert "<img src=x" not in page
    assert "<script>alert(1)" not in page
    assert "<b>名前</b>" not in page
    assert "&lt;b&gt;名前&lt;/b&gt;" in page
    assert 'href="javascript:' not in page


def test_invisible_characters_are_stripped_and_text_stored_nfc(client, seeded, url):
    client.post(f"{url}comment/", form({"body": "か\u3099\u202eおかしい\u200bな"}))
    assert Comment.objects.get(number=37).body == "がおかしいな"


def test_reply_to_another_articles_comment_is_a_404(client, seeded, other_article, post):
    foreign = post(other_article, "よその記事")
    # The parent is named by its number within the article in the URL: no number reaches
    # another article's comments, and a smuggled form field is ignored.
    response = client.post(
        f"{seeded.get_absolute_url()}c/{seeded.last_comment_number + 1}/reply/",
        form({"body": "x", "parent": str(foreign.pk)}),
    )
    assert response.status_code == 404
    client.post(
        f"{seeded.get_absolute_url()}c/1/reply/", form({"body": "y", "parent": str(foreign.pk)})
    )
    assert Comment.objects.get(body="y").parent == seeded.comments.get(number=1)
    assert not foreign.children.exists()


@pytest.mark.parametrize("status", [Comment.Status.REMOVED, Comment.Status.HIDDEN])
def test_reply_to_a_removed_comment_keeps_the_text_and_explains(client, seeded, url, status):
    Comment.objects.filter(number=3).update(status=status)
    response = client.post(
        f"{url}c/3/reply/", form({"body": "遅れた返信"}), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    assert "返信先のコメントは削除されたため" in response.text
    assert "遅れた返信</textarea>" in response.text
    assert not Comment.objects.filter(body="遅れた返信").exists()


def test_closed_article_refuses_comments_and_keeps_the_text(client, seeded, url):
    seeded.comments_open = False
    seeded.save()
    assert "この記事へのコメントは締め切られました" in client.get(url).text
    response = client.post(
        f"{url}comment/", form({"body": "締め切り後"}), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    assert "締め切り後</textarea>" in response.text
    assert not Comment.objects.filter(body="締め切り後").exists()


def test_a_closed_article_offers_no_reply_form(client, seeded, url):
    seeded.comments_open = False
    seeded.save()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").text
    assert '<section class="comments is-closed"' in page  # its reply and quote links hidden
    comment_page = client.get(f"{url}c/3/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert '<section class="focus is-closed"' in comment_page
    reply_page = client.get(f"{url}c/3/reply/", HTTP_ACCEPT_LANGUAGE="ja")
    assert reply_page.status_code == 200
    assert "この記事へのコメントは締め切られました" in reply_page.text
    assert "<textarea" not in reply_page.text
    response = client.post(f"{url}c/3/reply/", form({"body": "締め切り後の返信"}))
    assert response.status_code == 400
    assert "締め切り後の返信</textarea>" in response.text  # a page open from before keeps it


def test_posting_without_a_csrf_token_is_refused(seeded, url):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{url}comment/", form({"body": "CSRFなし"}))
    assert response.status_code == 403
    assert not Comment.objects.filter(body="CSRFなし").exists()


def test_signed_in_reader_posts_under_their_account_name(client, seeded, url):
    user = get_user_model().objects.create_user("taro", password="a-long-password-123")
    client.force_login(user)
    assert 'name="author_name"' not in client.get(url).text
    client.post(f"{url}comment/", form({"author_name": "なりすまし", "body": "ログイン中"}))
    comment = Comment.objects.get(body="ログイン中")
    assert (comment.author_name, comment.user) == ("taro", user)


def test_author_can_edit_within_fifteen_minutes(client, seeded, url):
    client.post(f"{url}comment/", form({"body": "誤字あり"}))
    assert 'href="/articles/fa0796958162b6f6/c/37/edit/"' in client.get(url).text
    response = client.post(f"{url}c/37/edit/", form({"body": "誤字なし >>1"}))
    assert response.status_code == 302
    comment = Comment.objects.get(number=37)
    assert comment.body == "誤字なし >>1"
    assert comment.reply_refs.get().target_number == 1


def test_author_cannot_edit_after_the_window_nor_can_others(client, seeded, url):
    client.post(f"{url}comment/", form({"body": "私の"}))
    assert Client().get(f"{url}c/37/edit/").status_code == 403
    Comment.objects.filter(number=37).update(created_at=timezone.now() - timedelta(minutes=16))
    assert client.post(f"{url}c/37/edit/", form({"body": "遅い"})).status_code == 403
    assert Comment.objects.get(number=37).body == "私の"


def test_author_deletes_and_a_placeholder_stays_with_the_replies(client, seeded, url, post):
    client.post(f"{url}comment/", form({"body": "消す予定"}))
    mine = Comment.objects.get(number=37)
    post(seeded, "その返信", parent=mine)
    assert client.get(f"{url}c/37/delete/").status_code == 200
    client.post(f"{url}c/37/delete/")
    mine.refresh_from_db()
    assert mine.status == Comment.Status.DELETED
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").text
    assert "消す予定" not in page
    assert "このコメントは削除されました" in page
    assert "その返信" in page


def test_report_records_a_reason_once_per_reader(client, seeded, url):
    assert client.get(f"{url}c/5/report/").status_code == 200
    client.post(f"{url}c/5/report/", form({"reason": "spam"}))
    client.post(f"{url}c/5/report/", form({"reason": "abuse", "detail": "暴言"}))
    report = Report.objects.get()
    assert (report.comment.number, report.reason, report.detail) == (5, "abuse", "暴言")
    # Without its cookie, the same address is still the same reader (issue 20).
    Client().post(f"{url}c/5/report/", form({"reason": "spam"}))
    assert Report.objects.count() == 1
    Client(REMOTE_ADDR="198.51.100.20").post(f"{url}c/5/report/", form({"reason": "spam"}))
    assert Report.objects.count() == 2


def test_report_with_an_unknown_reason_is_refused(client, seeded, url):
    response = client.post(f"{url}c/5/report/", form({"reason": "<script>"}))
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_reply_page_of_a_removed_comment_shows_neither_its_text_nor_name(client, seeded, url):
    Comment.objects.filter(number=3).update(status=Comment.Status.REMOVED, author_name="荒らし太郎")
    page = client.get(f"{url}c/3/reply/?quote=1").text
    assert "違うね" not in page
    assert "荒らし太郎" not in page


def test_an_anonymous_comment_edited_after_signing_in_keeps_its_name(client, seeded, url):
    client.post(f"{url}comment/", form({"author_name": "", "body": "匿名で"}))
    client.force_login(get_user_model().objects.create_user("taro"))
    client.post(f"{url}c/37/edit/", form({"author_name": "", "body": "匿名で(修正)"}))
    comment = Comment.objects.get(number=37)
    assert (comment.body, comment.author_name, comment.user) == ("匿名で(修正)", "", None)


@pytest.mark.parametrize(("thread_index", "page"), [(0, 1), (19, 1), (20, 2), (24, 2)])
def test_a_reply_lands_on_the_page_of_its_thread(client, article, post, thread_index, page):
    threads = [post(article, f"スレッド{n}") for n in range(25)]
    post(article, "返信で番号がずれる", parent=threads[3])  # numbers no longer count threads
    url = article.get_absolute_url()
    response = client.post(f"{url}c/{threads[thread_index].number}/reply/", form({"body": "返信"}))
    number = Comment.objects.get(body="返信").number
    query = f"?page={page}&new={number}" if page > 1 else f"?new={number}"
    assert response["Location"] == f"{url}{query}#c{number}"
    assert f'id="c{number}"' in client.get(response["Location"]).text


@pytest.mark.parametrize(("thread_index", "page"), [(24, 1), (5, 1), (4, 2), (0, 2)])
def test_a_reply_lands_on_its_threads_page_in_the_order_being_read(
    client, article, post, thread_index, page
):
    threads = [post(article, f"スレッド{n}") for n in range(25)]
    url = article.get_absolute_url()
    number = threads[thread_index].number
    newest = client.get(f"{url}?order=newest&page={page}").text
    assert f'action="{url}comment/?order=newest#comment-form"' in newest
    assert f'id="c{number}"' in newest
    response = client.post(f"{url}c/{number}/reply/?order=newest", form({"body": "返信"}))
    reply = Comment.objects.get(body="返信").number
    query = f"?order=newest&page={page}" if page > 1 else "?order=newest"
    assert response["Location"] == f"{url}{query}&new={reply}#c{reply}"
    assert f'id="c{reply}"' in client.get(response["Location"]).text


def test_a_new_thread_lands_first_in_the_newest_order(client, article, post):
    for n in range(25):
        post(article, f"スレッド{n}")
    url = article.get_absolute_url()
    response = client.post(f"{url}comment/?order=newest", form({"body": "新しいスレ"}))
    assert response["Location"] == f"{url}?order=newest&new=26#c26"
    preview = client.post(f"{url}comment/?order=newest", form({"body": "下書き", "preview": "1"}))
    text = preview.text
    assert '<strong aria-current="true">新しい順</strong>' in text  # the preview keeps the order
    assert f'action="{url}comment/?order=newest#comment-form"' in text


def test_a_field_errors_aria_describedby_names_an_element_that_exists(client, seeded, url):
    response = client.post(f"{url}comment/", form({"body": "   "}), HTTP_ACCEPT_LANGUAGE="ja")
    text = response.text
    described = re.search(r'<textarea[^>]*aria-describedby="([^"]+)"', text)
    assert described is not None
    for element_id in described[1].split():
        assert f'id="{element_id}"' in text


def test_reporting_a_comment_does_not_mark_it_as_new(client, seeded, url):
    response = client.post(f"{url}c/5/report/", form({"reason": "spam", "detail": ""}))
    assert response.status_code == 302
    assert "new=" not in response["Location"]
    assert response["Location"].endswith("#c5")


def test_the_page_after_posting_announces_the_new_comment(client, seeded, url):
    response = client.post(f"{url}comment/", form({"body": "お知らせ"}), HTTP_ACCEPT_LANGUAGE="ja")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja").text
    assert 'id="new-comment-status"' in page
    assert "コメント #37 を保存しました" in page
    assert 'id="new-comment-status"' not in client.get(url).text
