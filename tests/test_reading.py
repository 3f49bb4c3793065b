"""Reading: the article list, the article with its threads, and a comment's own page."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, Comment, comment_url
from articles.threads import MAX_DEPTH
from articles.views import THREADS_PER_PAGE


def ids_in(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="comment[^"]*" id="c(\d+)"', html)]


def test_home_lists_articles_newest_first_with_lead_time_and_count(client, seeded):
    Article.objects.create(title="新しい記事", slug="newer", lead="新しいリード")
    text = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert text.index("新しい記事") < text.index(seeded.title)
    assert "36 comments" in text
    assert seeded.lead[:20] in text
    assert seeded.get_absolute_url() in text


def test_home_is_paginated(client, db):
    for n in range(25):
        Article.objects.create(title=f"記事{n}", slug=f"a{n}", lead="")
    first = client.get("/").text
    second = client.get("/?page=2").text
    assert first.count("<h2>") == 20
    assert second.count("<h2>") == 5


def test_article_page_shows_text_credits_and_links(client, seeded):
    text = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").text
    assert "<h1>露防衛産業の弱体化狙うバイデン政権" in text
    assert "ロシアとインドは今回の会談で安全保障問題" in text
    assert "出典: Mos.ru / CC BY 4.0 (スプートニクV)" in text
    assert "出典: Gage Skidmore / CC BY-SA 2.0</figcaption>" in text
    assert "Mil.ru / CC BY 4.0 (Ka-52)" in text
    assert "Russia says in talks to make more military equipment in India" in text
    assert "新たに米国制裁を招く恐れがある案件" in text
    # The credit follows the paragraph its image stood after.
    assert (
        text.index("ロシア製ワクチン")
        < text.index("(スプートニクV)")
        < text.index("さらにロシアと")
    )


def test_comments_are_nested_ordered_lists(client, seeded):
    text = client.get(seeded.get_absolute_url()).text
    assert len(ids_in(text)) == 36
    assert text.count("<ol") == text.count("</ol>")
    assert len(re.findall(r"<li[ >]", text)) == text.count("</li>")
    chunk = text[text.index('id="c1"') : text.index('id="c4"')]
    assert ids_in(chunk) == [2, 3]  # #1 > #2 > #3 nest inside #1's item
    assert chunk.count('<ol class="replies"') == 2
    assert "名無しさん" in text
    assert 'aria-label="第2階層・#2への返信"' in text


def test_each_comment_shows_number_time_and_actions(client, seeded):
    text = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
    url = seeded.get_absolute_url()
    assert f'href="{url}c/2/reply/"' in text
    assert f'href="{url}c/2/reply/?quote=1"' in text
    assert f'href="{url}c/2/report/"' in text
    assert f'<a class="number" href="{url}c/2/"' in text
    created = seeded.comments.get(number=2).created_at
    from django.utils import timezone

    assert timezone.localtime(created).strftime("%Y/%m/%d %H:%M") in text  # JST
    assert 'aria-controls="r1"' in text  # #1 has replies to collapse


def test_threads_are_paginated_and_ordered(client, article, post):
    for n in range(THREADS_PER_PAGE + 5):
        root = post(article, f"スレ{n}")
        if n == 3:
            for _ in range(3):
                post(article, "返信", parent=root)
    url = article.get_absolute_url()
    first = ids_in(client.get(url).text)
    assert first[:2] == [1, 2]
    assert len([n for n in first if n not in (5, 6, 7)]) == THREADS_PER_PAGE
    assert ids_in(client.get(url + "?page=2").text) == list(range(24, 29))
    newest = ids_in(client.get(url + "?order=newest").text)
    assert newest[0] == 28
    most = ids_in(client.get(url + "?order=replies").text)
    assert most[:4] == [4, 5, 6, 7]


def test_page_queries_do_not_grow_with_thread_size(
    client, article, post, django_assert_max_num_queries
):
    root = post(article, "スレ")
    parent = root
    for n in range(10):
        parent = post(article, f"返信 >>{n + 1}", parent=parent if n % 2 else root)
    # 9 with the published comments counted (a query of its own when a page is rendered).
    with django_assert_max_num_queries(9) as small:
        client.get(article.get_absolute_url())
    for n in range(200):
        # Alternately a reply to the thread and a reply to that reply: wide, shallow trees.
        parent = post(article, f"返信 >>{n + 1} http://example.com/{n}", parent=parent)
        if n % 2:
            parent = root
    for n in range(30):
        post(article, f"別スレ{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(article.get_absolute_url())
    assert len(ids_in(response.text)) > 200


def test_deep_replies_continue_on_the_comments_own_page(client, article, post):
    parent = post(article, "根")
    chain = [parent]
    for n in range(MAX_DEPTH + 3):
        parent = post(article, f"深さ{n + 1}", parent=parent)
        chain.append(parent)
    url = article.get_absolute_url()
    text = client.get(url).text
    shown = ids_in(text)
    assert shown == [c.number for c in chain[:MAX_DEPTH]]
    last = chain[MAX_DEPTH - 1]
    assert f'<p class="continue"><a href="{url}c/{last.number}/">' in text
    page = client.get(f"{url}c/{last.number}/").text
    assert [c.number for c in chain[MAX_DEPTH:]] == [n for n in ids_in(page) if n > last.number]


def test_permalink_shows_ancestors_subtree_and_links(client, seeded):
    url = seeded.get_absolute_url()
    text = client.get(f"{url}c/2/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert ids_in(text) == [1, 2, 3]
    assert f'href="{url}c/1/#c1">親コメントへ' in text
    assert "スレッドの先頭へ" in text
    assert client.get(f"{url}c/999/").status_code == 404


def test_body_text_is_rendered_safely_with_quotes_refs_and_links(client, article, post):
    post(article, "一つ目")
    post(
        article,
        '>一つ目\n>>1 そうだね\n<script>alert("x")</script>\n'
        'javascript:alert(1) http://example.com/?a=1&b="2"',
    )
    text = client.get(article.get_absolute_url()).text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert '<span class="quote">&gt;一つ目</span>' in text
    assert f'<a class="reply-ref" href="{article.get_absolute_url()}c/1/" data-number="1">' in text
    assert 'href="javascript' not in text
    assert 'rel="nofollow ugc noopener">http://example.com/?a=1&amp;b=</a>' in text


def test_quoted_comment_lists_its_replies_as_backlinks(client, article, post):
    post(article, "元")
    post(article, ">>1 反論")
    post(article, ">>1 >>2 両方に")
    text = client.get(article.get_absolute_url()).text
    first = text[text.index('id="c1"') : text.index('id="c2"')]
    assert 'class="backlinks"' in first
    assert re.findall(r'class="reply-ref" href="[^"]+" data-number="(\d+)"', first) == ["2", "3"]


@pytest.mark.parametrize("status", [Comment.Status.REMOVED, Comment.Status.HIDDEN])
def test_removed_or_hidden_comment_leaves_a_placeholder_and_its_replies(client, seeded, status):
    services.comment_set_status(
        comment=seeded.comments.get(number=2), status=status, moderator=None
    )
    text = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").text
    assert "核実験より前の冷戦中" not in text
    assert "このコメントは削除されました" in text
    assert "違うね" in text
    assert 'href="/articles/fa0796958162b6f6/c/2/reply/"' not in text


def test_english_by_browser_language(client, seeded):
    text = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Anonymous" in text
    assert "Post a comment" in text


def test_unknown_article_is_404(client, db):
    url = reverse("articles:article_detail", kwargs={"slug": "nope"})
    assert client.get(url).status_code == 404
    assert client.get(f"{url}reply/?quote=1").status_code == 404


def test_japanese_slugs_work(client, db, post):
    article = Article.objects.create(title="日本語", slug="日本語の記事", lead="")
    post(article, "コメント")
    assert client.get("/").status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get(f"{article.get_absolute_url()}c/1/").status_code == 200


def test_show_all_puts_every_thread_and_level_on_one_page(
    client, article, post, django_assert_max_num_queries
):
    parent = post(article, "深いスレ")
    for n in range(MAX_DEPTH + 4):
        parent = post(article, f"深さ{n + 1}", parent=parent)
    for n in range(THREADS_PER_PAGE + 5):
        post(article, f"スレ{n}")
    url = f"{article.get_absolute_url()}?all=1"
    with django_assert_max_num_queries(9):  # 9 with the published comments counted
        text = client.get(url).text
    assert len(ids_in(text)) == article.comments.count()
    assert 'class="continue"' not in text
    assert 'class="pagination"' not in text


def test_comment_html_is_rendered_when_written_not_on_every_view(client, article, post):
    first = post(article, "元の<b>本文</b> >>1 >>2")
    # Escaped, and no links: no comment came before it.
    assert first.body_html == "元の&lt;b&gt;本文&lt;/b&gt; &gt;&gt;1 &gt;&gt;2"
    second = post(article, ">>1 返信")
    assert f'href="{article.get_absolute_url()}c/1/"' in second.body_html
    Comment.objects.filter(pk=second.pk).update(body_html="保存済みのHTML")
    assert "保存済みのHTML" in client.get(article.get_absolute_url()).text


def test_a_comment_loads_with_its_article_as_the_orm_loads_them(seeded):
    expected = Comment.objects.select_related("article").get(article=seeded, number=3)
    loaded = Comment.objects.get_with_article(slug=seeded.slug, number=3)
    for model, got, want in [(Comment, loaded, expected), (Article, loaded.article, seeded)]:
        for field in model._meta.concrete_fields:
            value, wanted = getattr(got, field.attname), getattr(want, field.attname)
            assert (value, type(value)) == (wanted, type(wanted)), field.name
    # Loaded as the ORM loads: saved, bound to its database, article cached, django-mptt's
    # change tracking primed.
    assert loaded._state.adding is False
    assert loaded._state.db == expected._state.db
    assert loaded.article._state.adding is False
    assert Comment.article.is_cached(loaded)
    assert loaded._mptt_cached_fields == expected._mptt_cached_fields
    assert Comment.objects.get_with_article(slug=seeded.slug, number=10_000) is None
    assert Comment.objects.get_with_article(slug=seeded.slug, number=2**63) is None
    assert Comment.objects.get_with_article(slug="no-such-article", number=3) is None
    Article.objects.filter(pk=seeded.pk).update(published_at=timezone.now() + timedelta(hours=1))
    assert Comment.objects.get_with_article(slug=seeded.slug, number=3) is None


def test_a_comment_number_out_of_any_range_is_not_found(client, seeded):
    url = f"{seeded.get_absolute_url()}c/{2**63}/reply/"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}reply/?quote=1").status_code == 404


def test_a_comments_own_page_has_a_heading_and_says_which_comment_it_answers(client, seeded):
    url = seeded.get_absolute_url()
    text = client.get(f"{url}c/2/", HTTP_ACCEPT_LANGUAGE="ja").text
    assert '<h1 class="comment-page-heading">コメント #2(#1への返信)</h1>' in text
    focus = text[text.index('class="focus"') :]
    assert 'aria-label="第1階層・#1への返信"' in focus
    assert "#0" not in text
    top = client.get(f"{url}c/1/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<h1 class="comment-page-heading">Comment #1</h1>' in top


def test_a_reply_range_links_and_backlinks_every_comment_in_it(client, article, post):
    from articles.models import ReplyRef

    for n in range(3):
        post(article, f"{n + 1}つ目")
    reply = post(article, ">>1-3 全部違う ≫2")
    assert sorted(
        ReplyRef.objects.filter(source=reply).values_list("target_number", flat=True)
    ) == [
        1,
        2,
        3,
    ]
    text = client.get(article.get_absolute_url()).text
    assert 'data-number="3">3</a>' in text
    assert text.count('data-number="2">&gt;&gt;2</a>') == 1


def test_the_migration_relinks_ranges_in_comments_stored_before(client, article, post):
    import importlib

    from django.apps import apps

    from articles.models import ReplyRef

    migration = importlib.import_module("articles.migrations.0011_lead_limit_and_admin_labels")
    for n in range(3):
        post(article, f"{n + 1}つ目")
    reply = post(article, ">>1-3 と ≫2")
    other = post(article, "範囲なし >>1")
    # As stored before ranges and ≫ were read: only >>1 linked and answered.
    Comment.objects.filter(pk=reply.pk).update(
        body_html='<a class="reply-ref" href="x" data-number="1">&gt;&gt;1</a>-3 と ≫2'
    )
    ReplyRef.objects.filter(source=reply).exclude(target_number=1).delete()
    version = Comment.objects.get(pk=reply.pk).thread_version
    untouched = Comment.objects.values("body_html", "thread_version").get(pk=other.pk)
    migration.relink_ranges(apps, None)
    reply.refresh_from_db()
    assert 'data-number="3">3</a>' in reply.body_html
    assert 'data-number="2">&gt;&gt;2</a>' in reply.body_html
    assert reply.thread_version != version
    assert sorted(
        ReplyRef.objects.filter(source=reply).values_list("target_number", flat=True)
    ) == [1, 2, 3]
    assert Comment.objects.values("body_html", "thread_version").get(pk=other.pk) == untouched


@pytest.mark.parametrize("slug", ["article-1", "記事-1"])
def test_a_comments_address_built_from_its_articles_is_the_one_reversed(db, post, slug):
    article = Article.objects.create(title="記事", slug=slug, lead="リード")
    comment = post(article)
    assert comment_url(article.get_absolute_url(), comment.number) == comment.get_absolute_url()


def test_a_reply_under_a_held_comment_has_no_page_for_readers(moderator_client, article):
    client = Client()  # moderator_client is the test's client, logged in
    held = services.comment_create(article=article, parent=None, body="保留の親")
    reply = services.comment_create(article=article, parent=held, body="保留の下の返信")
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    url = comment_url(article.get_absolute_url(), reply.number)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}reply/?quote=1").status_code == 404
    page = moderator_client.get(url)
    assert page.status_code == 200
    assert "保留の下の返信" in page.text
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    assert "保留の下の返信" in client.get(url).text
