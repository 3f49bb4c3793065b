"""The article page cached whole for readers without a cookie of ours (articles.page_cache)."""

import re
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from articles import page_cache, services, views
from articles.models import Comment
from articles.posters import NAME_COOKIE

from .helpers import reader


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The paths of the article pages rendered (not served from the cache)."""
    rendered: list[str] = []
    render = views._render_article_page

    def counting(request, *args, **kwargs):
        rendered.append(request.get_full_path())
        return render(request, *args, **kwargs)

    monkeypatch.setattr(views, "_render_article_page", counting)
    return rendered


def browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="ja", enforce_csrf_checks=True)


def hidden(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', page)


def test_readers_without_cookies_share_one_rendering_each_with_its_own_tokens(
    article, post, renders, settings
):
    settings.FORUM_FORM_MIN_SECONDS = 0
    post(article, "最初のコメント")
    url = article.get_absolute_url()
    first, second = browser("198.51.100.7"), browser("198.51.100.8")
    one, two = first.get(url), second.get(url)
    assert renders == [url]  # the second came from the cache
    for page in (one.text, two.text):
        assert "最初のコメント" in page
        assert not re.search("slot[0-9a-f]{32}", page)
    # Each page carries its reader's own CSRF token (one per form: comment, reply, reaction,
    # language) and a fresh form token, and the reader can post with them.
    assert set(hidden(one.text, "csrfmiddlewaretoken")).isdisjoint(
        hidden(two.text, "csrfmiddlewaretoken")
    )
    assert len({*hidden(one.text, "issued"), *hidden(two.text, "issued")}) == 4
    for client, page in ((first, one.text), (second, two.text)):
        posted = client.post(
            f"{url}comment/",
            {
                "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken")[0],
                "issued": hidden(page, "issued")[0],
                "body": "トークンで投稿",
            },
            HTTP_ORIGIN="http://testserver",
        )
        assert posted.status_code == 302
    assert Comment.objects.filter(body="トークンで投稿").count() == 2


def test_what_changes_the_page_changes_the_cached_copy(article, post, renders):
    first = post(article, "最初")
    url = article.get_absolute_url()
    reader().get(url)
    post(article, "返信です", parent=first)
    assert "返信です" in reader().get(url).text
    services.comment_set_status(comment=first, status=Comment.Status.HIDDEN, moderator=None)
    assert "最初" not in reader().get(url).text.split('id="comments"')[1]
    article.refresh_from_db()  # its counters as the posts left them
    article.title = "新しい題名"
    article.save()
    assert "新しい題名" in reader().get(url).text
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).text
    assert '<html lang="en">' in english
    assert "Post a comment" in english
    assert '<html lang="ja">' in reader().get(url).text
    # Every change a rendering of its own, nothing served stale; the languages cached apart.
    assert len(renders) == 5


def test_a_tap_shows_on_the_cached_copy_at_once(article, post, renders):
    comment = post(article, "共感されるコメント")
    url = article.get_absolute_url()
    reader().get(url)
    tapper = reader("203.0.113.9")
    tapper.get(url)
    tapped = tapper.post(f"{url}c/{comment.number}/react/", {"kind": "agree"})
    assert tapped.status_code == 302
    page = reader().get(url).text
    assert renders == [url]
    assert re.search(r'value="agree"[^>]*>[^<]*<span class="reaction-count">1</span>', page)


@pytest.mark.parametrize(
    "who",
    [
        "poster cookie",
        "name cookie",
        "signed in",
        "message waiting",
        "just posted",
        "another parameter",
        "a page spelled otherwise",
        "an order made up",
    ],
)
def test_readers_with_something_of_their_own_get_their_own_page(article, post, renders, who):
    post(article)
    url = article.get_absolute_url()
    reader().get(url)  # the shared copy, cached
    client = reader()
    path = url
    if who == "poster cookie":
        client.cookies["forum_poster"] = "x" * 32
    elif who == "name cookie":
        client.cookies[NAME_COOKIE] = quote("常連さん")
    elif who == "signed in":
        client.force_login(get_user_model().objects.create_user("reader"))
    elif who == "message waiting":
        client.cookies["messages"] = "a message"
    elif who == "just posted":
        path = f"{url}?new=1"
    elif who == "another parameter":
        path = f"{url}?utm_source=feed"
    elif who == "a page spelled otherwise":
        path = f"{url}?page=01"
    else:
        path = f"{url}?order=junk"
    page = client.get(path)
    assert page.status_code == 200
    assert renders == [url, path]
    if who == "name cookie":
        assert 'value="常連さん"' in page.text
    if who == "signed in":
        assert "reader" in page.text


def test_the_cached_page_takes_the_queries_of_the_rendered_one(
    article, post, django_assert_max_num_queries
):
    for n in range(5):
        post(article, f"コメント{n}")
    url = article.get_absolute_url()
    reader().get(url)
    # The article, its threads counted and listed, the cached threads' reaction counts.
    with django_assert_max_num_queries(4):
        assert reader().get(url).status_code == 200


def test_the_key_holds_the_markup_of_the_page_and_its_fragments(article, post, monkeypatch):
    post(article)
    url = article.get_absolute_url()
    reader().get(url)
    request_key = []
    key = page_cache.key
    monkeypatch.setattr(page_cache, "key", lambda *a: request_key.append(key(*a)) or key(*a))
    reader().get(url)
    monkeypatch.setattr(page_cache.fragments, "thread_markup", lambda: "after-a-deploy")
    reader().get(url)
    assert request_key[0] != request_key[1]


def test_a_page_too_long_to_keep_is_rendered_each_time(article, post, renders, monkeypatch):
    post(article)
    url = article.get_absolute_url()
    monkeypatch.setattr(page_cache, "MAX_LENGTH", 1000)
    reader().get(url)
    reader().get(url)
    assert renders == [url, url]


def test_a_comment_holding_what_looks_like_a_slot_shows_as_written(article, post):
    post(article, "<!--csrf-token--> と <!--form-issued--> と slot0123456789abcdef0123456789abcdef")
    url = article.get_absolute_url()
    reader().get(url)
    client = reader()
    page = client.get(url).text
    assert "&lt;!--csrf-token--&gt; と &lt;!--form-issued--&gt; と slot0123" in page
    token = hidden(page, "csrfmiddlewaretoken")[0]
    # Only in the four forms that send it (comment, reply, reaction, language), not in the text.
    assert hidden(page, "csrfmiddlewaretoken") == [token] * 4
    assert page.count(token) == 4


def test_the_queries_a_page_may_be_asked_with_are_cached_apart(article, post, renders):
    post(article)
    url = article.get_absolute_url()
    for query in ("", "?order=newest", "?page=1", "?order=newest&all=1"):
        reader().get(f"{url}{query}")
        reader().get(f"{url}{query}")
    everything = f"{url}?order=newest&all=1"  # all the threads: rendered every time
    assert renders == [url, f"{url}?order=newest", f"{url}?page=1", everything, everything]
