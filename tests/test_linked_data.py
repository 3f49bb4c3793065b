"""Structured data (JSON-LD) and link previews (Open Graph, Twitter cards) on the pages."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles import publishing, services
from articles.models import Article, Comment, Image
from articles.views import THREADS_PER_PAGE
from tests.helpers import image_bytes


def structured_data(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def numbers(data: dict) -> list[int]:
    return [int(item["@id"].rstrip("/").rsplit("/", 1)[1]) for item in data["comment"]]


def meta(html: str) -> dict[str, str]:
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', html)
    return dict(found)


def test_the_article_page_describes_itself_and_names_every_visible_comment(client, article, mixed):
    data = structured_data(client.get(article.get_absolute_url()).text)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "DiscussionForumPosting"
    assert data["headline"] == "テスト記事"
    assert data["url"] == "http://testserver/articles/test-article/"
    assert data["text"] == "リード"
    public = [mixed[name] for name in ("public_root", "public_reply", "public_under_hidden")]
    # Counted as the lists of articles count them: every published comment.
    assert data["commentCount"] == article.comments.visible().count()
    assert sorted(numbers(data)) == sorted(c.number for c in public)
    by_number = dict(zip(numbers(data), data["comment"], strict=True))
    root = by_number[mixed["public_root"].number]
    assert root["@type"] == "Comment"
    assert root["author"] == {"@type": "Person", "name": "太郎"}
    assert root["text"] == "公開の最初"
    assert root["datePublished"] == mixed["public_root"].created_at.isoformat()
    assert "parentItem" not in root
    reply = by_number[mixed["public_reply"].number]
    assert reply["author"]["name"] == "名無しさん"
    assert reply["parentItem"] == {"@id": "http://testserver/articles/test-article/c/1/"}
    # A reply to a hidden comment points at the placeholder the page shows for it.
    under_hidden = by_number[mixed["public_under_hidden"].number]
    assert under_hidden["parentItem"]["@id"].endswith(f"/c/{mixed['hidden'].number}/")
    text = json.dumps(data, ensure_ascii=False)
    for private in ('非表示"', "削除済み", "本人削除", "承認待ち"):
        assert private not in text


def test_moderators_get_the_same_public_structured_data(moderator_client, article, mixed):
    html = moderator_client.get(article.get_absolute_url()).text
    assert "承認待ち" in html  # the page shows them the held comment
    data = structured_data(html)
    assert "承認待ち" not in json.dumps(data, ensure_ascii=False)
    assert data["commentCount"] == article.comments.visible().count()


def test_structured_data_cannot_end_its_script_block(client, article):
    hostile = '</script><script>alert(1)</script><!-- & "'
    services.comment_create(article=article, body=hostile, author_name="</script>")
    html = client.get(article.get_absolute_url()).text
    head = html.split("</head>")[0]
    assert head.count("</script>") == 2  # forum.js, and the structured data's own end
    assert "<!--" not in head
    data = structured_data(html)
    assert data["comment"][0]["text"] == hostile
    assert data["comment"][0]["author"]["name"] == "</script>"


def test_structured_data_names_the_comments_of_the_page_shown(client, article, post):
    for n in range(THREADS_PER_PAGE + 2):
        post(article, f"スレ{n}")
    first = structured_data(client.get(article.get_absolute_url()).text)
    second = structured_data(client.get(f"{article.get_absolute_url()}?page=2").text)
    assert numbers(first) == list(range(1, THREADS_PER_PAGE + 1))
    assert numbers(second) == [THREADS_PER_PAGE + 1, THREADS_PER_PAGE + 2]
    assert first["commentCount"] == second["commentCount"] == THREADS_PER_PAGE + 2


def test_structured_data_follows_edits_and_moderation(client, article, post):
    root = post(article, "元の本文")
    reply = post(article, "返信", parent=root)
    url = article.get_absolute_url()
    assert numbers(structured_data(client.get(url).text)) == [1, 2]
    services.comment_edit(comment=root, body="直した本文", author_name="")
    data = structured_data(client.get(url).text)
    assert data["comment"][0]["text"] == "直した本文"
    services.comment_set_status(comment=reply, status=Comment.Status.REMOVED, moderator=None)
    data = structured_data(client.get(url).text)
    assert numbers(data) == [1]
    assert data["commentCount"] == 1


def test_a_warm_article_page_reads_no_comments_for_its_structured_data(
    client, article, post, django_assert_num_queries
):
    for n in range(3):
        root = post(article, f"スレ{n}")
        post(article, f"返信{n}", parent=root)
    url = article.get_absolute_url()
    client.get(url)
    # The article with its comment count, the count of its threads and their versions, and
    # their reaction counts (kept out of the cached HTML).
    with django_assert_num_queries(4):
        html = client.get(url).text
    assert numbers(structured_data(html)) == [1, 2, 3, 4, 5, 6]


def test_a_cold_article_page_reads_its_comments_once(
    client, article, post, django_assert_max_num_queries
):
    root = post(article, "スレ")
    post(article, "返信", parent=root)
    # 9: the published-comment count is a query of its own when the page is rendered (and kept
    # under the article's counters), no longer a part of every page's read of the article.
    with django_assert_max_num_queries(9) as small:
        client.get(article.get_absolute_url())
    for n in range(50):
        root = post(article, f"スレ{n}")
        post(article, f"返信{n}", parent=root)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(f"{article.get_absolute_url()}?all=1").text
    assert len(structured_data(html)["comment"]) == 102


def test_the_article_page_has_a_link_preview(client, article):
    tags = meta(client.get(article.get_absolute_url()).text)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == "テスト記事"
    assert tags["og:description"] == tags["twitter:description"] == "リード"
    assert tags["og:site_name"] == "フォーラム"
    assert tags["og:locale"] == "ja_JP"
    assert tags["og:url"] == "http://testserver/articles/test-article/"
    assert tags["twitter:card"] == "summary"
    assert "og:image" not in tags


def test_a_comment_page_previews_the_comment(client, article, mixed):
    root = mixed["public_root"]
    tags = meta(client.get(f"{article.get_absolute_url()}c/{root.number}/?new=1").text)
    assert tags["og:title"] == "#1 · テスト記事"
    assert tags["og:description"] == tags["twitter:description"] == "公開の最初"
    assert tags["og:url"] == "http://testserver/articles/test-article/c/1/"
    assert tags["og:locale"] == "ja_JP"
    for name in ("hidden", "removed", "deleted", "held", "under_held"):
        comment = mixed[name]
        html = client.get(f"{article.get_absolute_url()}c/{comment.number}/").text
        assert "og:description" not in meta(html), name
        assert comment.body not in html.split("</head>")[0], name


@pytest.mark.parametrize("language", ["en"])
def test_link_previews_follow_the_readers_language(client, article, language):
    client.cookies.load({"django_language": language})
    tags = meta(client.get(article.get_absolute_url()).text)
    assert tags["og:locale"] == "en_US"
    assert tags["og:site_name"] == "Forum"


def test_drafts_have_no_structured_data_nor_feeds(admin_client, db):
    draft = Article.objects.create(title="下書き", slug="draft", status=Article.Status.DRAFT)
    html = admin_client.get(draft.get_absolute_url()).text
    assert "application/ld+json" not in html
    assert "/articles/draft/feed/" not in html


def test_the_featured_image_is_in_the_previews_and_the_structured_data(
    client, media_root, article, post
):
    upload = SimpleUploadedFile("tank.png", image_bytes(1200, 630), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="戦車", source="Mil.ru", licence="CC BY 4.0"),
        file_changed=True,
    )
    article.featured_image = image
    article.save()
    post(article, "最初")
    absolute = f"http://testserver{image.src}"
    html = client.get(article.get_absolute_url()).text
    tags = meta(html)
    assert tags["og:image"] == absolute
    assert tags["og:image:alt"] == "戦車"
    assert tags["twitter:card"] == "summary_large_image"
    assert structured_data(html)["image"] == absolute
    tags = meta(client.get(f"{article.get_absolute_url()}c/1/").text)
    assert tags["og:image"] == absolute
