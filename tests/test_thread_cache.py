"""The article page caches each thread's HTML under the thread's version, and the article's own part
under the article's content version; every write shows at once.

Each test warms the cache first, so that a write the version does not follow would show as the old
page.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles import services
from articles.models import Comment, Link
from articles.threads import markup_fingerprint

from .helpers import form, numbered
from .test_reading import ids_in


@pytest.fixture
def page(client, thread):
    """The thread fixture's article page (#1 > #2 > #3, #1 > #4; #5), as a reader sees it now."""

    def page(query: str = "") -> str:
        return client.get(f"{thread.get_absolute_url()}{query}", HTTP_ACCEPT_LANGUAGE="en").text

    page()  # warm
    return page


def comment_html(html: str, number: int) -> str:
    start = html.index(f'id="c{number}"')
    return html[start : html.index("</article>", start)]


def test_a_warm_page_reads_no_comments_and_is_the_same_page(client, thread):
    url = thread.get_absolute_url()
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url).text
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url).text
    tree = re.compile(r'<ol class="comment-tree">.*</ol>', re.DOTALL)
    assert tree.search(second).group() == tree.search(first).group()
    text = re.compile(r'<article class="article">.*?</article>', re.DOTALL)
    assert text.search(second).group() == text.search(first).group()
    assert ids_in(second) == [1, 2, 3, 4, 5]
    # What is left: the article, its threads with their versions (counted, then listed), and the
    # reaction counts of the cached threads (which the cold page read with their comments). The
    # cold page also counted the article's published comments, kept under its counters.
    assert len(warm) == len(cold) - 5 == 4
    read = " ".join(query["sql"] for query in warm.captured_queries)
    assert "body_html" not in read
    assert not any(part in read for part in ("articles_block", "imagecredit", "articles_link"))


def test_a_reply_shows(page, thread, post):
    post(thread, "新しい返信", parent=numbered(thread)[3])
    html = page()
    assert ids_in(html) == [1, 2, 3, 6, 4, 5]
    assert "新しい返信" in html


def test_a_new_thread_shows(page, thread, post):
    post(thread, "新しいスレッド")
    assert ids_in(page()) == [1, 2, 3, 4, 5, 6]


def test_an_edit_shows(page, thread):
    services.comment_edit(comment=numbered(thread)[3], body="書き直した", author_name="編集者")
    html = comment_html(page(), 3)
    assert "書き直した" in html
    assert "編集者" in html


@pytest.mark.parametrize(
    "status", [Comment.Status.REMOVED, Comment.Status.HIDDEN, Comment.Status.DELETED]
)
def test_taking_a_comment_down_shows_and_keeps_its_replies(page, thread, status):
    services.comment_set_status(comment=numbered(thread)[2], status=status, moderator=None)
    html = page()
    assert "二" not in comment_html(html, 2)
    assert "This comment has been removed." in comment_html(html, 2)
    assert ids_in(html) == [1, 2, 3, 4, 5]


def test_approving_a_held_comment_shows_it(page, thread):
    held = services.comment_create(
        article=thread, parent=numbered(thread)[1], body="保留中", status=Comment.Status.PENDING
    )
    assert 6 not in ids_in(page())
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    assert ids_in(page()) == [1, 2, 3, 4, 6, 5]


def test_a_move_shows_in_both_threads(page, thread):
    comments = numbered(thread)
    services.comment_move(comment=comments[2], parent=comments[5])
    html = page()
    assert ids_in(html) == [1, 4, 5, 2, 3]
    assert comment_html(html, 1).count("Hide 1 reply") == 1


def test_a_reply_moved_to_its_own_thread_shows(page, thread):
    services.comment_move(comment=numbered(thread)[2], parent=None)
    assert ids_in(page()) == [1, 4, 2, 3, 5]


def test_a_delete_shows(page, thread):
    services.comment_delete(comment=numbered(thread)[2])
    assert ids_in(page()) == [1, 4, 5]


def test_a_rebuild_shows(page, thread):
    # Damage made behind the services' back (what --repair is for): #4 claims #5 as its parent.
    comments = numbered(thread)
    Comment.objects.filter(pk=comments[4].pk).update(parent=comments[5])
    services.comment_trees_rebuild(article=thread)
    assert ids_in(page()) == [1, 2, 3, 5, 4]


def test_an_answer_from_another_thread_adds_the_back_link(
    page, thread, post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(thread, ">>3\n別スレから", parent=numbered(thread)[5])
    assert 'data-number="6">&gt;&gt;6</a>' in comment_html(page(), 3)


@pytest.fixture
def answer(page, thread, post, django_capture_on_commit_callbacks) -> Comment:
    """#6 in #5's thread answers #3 in #1's, and #3 shows the back-link."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(thread, ">>3\n別スレから", parent=numbered(thread)[5])
    assert "&gt;&gt;6" in comment_html(page(), 3)
    return answer


def test_editing_an_answer_away_drops_the_back_link(
    page, answer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_edit(comment=answer, body="やっぱりなし", author_name="")
    assert "&gt;&gt;6" not in comment_html(page(), 3)


def test_deleting_an_answer_drops_the_back_link(page, answer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_delete(comment=answer)
    assert "&gt;&gt;6" not in comment_html(page(), 3)


def test_each_language_has_its_own_copy(client, thread):
    url = thread.get_absolute_url()
    assert ">Reply<" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert ">返信<" in client.get(url, HTTP_ACCEPT_LANGUAGE="ja").text
    assert ">Reply<" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").text


def test_the_author_sees_their_edit_links_and_others_the_cached_thread(thread):
    author, reader = Client(), Client()
    url = thread.get_absolute_url()
    reader.get(url)  # warm
    response = author.post(f"{url}c/2/reply/", form({"body": "私の返信"}))
    assert response.status_code == 302
    edit_link = f"{url}c/6/edit/"
    assert edit_link in author.get(url).text
    assert edit_link not in reader.get(url).text
    assert f"{url}c/6/report/" in reader.get(url).text
    assert edit_link in author.get(url).text


def test_a_held_comment_shows_to_its_author_only(thread, settings):
    settings.FORUM_PREMODERATION = "all"
    author, reader = Client(), Client()
    url = thread.get_absolute_url()
    reader.get(url)  # warm
    author.post(f"{url}c/2/reply/", form({"body": "承認待ちの返信"}))
    assert "承認待ちの返信" in author.get(url).text
    assert "承認待ちの返信" not in reader.get(url).text


def test_moderators_see_hidden_text_that_the_cached_thread_leaves_out(thread, moderator_client):
    services.comment_set_status(
        comment=numbered(thread)[2], status=Comment.Status.HIDDEN, moderator=None
    )
    url = thread.get_absolute_url()
    assert "二" not in comment_html(Client().get(url).text, 2)  # warm, for readers
    assert '<div class="comment-body">二</div>' in comment_html(moderator_client.get(url).text, 2)
    assert "二" not in comment_html(Client().get(url).text, 2)  # and nothing of theirs cached


def test_a_moderators_view_is_not_cached_for_readers(thread, moderator_client):
    services.comment_set_status(
        comment=numbered(thread)[2], status=Comment.Status.HIDDEN, moderator=None
    )
    url = thread.get_absolute_url()
    moderator_client.get(url)  # first, on a cold cache
    assert "二" not in comment_html(Client().get(url).text, 2)


def test_the_nesting_limit_has_its_own_copy(client, article, post):
    parent = post(article, "深さ0")
    for level in range(1, 8):
        parent = post(article, f"深さ{level}", parent=parent)
    url = article.get_absolute_url()
    assert "深さ7" not in client.get(url).text  # nested 6 deep, then "continue this thread"
    assert "深さ7" in client.get(f"{url}?all=1").text
    assert "深さ7" not in client.get(url).text


def test_each_time_zone_has_its_own_copy(thread):
    from django.utils import timezone

    from articles.threads import PUBLIC, threads_html

    threads = list(thread.comments.filter(parent=None).values_list("tree_id", "thread_version"))

    def first_time() -> str:
        html = threads_html(thread, threads, max_depth=6, viewer=PUBLIC, personal=set())
        return re.search(r'<time datetime="([^"]+)"', html).group(1)

    with timezone.override("Asia/Tokyo"):
        tokyo = first_time()
    with timezone.override("UTC"):
        utc = first_time()
    assert tokyo.endswith("+09:00")
    assert utc.endswith("+00:00")


def test_the_new_comment_is_announced_over_a_cached_thread(page):
    # The highlight is the fragment's (.comment:target, #c3): the cached HTML is served as it is.
    new, plain = page("?new=3"), page()
    assert comment_html(new, 3) == comment_html(plain, 3)
    assert '<article class="comment" id="c3"' in new
    assert 'id="new-comment-status"' in new
    assert 'id="new-comment-status"' not in plain


def test_a_posters_page_takes_as_few_queries_however_big_the_article(
    article, post, django_assert_max_num_queries
):
    author = Client()
    url = article.get_absolute_url()
    author.post(f"{url}comment/", form({"body": "私のスレッド"}))  # a poster, with a cookie
    # Nothing cached (the reader's own thread never is; the others are new): the article, its
    # parts, the threads, the reader's own comments, the comments and their back-links, and the
    # reader's own reactions (a browser with a poster cookie may have some); and the published
    # comments counted.
    with django_assert_max_num_queries(11) as small:
        author.get(url)
    root = numbered(article)[1]
    for n in range(100):
        post(article, f"返信 >>{n + 1}", parent=root)
        post(article, f"別スレ{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = author.get(url)
    assert f"{url}c/1/edit/" in response.text


# The article's own part -------------------------------------------------------------------------


@pytest.fixture
def article_part(client, seeded):
    """The seed article's own part of its page (text, credits, links), as a reader sees it now."""

    def article_part(language: str = "ja") -> str:
        html = client.get(seeded.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).text
        return re.search(r'<article class="article">.*?</article>', html, re.DOTALL).group()

    article_part()  # warm
    return article_part


def test_an_edit_of_the_article_shows(article_part, seeded):
    seeded.lead = "書き直したリード"
    seeded.save()
    assert "書き直したリード" in article_part()


def test_edits_of_paragraphs_credits_and_links_show(article_part, seeded):
    paragraph = seeded.blocks.order_by("position").first()
    paragraph.text = "書き直した段落"
    paragraph.save()
    assert "書き直した段落" in article_part()
    Link.objects.create(article=seeded, kind=Link.Kind.RELATED, position=99, title="新しい関連記事")
    assert "新しい関連記事" in article_part()
    assert 'class="image-credit"' in article_part()
    seeded.image_credits.all().delete()
    assert 'class="image-credit"' not in article_part()


def test_a_reimport_that_changes_the_text_shows(article_part, seeded, seed_dir):
    seed = next(seed_dir.glob("*.txt"))
    first = seeded.blocks.order_by("position").first().text
    text = seed.read_text(encoding="utf-8").replace(first, f"{first}（追記）", 1)
    seed.write_text(text, encoding="utf-8")
    call_command("import_seeds", str(seed_dir), stdout=StringIO())
    assert "（追記）" in article_part()


def test_each_language_has_its_own_copy_of_the_article(article_part):
    assert "References" in article_part("en")
    assert "References" not in article_part("ja")


def test_the_cache_key_changes_with_the_markup(tmp_path):
    template = tmp_path / "_article.html"
    template.write_text("<article>{{ article.title }}</article>")
    before = markup_fingerprint(template)
    template.write_text("<article class='article'>{{ article.title }}</article>")
    assert markup_fingerprint(template) != before


def test_threads_cached_under_another_markup_are_not_served(page, monkeypatch):
    from articles.threads import cache

    rendered = []
    render_items = cache.render_items
    monkeypatch.setattr(
        cache, "render_items", lambda *a, **kw: rendered.append(1) or render_items(*a, **kw)
    )
    page()
    assert rendered == []  # both threads came from the cache
    monkeypatch.setattr(cache, "thread_markup", lambda: "after-a-deploy")
    page()
    assert len(rendered) == 2


def test_an_article_cached_under_another_markup_is_not_served(article_part, monkeypatch):
    from articles.threads import cache

    rendered = []
    render_to_string = cache.render_to_string

    def spy(template_name, *args, **kwargs):
        if template_name == cache.ARTICLE_TEMPLATES[0]:
            rendered.append(template_name)
        return render_to_string(template_name, *args, **kwargs)

    monkeypatch.setattr(cache, "render_to_string", spy)
    article_part()
    assert rendered == []
    monkeypatch.setattr(cache, "article_markup", lambda: "after-a-deploy")
    article_part()
    assert len(rendered) == 1
