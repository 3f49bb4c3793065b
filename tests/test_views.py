"""The first pages: the article list and an article with its whole comment tree."""

import re

import pytest
from django.urls import reverse

from articles import services
from articles.models import Comment


@pytest.fixture
def seeded(db, seed_dir):
    from django.core.management import call_command

    call_command("import_seeds", str(seed_dir), stdout=None)
    from articles.models import Article

    return Article.objects.get()


def test_home_lists_articles_with_comment_counts(client, seeded):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert seeded.title in response.text
    assert "36 comments" in response.text
    assert seeded.get_absolute_url() in response.text


def test_article_page_shows_text_credits_and_links(client, seeded):
    response = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja")
    text = response.text
    assert response.status_code == 200
    assert "<h1>露防衛産業の弱体化狙うバイデン政権" in text
    assert "ロシアとインドは今回の会談で安全保障問題" in text
    assert "Mos.ru / CC BY 4.0 — スプートニクV" in text
    assert "Mil.ru / CC BY 4.0 — Ka-52" in text
    assert "Russia says in talks to make more military equipment in India" in text
    assert "新たに米国制裁を招く恐れがある案件" in text
    # The credit follows the paragraph its image stood after.
    assert (
        text.index("ロシア製ワクチン")
        < text.index("スプートニクV</figcaption>")
        < text.index("さらにロシアと")
    )


def test_article_page_nests_the_comment_tree(client, seeded):
    text = client.get(seeded.get_absolute_url()).text
    assert text.count('class="comment"') == 36
    assert text.count("<ol") == text.count("</ol>")
    # #3 sits two lists deep inside #1's item: #1 > #2 > #3.
    chunk = text[text.index('id="c1"') : text.index('id="c4"')]
    assert re.findall(r'id="c(\d+)"', chunk) == ["1", "2", "3"]
    assert chunk.count("<ol") == 2
    assert "名無しさん" in text


def test_removed_comment_leaves_a_placeholder_and_its_replies(client, seeded):
    comment = seeded.comments.get(number=2)
    services.comment_set_status(comment=comment, status=Comment.Status.REMOVED, moderator=None)
    text = client.get(seeded.get_absolute_url()).text
    assert "核実験より前の冷戦中" not in text
    assert "このコメントは削除されました" in text
    assert "違うね" in text


def test_reader_text_is_escaped(client, seeded, post):
    post(seeded, '<script>alert("x")</script>')
    text = client.get(seeded.get_absolute_url()).text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert" in text


def test_article_page_queries_do_not_grow_with_comments(
    client, seeded, post, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        client.get(seeded.get_absolute_url())
    parent = seeded.comments.get(number=36)
    for n in range(40):
        parent = post(seeded, f"返信{n}", parent=parent if n % 2 else None)
    with django_assert_max_num_queries(5):
        response = client.get(seeded.get_absolute_url())
    assert response.text.count('class="comment"') == 76


def test_unknown_article_is_404(client, db):
    assert (
        client.get(reverse("articles:article_detail", kwargs={"slug": "nope"})).status_code == 404
    )
