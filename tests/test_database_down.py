"""A comment sent while the database cannot be reached comes back to the reader, not lost."""

import re

import pytest
from django.db import OperationalError
from django.urls import reverse

from articles import services
from articles.models import Comment

from .helpers import form

TEXT = "消えては困る長い文章です。<b>太字</b> & 記号"


def database_down(monkeypatch) -> None:
    def fail(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "comment_create_placed", fail)


@pytest.mark.parametrize("kind", ["comment", "reply"])
def test_a_post_the_database_could_not_take_gives_the_text_back(
    client, article, post, monkeypatch, kind
):
    parent = post(article, "親コメント")
    database_down(monkeypatch)
    url = (
        reverse("articles:comment_post", args=[article.slug])
        if kind == "comment"
        else reverse("articles:comment_reply", args=[article.slug, parent.number])
    )
    sent = form({"body": TEXT, "author_name": "通りすがり", "website": "", "post": "1"})
    response = client.post(url, sent, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 503
    assert response["Retry-After"]
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "保存されませんでした" in html
    # The text, escaped, in a form that sends it again to the same place, with the other fields.
    textarea = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea[1] == "消えては困る長い文章です。&lt;b&gt;太字&lt;/b&gt; &amp; 記号"
    assert f'action="{url}"' in html
    assert re.search(r'name="author_name" value="通りすがり"', html)
    assert re.search(rf'name="issued" value="{re.escape(sent["issued"])}"', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert html.count('name="post"') == 1
    assert Comment.objects.count() == 1  # the parent only


def test_sending_it_again_once_the_database_is_back_posts_it(client, article, monkeypatch):
    url = reverse("articles:comment_post", args=[article.slug])
    create = services.comment_create_placed

    def fail(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "comment_create_placed", fail)
    html = client.post(url, form({"body": TEXT, "post": "1"})).content.decode()
    monkeypatch.setattr(services, "comment_create_placed", create)
    again = {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    }
    again["body"] = TEXT
    again["post"] = "1"
    response = client.post(url, again)
    assert response.status_code == 302
    assert Comment.objects.get().body == TEXT


def test_other_errors_are_not_dressed_up(client, article, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "comment_create_placed", fail)
    with pytest.raises(RuntimeError):
        client.post(reverse("articles:comment_post", args=[article.slug]), form({"body": TEXT}))
