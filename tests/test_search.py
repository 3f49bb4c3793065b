"""Search: Japanese terms inside longer text, normalisation, visibility, the index after every
kind of write, hostile queries, and the results page."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles import moderation, services
from articles.models import Article, Block, Comment
from search import index
from search.models import ArticleText, CommentText
from search.query import Query, articles, comments, doubled, snippet
from tests.helpers import reader

pytestmark = pytest.mark.django_db


def found(q: str, **kwargs) -> list[str]:
    return [c.body for c in comments(Query.parse(q), **kwargs)]


def found_articles(q: str) -> list[str]:
    return [a.title for a in articles(Query.parse(q))]


def test_japanese_term_matches_inside_a_longer_run(article, post):
    post(article, "昨日の中国軍の演習について")
    post(article, "北風が強い")
    assert found("中国軍") == ["昨日の中国軍の演習について"]
    assert found("演習") == ["昨日の中国軍の演習について"]


def test_two_character_terms_match(article, post):
    post(article, "中国と北風")
    post(article, "関係ない")
    assert found("中国") == ["中国と北風"]
    assert found("北風") == ["中国と北風"]


def test_one_character_term_matches(article, post):
    post(article, "犬が好き")
    post(article, "猫が好き")
    assert found("犬") == ["犬が好き"]


def test_every_term_must_match(article, post):
    post(article, "中国の北風")
    post(article, "中国の南風")
    post(article, "北風と太陽")
    assert found("中国 北風") == ["中国の北風"]
    assert found("中国　北風") == ["中国の北風"]  # an ideographic space separates terms too


def test_full_width_and_half_width_match_each_other(article, post):
    post(article, "S-400を配備")
    post(article, "ｓ－４００の話")
    assert found("ｓ－４００") == ["ｓ－４００の話", "S-400を配備"]
    assert found("s-400") == ["ｓ－４００の話", "S-400を配備"]
    post(article, "ｶﾀｶﾅ半角")
    assert found("カタカナ") == ["ｶﾀｶﾅ半角"]


def test_case_does_not_matter(article, post):
    post(article, "NATO expands")
    assert found("nato") == ["NATO expands"]
    assert found("Expands") == ["NATO expands"]


def test_newest_first(article, post):
    old = post(article, "話題その一")
    post(article, "話題その二")
    assert found("話題") == ["話題その二", "話題その一"]
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() + timedelta(hours=1))
    assert found("話題") == ["話題その一", "話題その二"]


@pytest.mark.parametrize("status", ["hidden", "removed", "deleted", "pending"])
def test_comments_not_published_are_never_found(article, post, status):
    comment = post(article, "秘密の書き込み")
    services.comment_set_status(comment=comment, status=status, moderator=None)
    assert found("秘密") == []
    assert not CommentText.objects.filter(pk=comment.pk).exists()


def test_replies_under_a_held_comment_are_never_found(article, post):
    held = post(article, "保留の親")
    reply = post(article, "保留の下の返信", parent=held)
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    assert found("保留の下") == []
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    assert found("保留の下") == [reply.body]


def test_comments_of_unpublished_articles_are_never_found(article, post):
    post(article, "下書きへのコメント")
    Article.objects.filter(pk=article.pk).update(status="draft")
    assert found("下書き") == []
    Article.objects.filter(pk=article.pk).update(
        status="published", published_at=timezone.now() + timedelta(days=1)
    )
    assert found("下書き") == []


def test_unpublished_articles_are_never_found(db):
    Article.objects.create(title="公開記事", slug="public")
    Article.objects.create(title="下書き記事", slug="draft", status="draft")
    Article.objects.create(
        title="予約記事", slug="scheduled", published_at=timezone.now() + timedelta(days=1)
    )
    assert found_articles("記事") == ["公開記事"]


def test_articles_are_found_by_title_lead_and_body(db):
    article = Article.objects.create(title="日米会談", slug="a", lead="首脳が会った")
    Block.objects.create(article=article, position=1, text="防衛費の増額で合意")
    assert found_articles("会談") == ["日米会談"]
    assert found_articles("首脳") == ["日米会談"]
    assert found_articles("増額") == ["日米会談"]
    Block.objects.filter(article=article).update(text="別の話題")
    assert found_articles("増額") == []
    assert found_articles("話題") == ["日米会談"]
    Block.objects.filter(article=article).delete()
    assert found_articles("話題") == []
    Article.objects.filter(pk=article.pk).update(title="日中会談")
    assert found_articles("日中") == ["日中会談"]
    article.delete()
    assert not ArticleText.objects.exists()


def test_index_follows_an_edit(article, post):
    comment = post(article, "最初の文章")
    services.comment_edit(comment=comment, body="書き直した文章", author_name="")
    assert found("最初") == []
    assert found("書き直") == ["書き直した文章"]


def test_index_follows_removal_and_restore(article, post, moderator):
    comment = post(article, "消される発言")
    moderation.comment_moderate(
        comment=comment, action=moderation.Action.REMOVE, moderator=moderator
    )
    assert found("発言") == []
    moderation.comment_moderate(
        comment=comment, action=moderation.Action.RESTORE, moderator=moderator
    )
    assert found("発言") == ["消される発言"]


def test_index_follows_a_move_and_a_delete(article, other_article, post):
    first = post(article, "親のコメント")
    reply = post(article, "動かす返信", parent=first)
    post(article, "もう一つの返信", parent=first)
    services.comment_move(comment=reply, parent=None)
    assert found("動かす", article=article) == ["動かす返信"]
    assert found("返信") == ["もう一つの返信", "動かす返信"]
    services.comment_delete(comment=first)
    assert found("返信") == ["動かす返信"]
    assert found("親の") == []


def test_index_follows_a_reimport(seeded, seed_dir):
    seed = seed_dir / "000_fa0796958162b6f6.txt"
    text = seed.read_text(encoding="utf-8")
    assert "真の独立性を得るために必要な選択" in text
    assert found("独立性を得る")
    seed.write_text(
        text.replace("真の独立性を得るために必要な選択", "真の独立性のための選択"), encoding="utf-8"
    )
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    assert found("独立性を得る") == []
    assert found("独立性のための選択")
    assert found_articles(seeded.title[:4]) == [seeded.title]


def test_tree_shifts_do_not_touch_the_index(article, post):
    """A reply rewrites lft/rght of its thread: the triggers watch only body and status."""
    first = post(article, "スレッドの始まり")
    post(article, "返信一", parent=first)
    before = list(CommentText.objects.values_list("pk", "text", "created_at"))
    post(article, "返信二", parent=first)
    after = list(CommentText.objects.values_list("pk", "text", "created_at"))
    assert set(before) < set(after)
    assert len(after) == len(before) + 1


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        "'",
        '"引用"',
        "%",
        "_",
        "\\",
        "a\\b",
        "NEAR",
        "NEAR(a b)",
        "*",
        "中*",
        "OR",
        "a OR b",
        "AND NOT",
        "^中国",
        "col:中国",
        "(中国",
        "'; DROP TABLE articles_comment; --",
    ],
)
def test_hostile_queries_are_matched_as_text(article, post, hostile):
    post(article, "ふつうの書き込み")
    post(article, f"記号 {hostile} を含む")
    assert found(hostile) == [f"記号 {hostile} を含む"]


def test_percent_and_underscore_are_not_wildcards(article, post):
    post(article, "100%の自信")
    post(article, "1000の自信")
    post(article, "a_b")
    post(article, "axb")
    assert found("100%") == ["100%の自信"]
    assert found("a_b") == ["a_b"]


def test_search_within_one_article(article, other_article, post):
    post(article, "同じ言葉")
    post(other_article, "同じ言葉も")
    assert found("言葉", article=article) == ["同じ言葉"]


def test_snippet_marks_terms_and_escapes():
    html = snippet("<b>ｓ－４００</b>と中国", ("s-400", "中国"))
    assert html == "&lt;b&gt;<mark>ｓ－４００</mark>&lt;/b&gt;と<mark>中国</mark>"


def test_snippet_cuts_around_the_first_match():
    text = "あ" * 300 + "中国" + "い" * 300
    html = snippet(text, ("中国",), width=60)
    assert html.startswith("…")
    assert html.endswith("…")
    assert "<mark>中国</mark>" in html


def test_triggers_come_back_when_a_migration_dropped_them(article, post):
    post(article, "消えた索引")
    index.uninstall(connection)
    assert index.installed_triggers(connection) == set()
    index.ensure_installed(sender=None, using="default")
    assert index.installed_triggers(connection) == index.EXPECTED_TRIGGERS[connection.vendor]
    assert found("索引") == ["消えた索引"]
    post(article, "新しい索引")
    assert found("索引") == ["新しい索引", "消えた索引"]


# --- The page -----------------------------------------------------------------------------------


def test_results_page_shows_comments_with_number_name_time_and_marked_snippet(
    client, article, post
):
    comment = services.comment_create(
        article=article, parent=None, body="<script>中国</script>の話", author_name="山田"
    )
    response = client.get(reverse("search:search"), {"q": "中国"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/articles/{article.slug}/c/{comment.number}/"' in html
    assert "山田" in html
    assert comment.created_at.strftime("%Y/%m/%d") in html
    assert "&lt;script&gt;<mark>中国</mark>&lt;/script&gt;の話" in html
    assert "<script>中国" not in html


def test_results_page_lists_articles(client, article):
    response = client.get(reverse("search:search"), {"q": "テスト"})
    assert article.get_absolute_url() in response.content.decode()


def test_results_page_never_shows_a_hidden_comment(client, article, post):
    comment = post(article, "見せない中身")
    services.comment_set_status(comment=comment, status="hidden", moderator=None)
    html = client.get(reverse("search:search"), {"q": "中身"}).content.decode()
    assert "見せない" not in html
    assert "No comments match your search." in html or "一致するコメントはありません" in html


def test_empty_query_gets_a_hint(client, db):
    response = client.get(reverse("search:search"), {"q": "   "})
    assert response.status_code == 200
    assert 'class="search-hint"' in response.content.decode()


def test_too_long_query_gets_a_clear_answer_and_keeps_the_text(client, db):
    response = client.get(reverse("search:search"), {"q": "長" * 101})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "長" * 101 in html


def test_too_many_terms_get_a_clear_answer(client, db):
    response = client.get(reverse("search:search"), {"q": " ".join("abcdefghijk")})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_bad_page_numbers_show_the_first_page(client, article, post):
    post(article, "ページ")
    for page in ("x", "0", "-1", "99999999999"):
        response = client.get(reverse("search:search"), {"q": "ページ", "page": page})
        assert response.status_code == 200


def test_unknown_article_is_not_found(client, db):
    response = client.get(reverse("search:search"), {"q": "中国", "article": "nope"})
    assert response.status_code == 404


def test_draft_article_cannot_be_searched_within(client, article):
    Article.objects.filter(pk=article.pk).update(status="draft")
    response = client.get(reverse("search:search"), {"q": "中国", "article": article.slug})
    assert response.status_code == 404


def test_results_are_paginated(client, article, post):
    for i in range(25):
        post(article, f"話題 {i}")
    first = client.get(reverse("search:search"), {"q": "話題"}).content.decode()
    assert first.count('class="search-result"') == 20
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get(reverse("search:search"), {"q": "話題", "page": 2}).content.decode()
    assert second.count('class="search-result"') == 5
    assert '/c/1/"' in second  # the oldest
    assert '/c/25/"' not in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


def test_results_stop_after_the_last_page_offered(client, article, post, monkeypatch):
    monkeypatch.setattr("search.views.MAX_PAGES", 1)
    for i in range(25):
        post(article, f"話題 {i}")
    first = client.get(reverse("search:search"), {"q": "話題"}).content.decode()
    assert first.count('class="search-result"') == 20
    assert 'rel="next"' not in first
    beyond = client.get(reverse("search:search"), {"q": "話題", "page": 2}).content.decode()
    assert '/c/25/"' in beyond  # the first page again, as for any page number not offered


def test_query_count_does_not_grow_with_results(
    client, article, other_article, post, django_assert_max_num_queries
):
    for i in range(3):
        post(article, f"数える {i}")
    # The search counted against the address's limit, the comments and the articles; on
    # PostgreSQL also SET LOCAL plan_cache_mode and, inside the test's transaction, a savepoint
    # and its release.
    with django_assert_max_num_queries(3 if connection.vendor == "sqlite" else 6) as few:
        client.get(reverse("search:search"), {"q": "数える"})
    for i in range(30):
        post(other_article if i % 2 else article, f"数える {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("search:search"), {"q": "数える"})
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        client.get(reverse("search:search"), {"q": "数える", "article": article.slug})


def test_every_page_has_the_search_box(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<form class="site-search" action="/search/"' in html


def test_saving_an_article_unchanged_leaves_its_index_row(article):
    before = ArticleText.objects.get(pk=article.pk)
    article.save()
    with connection.cursor() as cursor:
        # The row is the same one (not deleted and inserted again) when no text changed.
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT xmin::text FROM search_articletext WHERE article_id = %s", [article.pk]
            )
            version = cursor.fetchone()[0]
            article.save()
            cursor.execute(
                "SELECT xmin::text FROM search_articletext WHERE article_id = %s", [article.pk]
            )
            assert cursor.fetchone()[0] == version
    assert ArticleText.objects.get(pk=article.pk).text == before.text


def test_a_term_occurs_exactly_where_it_occurs_doubled():
    import random

    rng = random.Random(15)
    for _ in range(5000):
        text = "".join(rng.choice("ab中") for _ in range(rng.randint(0, 8)))
        term = "".join(rng.choice("ab中") for _ in range(rng.randint(1, 4)))
        assert (term in text) == (doubled(term) in doubled(text)), (term, text)


@pytest.mark.parametrize("q", ["中国", "中国軍の", "s-400 北風"])
def test_postgresql_answers_terms_of_two_characters_or_more_from_the_trigram_index(
    article, post, q
):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    post(article, "中国軍のs-400と北風")
    query = comments(Query.parse(q))
    # The condition the ORM writes for each term…
    condition = '"search_commenttext"."text"::text LIKE'
    assert str(query.query).count(condition) == len(Query.parse(q).terms)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the index the choice
    written = (
        CommentText.objects.filter(text__contains=doubled(q.split()[0])).order_by().values("pk")
    )
    assert condition in str(written.query)
    plan = written.explain()
    # …which the trigram index answers.
    assert "search_commenttext_trgm" in plan
    assert found(q) == ["中国軍のs-400と北風"]


def test_searching_too_often_gets_429_with_the_words_kept(client, article, post, settings):
    settings.FORUM_SEARCH_LIMIT = (2, 60)
    post(article, "中国の話")
    for _ in range(2):
        assert client.get(reverse("search:search"), {"q": "中国"}).status_code == 200
    response = client.get(reverse("search:search"), {"q": "中国 <b>"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert 'value="中国 &lt;b&gt;"' in html  # in the box, escaped
    assert 'role="alert"' in html
    assert "中国の話" not in html
    # Counted by address: another reader still searches.
    other = reader("203.0.113.9")
    assert other.get(reverse("search:search"), {"q": "中国"}).status_code == 200


def test_an_empty_search_is_not_counted(client, db, settings):
    settings.FORUM_SEARCH_LIMIT = (1, 60)
    for _ in range(3):
        assert client.get(reverse("search:search"), {"q": " "}).status_code == 200
    assert client.get(reverse("search:search"), {"q": "中国"}).status_code == 200


def test_single_characters_are_looked_for_in_the_newest_comments_only(
    client, article, other_article, post, monkeypatch
):
    monkeypatch.setattr("search.query.SINGLE_CHARACTER_WINDOW", 3)
    old = post(article, "古い犬")
    for n in range(3):
        post(article, f"新しい{n}")
    CommentText.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert found("犬") == []  # beyond the newest three
    assert found("古い犬") == ["古い犬"]  # a longer term is looked for everywhere
    assert found("犬 古い") == ["古い犬"]
    post(other_article, "別の記事の猫")
    assert found("猫") == ["別の記事の猫"]
    # Within one article, the window is the article's newest comments.
    assert found("古", article=article) == []
    assert found("新", article=article) == ["新しい2", "新しい1", "新しい0"]
    html = client.get(reverse("search:search"), {"q": "猫"}).content.decode()
    assert "別の記事の<mark>猫</mark>" in html
    assert 'class="search-hint"' in html
    html = client.get(reverse("search:search"), {"q": "古い"}).content.decode()
    assert 'class="search-hint"' not in html


def test_single_characters_fewer_than_the_window_are_all_looked_at(article, post):
    post(article, "犬")
    assert found("犬") == ["犬"]


@pytest.mark.postgresql
def test_new_comments_wait_in_the_pending_list_for_the_background_job_and_are_found_meanwhile(
    article, post
):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'search_commenttext_trgm'")
        assert f"gin_pending_list_limit={index.PENDING_LIST_KB}" in cursor.fetchone()[0]
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'search_commenttext'")
        assert set(cursor.fetchone()[0]) == {
            f"autovacuum_analyze_threshold={index.ANALYZE_AFTER}",
            "autovacuum_analyze_scale_factor=0",
        }
    index.flush_pending(connection)
    post(article, "保留リストの中の書き込み")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # found through the index, list and all
        assert found("保留リスト") == ["保留リストの中の書き込み"]
    out = StringIO()
    call_command("search_flush", stdout=out)
    assert "1 pending pages moved" in out.getvalue()
    assert found("保留リスト") == ["保留リストの中の書き込み"]
    assert index.flush_pending(connection) == 0
