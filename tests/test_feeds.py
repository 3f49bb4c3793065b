"""Atom feeds: new articles, an article's comments, a thread's replies; only what readers see."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from articles import services
from articles.models import Article, Comment

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(response) -> ET.Element:
    """The feed, checked for what RFC 4287 requires of a feed and of each entry."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in feed.iter(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.find(f"{ATOM}{name}").text or "").strip(), name
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
        assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
    # Names only: an author's e-mail is never written.
    assert feed.find(f".//{ATOM}email") is None
    return feed


def titles(feed: ET.Element) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]


def links(feed: ET.Element) -> list[str]:
    return [
        entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        for entry in feed.iter(f"{ATOM}entry")
    ]


def test_the_articles_feed_lists_published_articles_only(db, client):
    writer = User.objects.create_user("writer", email="writer@example.com", first_name="花子")
    Article.objects.create(title="公開記事", slug="public", lead="リード<i>", author=writer)
    Article.objects.create(title="下書き記事", slug="draft", status=Article.Status.DRAFT)
    later = timezone.now() + timedelta(days=1)
    Article.objects.create(title="予約記事", slug="scheduled", published_at=later)
    response = client.get("/feeds/articles/")
    feed = atom(response)
    assert titles(feed) == ["公開記事"]
    assert links(feed) == ["http://testserver/articles/public/"]
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "花子"
    assert entry.find(f"{ATOM}summary").text == "<p>リード&lt;i&gt;</p>"
    assert b"writer@example.com" not in response.content


def test_an_articles_feed_holds_only_public_comments(client, article, mixed):
    response = client.get("/articles/test-article/feed/")
    feed = atom(response)
    expected = [mixed[name] for name in ("public_root", "public_reply", "public_under_hidden")]
    url = "http://testserver/articles/test-article/c/"
    assert sorted(links(feed)) == sorted(f"{url}{c.number}/" for c in expected)
    for text in ("非表示", "削除済み", "本人削除", "承認待ち"):
        assert text.encode() not in response.content.replace("非表示への返信".encode(), b"")
    entries = {e.find(f"{ATOM}title").text: e for e in feed.iter(f"{ATOM}entry")}
    first = entries["#1 太郎"]
    assert first.find(f"{ATOM}author/{ATOM}name").text == "太郎"
    reply = entries[f"#{mixed['public_reply'].number} 名無しさん"]
    # The reader's text escaped inside the HTML summary: no markup of theirs gets through.
    assert reply.find(f"{ATOM}summary").text == "<p>公開の返信 &lt;b&gt;太字&lt;/b&gt;</p>"


def create(article: Article, body: str) -> Comment:
    return services.comment_create(article=article, body=body)


def test_comment_feeds_of_drafts_scheduled_and_missing_articles_are_not_found(db, client):
    draft = Article.objects.create(title="下書き", slug="draft", status=Article.Status.DRAFT)
    later = timezone.now() + timedelta(days=1)
    scheduled = Article.objects.create(title="予約", slug="scheduled", published_at=later)
    for article in (draft, scheduled):
        create(article, "まだ見えない")
        assert client.get(f"/articles/{article.slug}/feed/").status_code == 404
        assert client.get(f"/articles/{article.slug}/c/1/feed/").status_code == 404
    assert client.get("/articles/nothing/feed/").status_code == 404


def test_a_threads_feed_holds_its_public_replies_only(client, article, mixed):
    create(article, "別スレッド")
    root = mixed["public_root"]
    feed = atom(client.get(f"/articles/test-article/c/{root.number}/feed/"))
    url = "http://testserver/articles/test-article/c/"
    expected = [mixed["public_reply"], mixed["public_under_hidden"]]
    assert sorted(links(feed)) == sorted(f"{url}{c.number}/" for c in expected)
    # A hidden comment's replies are on its page, so in its feed; a held one is not there at all.
    hidden = mixed["hidden"]
    feed = atom(client.get(f"/articles/test-article/c/{hidden.number}/feed/"))
    assert links(feed) == [f"{url}{mixed['public_under_hidden'].number}/"]
    for held in (mixed["held"], mixed["under_held"]):
        assert client.get(f"/articles/test-article/c/{held.number}/feed/").status_code == 404


def test_pages_link_to_their_feeds(client, article, mixed):
    alternate = '<link rel="alternate" type="application/atom+xml"'
    home = client.get("/").text
    assert f'{alternate} title="フォーラム：新着記事" href="/feeds/articles/">' in home
    page = client.get(article.get_absolute_url()).text
    assert 'href="/articles/test-article/feed/">' in page
    root = mixed["public_root"].number
    comment_page = client.get(f"/articles/test-article/c/{root}/").text
    assert f'href="/articles/test-article/c/{root}/feed/">' in comment_page
    held = client.get(f"/articles/test-article/c/{mixed['held'].number}/").text
    assert "/feed/" not in held.replace('href="/feeds/articles/"', "")


def test_feed_queries_do_not_grow_with_comments(
    client, article, post, django_assert_max_num_queries
):
    root = post(article, "スレ")
    post(article, "返信", parent=root)
    with django_assert_max_num_queries(2) as small:
        client.get("/articles/test-article/feed/")
    with django_assert_max_num_queries(3) as small_thread:
        client.get("/articles/test-article/c/1/feed/")
    for n in range(40):
        post(article, f"返信{n}", parent=root)
    with django_assert_max_num_queries(len(small.captured_queries)):
        feed = atom(client.get("/articles/test-article/feed/"))
    assert len(titles(feed)) == 30
    with django_assert_max_num_queries(len(small_thread.captured_queries)):
        feed = atom(client.get("/articles/test-article/c/1/feed/"))
    assert len(titles(feed)) == 30


def test_comment_feeds_follow_an_articles_old_slug(client, article, post):
    post(article, "最初")
    services.article_slug_change(article=article, slug="new-name")
    response = client.get("/articles/test-article/feed/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/new-name/feed/"
    response = client.get("/articles/test-article/c/1/feed/")
    assert response["Location"] == "/articles/new-name/c/1/feed/"
    assert titles(atom(client.get("/articles/new-name/feed/"))) == ["#1 名無しさん"]
