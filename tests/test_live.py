"""New comments as they arrive: the endpoint an open article page polls (live/views.py)."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from articles import services
from articles.models import Article, Comment
from articles.threads import PUBLIC, layout, render_items
from reactions import buttons as reaction_buttons

from .helpers import form, numbered, reader


def arrivals_url(article: Article, after: int, **extra: str) -> str:
    query = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"{reverse('live:article_arrivals', args=[article.slug])}?after={after}{query}"


def poll(client, article: Article, after: int, etag: str | None = None, **extra: str):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(arrivals_url(article, after, **extra), headers=headers)


def numbers(response) -> list[int]:
    return [item["number"] for item in response.json()["comments"]]


def page_item(client, article: Article, number: int) -> str:
    """Comment ``number``'s <article> as the article page shows it."""
    page = client.get(article.get_absolute_url(), {"all": "1"}).content.decode()
    match = re.search(rf'<article class="comment[^"]*" id="c{number}".*?</article>', page, re.S)
    assert match, f"#{number} is not on the page"
    return match.group(0)


@pytest.fixture
def live_client():
    return reader()


def test_nothing_new_answers_304_with_the_same_etag(live_client, thread):
    first = poll(live_client, thread, 5)
    assert first.status_code == 200
    assert first.json()["comments"] == []
    etag = first["ETag"]
    again = poll(live_client, thread, 5, etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""
    assert "no-cache" in again["Cache-Control"]


def test_the_etag_is_understood_weak_as_gzip_makes_it(live_client, thread):
    etag = poll(live_client, thread, 5)["ETag"]
    assert poll(live_client, thread, 5, f'W/{etag}, "other"').status_code == 304


def test_a_new_comment_changes_the_etag_and_is_sent(live_client, thread, post):
    etag = poll(live_client, thread, 5)["ETag"]
    first = Comment.objects.get(article=thread, number=1)
    post(thread, "新しい返信", parent=first)
    post(thread, "新しいスレッド")
    response = poll(live_client, thread, 5, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    body = response.json()
    assert body["last"] == 7
    assert body["through"] == 7
    assert body["more"] is False
    reply, new_thread = body["comments"]
    assert (reply["number"], reply["parent"], reply["level"]) == (6, 1, 1)
    assert (new_thread["number"], new_thread["parent"], new_thread["level"]) == (7, None, 0)
    assert new_thread["url"] == f"{thread.get_absolute_url()}c/7/"
    assert reply["html"].startswith('<li class="comment-item depth-1">')
    assert reply["html"].endswith("</li>")
    assert "新しい返信" in reply["html"]
    # Asked again from where that answer ended: nothing more, and a 304 after that.
    later = poll(live_client, thread, body["through"])
    assert later.json()["comments"] == []
    assert poll(live_client, thread, body["through"], later["ETag"]).status_code == 304


def test_comments_are_rendered_as_the_article_page_renders_them(live_client, thread, post):
    first = Comment.objects.get(article=thread, number=1)
    post(thread, ">>1 返信の返信です\n>引用\nhttps://example.com/ を見て", parent=first)
    item = poll(live_client, thread, 5).json()["comments"][0]["html"]
    assert page_item(live_client, thread, 6) in item
    # The same markup the page's own rendering gives, to the byte.
    comment = Comment.objects.get(article=thread, number=6)
    rows = layout(
        [comment],
        article_url=thread.get_absolute_url(),
        viewer=PUBLIC,
        known_numbers={first.pk: 1},
    )
    rows[0].closes = 0
    html = render_items(rows, article_url=thread.get_absolute_url())
    # With its reaction buttons, as the page fills them (the page holds the form they submit).
    counts = reaction_buttons.comment_counts([comment])
    filled = reaction_buttons.fill(
        RequestFactory().get("/"), html, article=thread, counts=counts, mine={}, with_form=False
    )
    assert item == filled


def test_an_answer_names_the_earlier_comments_it_answers(live_client, thread, post):
    post(thread, ">>1 と >>3 に同意、>>99 は未来")
    assert poll(live_client, thread, 5).json()["comments"][0]["answers"] == [1, 3]


def test_private_comments_are_never_sent(live_client, article, mixed):
    response = poll(live_client, article, 0)
    sent = set(numbers(response))
    public = {mixed[name].number for name in ("public_root", "public_reply", "public_under_hidden")}
    assert sent == public
    joined = "".join(item["html"] for item in response.json()["comments"])
    for name in ("hidden", "removed", "deleted", "held", "under_held"):
        assert f'id="c{mixed[name].number}"' not in joined
    for private in ("削除済み", "本人削除", "承認待ち"):
        assert private not in joined


def test_a_held_comment_moves_the_counter_but_sends_nothing(live_client, thread):
    etag = poll(live_client, thread, 5)["ETag"]
    held = services.comment_create(article=thread, parent=None, body="承認待ちのコメント")
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    response = poll(live_client, thread, 5, etag)
    assert response.status_code == 200
    assert response.json()["comments"] == []
    # The next poll starts where it did: the held comment may yet be approved.
    assert response.json()["through"] == 5
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    assert numbers(poll(live_client, thread, 5)) == [6]


def since_of_page(client, article: Article) -> int:
    """The article's publicity_seq as the page hands it to the script."""
    page = client.get(article.get_absolute_url()).content.decode()
    return int(re.search(r'<div class="live-bar"[^>]* data-since="(\d+)"', page).group(1))


def test_a_held_comment_approved_after_the_page_loaded_is_sent(live_client, thread, moderator):
    since = since_of_page(live_client, thread)  # the page shows #1-#5
    held = services.comment_create(article=thread, parent=None, body="承認待ちのコメント")  # 6
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    services.comment_create(article=thread, parent=None, body="後から来た")  # 7
    first = poll(live_client, thread, 5, since=str(since)).json()
    assert [c["number"] for c in first["comments"]] == [7]
    assert first["through"] == 7
    after, since = first["through"], first["seq"]
    etag = poll(live_client, thread, after, since=str(since))["ETag"]
    assert poll(live_client, thread, after, etag, since=str(since)).status_code == 304

    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=moderator)
    # Nothing was posted: the approval alone changes the answer, and #6 comes though below 7.
    response = poll(live_client, thread, after, etag, since=str(since))
    assert response.status_code == 200
    answer = response.json()
    assert numbers(response) == [6]
    assert answer["through"] == 7
    assert page_item(live_client, thread, 6) in answer["comments"][0]["html"]
    # Once the page has it, it is not sent again.
    assert numbers(poll(live_client, thread, 7, since=str(answer["seq"]))) == []


def test_approving_a_held_comment_sends_the_replies_under_it_too(live_client, article, post):
    post(article, "最初")  # 1
    held = post(article, "承認待ち")  # 2
    post(article, "その返信", parent=held)  # 3
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    since = since_of_page(live_client, article)  # #3 is under a held comment: not there
    post(article, "別のスレ")  # 4
    assert numbers(poll(live_client, article, 3, since=str(since))) == [4]
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    assert numbers(poll(live_client, article, 4, since=str(since))) == [2, 3]


def test_hiding_a_comment_changes_the_answer_and_showing_it_again_sends_it(
    live_client, thread, moderator
):
    since = since_of_page(live_client, thread)
    third = Comment.objects.get(article=thread, number=3)
    etag = poll(live_client, thread, 5, since=str(since))["ETag"]
    services.comment_set_status(comment=third, status=Comment.Status.HIDDEN, moderator=moderator)
    hidden = poll(live_client, thread, 5, etag, since=str(since))
    assert hidden.status_code == 200  # the page may have offered it: the offer is asked again
    assert numbers(hidden) == []
    services.comment_set_status(comment=third, status=Comment.Status.PUBLISHED, moderator=moderator)
    assert numbers(poll(live_client, thread, 5, since=str(hidden.json()["seq"]))) == [3]


def test_a_poll_that_holds_the_latest_changes_costs_one_query_for_a_304(
    live_client, thread, django_assert_num_queries
):
    held = services.comment_create(article=thread, parent=None, body="承認待ち")
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    since = str(poll(live_client, thread, 6, since="0").json()["seq"])
    etag = poll(live_client, thread, 6, since=since)["ETag"]
    with django_assert_num_queries(1):
        assert poll(live_client, thread, 6, etag, since=since).status_code == 304
    assert poll(live_client, thread, 6, since="x").status_code == 400


def test_a_reply_too_deep_for_the_page_comes_without_html(live_client, article, post):
    parent = None
    for level in range(7):
        parent = post(article, f"第{level}階層", parent=parent)
    items = {item["number"]: item for item in poll(live_client, article, 5).json()["comments"]}
    assert items[6]["html"]  # level 5: the deepest the page nests
    assert items[7]["html"] == ""  # level 6: on #6's own page
    assert items[7]["url"] == f"{article.get_absolute_url()}c/7/"
    # Every level is shown with ?all=1, and so it is sent.
    assert poll(live_client, article, 6, all="1").json()["comments"][0]["html"]


def test_a_long_run_of_new_comments_comes_in_batches(live_client, article, post, monkeypatch):
    from live import arrivals

    monkeypatch.setattr(arrivals, "BATCH", 3)
    for number in range(5):
        post(article, f"コメント{number}")
    first = poll(live_client, article, 0).json()
    assert (numbers_of(first), first["more"], first["through"]) == ([1, 2, 3], True, 3)
    rest = poll(live_client, article, first["through"]).json()
    assert (numbers_of(rest), rest["more"], rest["through"]) == ([4, 5], False, 5)


def numbers_of(body: dict) -> list[int]:
    return [item["number"] for item in body["comments"]]


def test_unpublished_articles_and_bad_numbers_are_refused(live_client, article):
    assert poll(live_client, article, 0).status_code == 200
    assert (
        live_client.get(arrivals_url(article, 0).replace("after=0", "after=x")).status_code == 400
    )
    assert live_client.get(reverse("live:article_arrivals", args=[article.slug])).status_code == 400
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert poll(live_client, article, 0).status_code == 404
    assert live_client.post(arrivals_url(article, 0)).status_code == 405


def test_the_answer_speaks_the_readers_language(thread, post):
    post(thread, "新着")
    japanese = reader().get(arrivals_url(thread, 5))
    english = reader().get(arrivals_url(thread, 5), headers={"Accept-Language": "en"})
    assert "返信" in japanese.json()["comments"][0]["html"]
    assert ">Reply<" in english.json()["comments"][0]["html"]
    assert japanese["ETag"] != english["ETag"]
    assert "Accept-Language" in japanese["Vary"]


def test_a_304_costs_one_query(live_client, thread, django_assert_num_queries):
    etag = poll(live_client, thread, 5)["ETag"]
    with django_assert_num_queries(1):
        assert poll(live_client, thread, 5, etag).status_code == 304


def test_a_signed_in_readers_poll_reads_no_session(
    client, thread, moderator, django_assert_num_queries
):
    """The same answer for everyone: the session (in the database without Redis) stays unread."""
    client.force_login(moderator)
    etag = poll(client, thread, 5)["ETag"]
    with django_assert_num_queries(1):
        assert poll(client, thread, 5, etag).status_code == 304


def test_an_answer_costs_four_queries_however_many_threads_it_touches(
    live_client, thread, post, django_assert_max_num_queries
):
    roots = list(Comment.objects.filter(article=thread, parent=None))
    for index in range(12):
        post(thread, f">>{index + 1} 返信 {index}", parent=roots[index % 2])
        post(thread, f"新しいスレッド {index}")
    # The article's counter, the new comments, the comments above the replies (for the toggles
    # that count replies), their back-links.
    with django_assert_max_num_queries(4):
        response = poll(live_client, thread, 5)
    assert len(response.json()["comments"]) == 24


def test_an_answer_counts_the_replies_of_the_comments_above_its_replies(live_client, thread, post):
    """As the page's toggles count them: every reply under each, held ones too."""
    held = post(thread, "承認待ち", parent=numbered(thread)[2])
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    post(thread, "新しい返信", parent=numbered(thread)[3])  # #7, under #1 > #2 > #3
    post(thread, "新しいスレッド")
    answer = poll(live_client, thread, 5).json()
    assert [c["number"] for c in answer["comments"]] == [7, 8]
    # #1: #2, #3, #4, the held #6 and #7; #2: #3, #6, #7; #3: #7.
    assert answer["replies"] == {"1": 5, "2": 3, "3": 1}


def test_an_answers_reply_counts_name_no_held_comment(live_client, thread, post):
    """A reply under a held comment is not sent, so the held one is never named above it."""
    held = post(thread, "承認待ち", parent=numbered(thread)[2])  # 6
    post(thread, "承認待ちへの返信", parent=held)  # 7, under it once it is held
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    post(thread, "見える返信", parent=numbered(thread)[4])  # 8
    answer = poll(live_client, thread, 5).json()
    assert [c["number"] for c in answer["comments"]] == [8]
    assert set(answer["replies"]) == {"1", "4"}
    assert "承認待ち" not in str(answer)


def test_the_article_page_carries_what_the_script_needs(live_client, thread):
    page = live_client.get(thread.get_absolute_url()).content.decode()
    bar = re.search(r'<div class="live-bar"[^>]*>', page).group(0)
    assert f'data-url="{reverse("live:article_arrivals", args=[thread.slug])}"' in bar
    assert 'data-after="5"' in bar
    assert 'data-order="oldest"' in bar
    assert 'data-one="新着コメント %(count)s件"' in bar
    assert "/static/js/live.js" in page


def test_a_closed_article_is_not_polled(live_client, thread):
    Article.objects.filter(pk=thread.pk).update(comments_open=False)
    page = live_client.get(thread.get_absolute_url()).content.decode()
    bar = re.search(r'<div class="live-bar"[^>]*>', page).group(0)
    assert "data-url" not in bar


def test_arrivals_carry_the_daily_id_and_the_starters_mark_as_the_page_does(article):
    taro, hanako = reader("198.51.100.7"), reader("198.51.100.8")
    url = article.get_absolute_url()
    taro.post(f"{url}comment/", form({"body": "スレを立てます"}))  # 1
    hanako.post(f"{url}c/1/reply/", form({"body": "横から"}))  # 2
    taro.post(f"{url}c/2/reply/", form({"body": "スレ主です"}))  # 3
    (item,) = [c for c in poll(reader(), article, 2).json()["comments"] if c["number"] == 3]
    taro_id = Comment.objects.get(article=article, number=3).daily_id
    assert taro_id
    assert f"ID:{taro_id}" in item["html"]
    assert 'class="starter-mark"' in item["html"]
    assert page_item(reader(), article, 3) in item["html"]

    article.daily_ids = False
    article.save(update_fields=["daily_ids"])
    (item,) = poll(reader(), article, 2).json()["comments"]
    assert taro_id not in item["html"]
    assert 'class="starter-mark"' not in item["html"]
