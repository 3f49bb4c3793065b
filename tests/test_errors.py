"""The site's own error pages: styled, translated, a way back, and the reader's text kept."""

import pytest
from django.db import OperationalError
from django.test import Client

from articles.models import Comment

from .helpers import form


def test_404_is_the_sites_page_in_the_readers_language(client, db):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 404
    text = response.text
    assert '<html lang="ja">' in text
    assert "css/forum.css" in text
    assert "<h1>ページが見つかりません</h1>" in text
    assert 'href="/"' in text  # a way back
    english = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "<h1>Page not found</h1>" in english


def test_403_says_why_in_the_sites_page(client, seeded):
    response = client.get(f"{seeded.get_absolute_url()}c/1/edit/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 403
    assert "css/forum.css" in response.text
    assert "15分" in response.text


def test_csrf_failure_gives_the_comment_back_in_a_form_to_send_again(seeded):
    client = Client(enforce_csrf_checks=True)
    body = '<script>alert("x")</script> 消えては困る文章'
    url = f"{seeded.get_absolute_url()}comment/"
    response = client.post(
        url, form({"body": body, "author_name": "太郎"}), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 403
    text = response.text
    assert "css/forum.css" in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 消えては困る文章</textarea>" in text
    assert "<script>alert" not in text
    assert f'action="{url}"' in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert not Comment.objects.filter(body=body).exists()
    # Sending it again from the error page posts it: the page gave a token and a cookie.
    token = text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    issued = text.split('name="issued" value="')[1].split('"')[0]
    again = client.post(
        url,
        {"csrfmiddlewaretoken": token, "issued": issued, "body": body, "author_name": "太郎"},
    )
    assert again.status_code == 302
    assert Comment.objects.get(body=body).author_name == "太郎"


def test_login_csrf_failure_keeps_no_password(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "u", "password": "secret-pw"})
    assert response.status_code == 403
    assert "secret-pw" not in response.text
    assert "<textarea" not in response.text


def test_a_body_over_the_request_limit_comes_back_on_the_400_page(client, seeded, settings):
    body = "長文" * 20_000  # 40,000 characters: over the request body limit, not just the form's
    url = f"{seeded.get_absolute_url()}comment/"
    data = form({"body": body})
    from urllib.parse import urlencode

    assert len(urlencode(data)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(
        url,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert "文章が長すぎて送信できません" in response.text
    assert "5000文字" in response.text
    assert f"{body}</textarea>" in response.text
    assert not Comment.objects.filter(number=37).exists()


def test_the_request_limit_lets_any_comment_of_the_longest_length_through(client, seeded):
    from django.conf import settings

    # 4-byte characters, each sent as 12 bytes: the largest a valid comment can be on the wire.
    body = "😀" * settings.FORUM_COMMENT_MAX_LENGTH
    from urllib.parse import urlencode

    response = client.post(
        f"{seeded.get_absolute_url()}comment/",
        urlencode(form({"body": body, "author_name": "名" * 50})),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert Comment.objects.filter(body=body).exists()


def test_a_database_that_does_not_answer_is_a_503_with_the_text_kept(client, seeded, monkeypatch):
    from articles import services

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "comment_create_placed", down)
    response = client.post(
        f"{seeded.get_absolute_url()}comment/",
        form({"body": "再起動中の投稿"}),
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert "css/forum.css" in response.text
    assert "再起動中の投稿</textarea>" in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_a_failing_view_is_the_sites_500_page(client, db, monkeypatch):
    from articles import views

    def broken(request):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.Paginator, "get_page", lambda *a, **k: broken(None))
    client.raise_request_exception = False
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 500
    assert "css/forum.css" in response.text
    assert "問題が発生しました" in response.text


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500, 503])
def test_every_error_page_has_its_title_and_a_way_back(rf, db, status):
    from django.utils import translation

    from forum.errors import error_page

    with translation.override("ja"):
        response = error_page(rf.get("/x/"), status)
    text = response.content.decode()
    assert response.status_code == status
    assert "<h1>" in text
    assert 'href="/"' in text
    assert "css/forum.css" in text


def test_too_many_requests_raised_by_a_view_is_the_429_page(rf, db):
    from forum.errors import ErrorPagesMiddleware, TooManyRequests

    middleware = ErrorPagesMiddleware(lambda request: None)
    response = middleware.process_exception(rf.get("/"), TooManyRequests("遅くしてください"))
    assert response.status_code == 429
    assert "遅くしてください" in response.content.decode()


def test_a_database_failure_outside_a_view_is_a_503_too(rf, db):
    from forum.errors import server_error

    request = rf.post("/articles/x/comment/", {"body": "ミドルウェアで失敗"})
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert "ミドルウェアで失敗</textarea>" in response.content.decode()
    assert server_error(rf.get("/")).status_code == 500
