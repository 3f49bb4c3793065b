"""Reactions under comments (the reactions app) and the "best" thread order."""

import random
import re
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import services
from articles.abuse.addresses import ip_hash
from articles.models import Ban, Comment
from articles.posters import Poster
from reactions import reacting
from reactions.models import Reaction
from reactions.scores import wilson_lower_bound

from .helpers import numbered, reader
from .test_reading import ids_in

JSON = {"HTTP_ACCEPT": "application/json"}


def tap(client, comment: Comment, kind: str = "agree", **extra):
    url = f"{comment.article.get_absolute_url()}c/{comment.number}/react/"
    return client.post(url, {"kind": kind}, **extra)


def counts(comment: Comment) -> tuple[int, int, int]:
    comment.refresh_from_db()
    return (comment.agree_count, comment.insightful_count, comment.disagree_count)


def buttons(html: str, number: int) -> dict[str, tuple[str, int]]:
    """Comment ``number``'s reaction buttons: kind -> (aria-pressed, count)."""
    start = html.index(f'id="c{number}"')
    row = html[start : html.index("</article>", start)]
    found = re.findall(
        r'<button class="reaction"[^>]*value="(\w+)" aria-pressed="(\w+)">[^<]*'
        r'<span class="reaction-count">(\d+)</span>',
        row,
    )
    return {kind: (pressed, int(count)) for kind, pressed, count in found}


def anonymous(address: str = "198.51.100.7", key: str = "browser-1") -> Poster:
    return Poster(account=None, ip_hash=ip_hash(address), key=key)


# Scores and the "best" order ------------------------------------------------------------------


def test_wilson_lower_bound_matches_hand_computed_values():
    # p = 1, n = 3: (1 + z²/6 - z·sqrt(z²/36)) / (1 + z²/3) with z = 1.96
    assert wilson_lower_bound(3, 0) == pytest.approx(0.43850, abs=1e-5)
    # p = 300/310: (p + z²/620 - z·sqrt((p(1-p) + z²/1240)/310)) / (1 + z²/310)
    assert wilson_lower_bound(300, 10) == pytest.approx(0.94165, abs=1e-5)
    assert wilson_lower_bound(0, 0) == 0
    assert wilson_lower_bound(0, 5) == 0
    assert wilson_lower_bound(3, 0) < wilson_lower_bound(300, 10)


def test_best_order_ranks_300_of_310_above_3_of_3_and_ties_by_number(client, article, post):
    plain, few, many, later_plain = (post(article, f"スレ{n}") for n in range(4))
    for n in range(3):
        reacting.reaction_toggle(comment=few, kind="agree", poster=anonymous(key=f"few-{n}"))
    # 299 agree and 10 disagree as if tapped, then the 300th agree through the service.
    Comment.objects.filter(pk=many.pk).update(agree_count=299, disagree_count=10)
    reacting.reaction_toggle(comment=many, kind="agree", poster=anonymous(key="many"))
    few.refresh_from_db()
    many.refresh_from_db()
    assert few.best_score == pytest.approx(0.43850, abs=1e-5)
    assert many.best_score == pytest.approx(0.94165, abs=1e-5)
    html = client.get(f"{article.get_absolute_url()}?order=best").text
    assert ids_in(html) == [many.number, few.number, plain.number, later_plain.number]
    # The default order stays the oldest first.
    assert ids_in(client.get(article.get_absolute_url()).text) == [1, 2, 3, 4]


def test_insightful_does_not_move_the_best_order_and_disagree_lowers_it(article, post):
    root = post(article, "スレ")
    reacting.reaction_toggle(comment=root, kind="insightful", poster=anonymous(key="a"))
    root.refresh_from_db()
    assert root.best_score == 0
    reacting.reaction_toggle(comment=root, kind="agree", poster=anonymous(key="b"))
    root.refresh_from_db()
    one_agree = root.best_score
    reacting.reaction_toggle(comment=root, kind="disagree", poster=anonymous(key="c"))
    root.refresh_from_db()
    assert 0 < root.best_score < one_agree
    assert root.best_score == pytest.approx(wilson_lower_bound(1, 1))


# Toggling, changing, withdrawing --------------------------------------------------------------


def test_a_tap_reacts_the_same_tap_withdraws_and_another_changes_it(thread):
    first = numbered(thread)[1]
    browser = reader()
    answer = tap(browser, first, "agree", **JSON).json()
    assert answer == {"counts": {"agree": 1, "insightful": 0, "disagree": 0}, "mine": "agree"}
    answer = tap(browser, first, "disagree", **JSON).json()
    assert answer == {"counts": {"agree": 0, "insightful": 0, "disagree": 1}, "mine": "disagree"}
    assert counts(first) == (0, 0, 1)
    answer = tap(browser, first, "disagree", **JSON).json()
    assert answer == {"counts": {"agree": 0, "insightful": 0, "disagree": 0}, "mine": None}
    assert counts(first) == (0, 0, 0)
    assert not Reaction.objects.exists()


def test_one_reaction_per_reader_and_each_reader_counts(thread):
    first = numbered(thread)[1]
    one, other = reader(), reader()  # two browsers behind the same address
    for _ in range(3):
        tap(one, first, "agree", **JSON)
        tap(one, first, "agree", **JSON)
    tap(one, first, "insightful", **JSON)
    tap(other, first, "insightful", **JSON)
    assert counts(first) == (0, 2, 0)
    assert Reaction.objects.count() == 2


def test_an_account_reacts_once_whichever_browser_it_signs_in_from(thread):
    first = numbered(thread)[1]
    user = User.objects.create_user("hanako", password="pw-123456789")
    phone, laptop = reader("198.51.100.7"), reader("203.0.113.5")
    phone.force_login(user)
    laptop.force_login(user)
    tap(phone, first, "agree", **JSON)
    answer = tap(laptop, first, "agree", **JSON).json()
    assert answer["mine"] is None  # the same reader: the tap withdrew the reaction
    assert counts(first) == (0, 0, 0)
    tap(laptop, first, "insightful", **JSON)
    reaction = Reaction.objects.get()
    assert (reaction.user, reaction.poster_key, reaction.kind) == (user, "", "insightful")


def test_a_deleted_account_takes_its_reactions_and_their_counts_with_it(thread):
    first, second = numbered(thread)[1], numbered(thread)[2]
    hanako = User.objects.create_user("hanako", password="pw-123456789")
    jiro = User.objects.create_user("jiro", password="pw-123456789")
    for user, kinds in ((hanako, ("agree", "disagree")), (jiro, ("agree", "agree"))):
        client = reader()
        client.force_login(user)
        tap(client, first, kinds[0], **JSON)
        tap(client, second, kinds[1], **JSON)
    assert (counts(first), counts(second)) == ((2, 0, 0), (1, 0, 1))

    hanako.delete()

    assert (counts(first), counts(second)) == ((1, 0, 0), (1, 0, 0))
    assert set(Reaction.objects.values_list("user__username", flat=True)) == {"jiro"}
    second.refresh_from_db()
    assert second.best_score == pytest.approx(wilson_lower_bound(1, 0))


def test_an_anonymous_reader_is_recognised_by_the_cookie_the_first_tap_sets(thread):
    first = numbered(thread)[1]
    browser = reader()
    response = tap(browser, first, "agree", **JSON)
    assert "forum_poster" in response.cookies
    # The second tap is known as the same reader's: it withdraws the first.
    assert tap(browser, first, "agree", **JSON).json()["mine"] is None
    assert not Reaction.objects.exists()


def test_anonymous_readers_behind_one_address_are_capped_per_comment(thread, settings):
    settings.FORUM_REACTIONS_PER_ADDRESS = 2
    first = numbered(thread)[1]
    for _ in range(2):
        assert tap(reader(), first, "agree", **JSON).status_code == 200
    refused = tap(reader(), first, "agree", **JSON)
    assert refused.status_code == 429
    assert refused.json()["code"] == "address_full"
    assert tap(reader("203.0.113.5"), first, "agree", **JSON).status_code == 200
    assert counts(first) == (3, 0, 0)


# Refusals ---------------------------------------------------------------------------------------


def test_reactions_are_rate_limited_on_their_own_limits(thread, settings):
    settings.FORUM_REACTION_RATE_LIMITS = {"reaction_burst": (3, 3600)}
    comments = numbered(thread)
    browser = reader()
    for number in (1, 2, 3):
        assert tap(browser, comments[number], **JSON).status_code == 200
    refused = tap(browser, comments[4], **JSON)
    assert refused.status_code == 429
    assert refused.json()["error"] == "リアクションが速すぎます。少し待ってください。"
    assert counts(comments[4]) == (0, 0, 0)
    # Posting has limits of its own: the reader may still comment.
    assert reader().get(thread.get_absolute_url()).status_code == 200


def test_a_banned_reader_cannot_react(thread):
    Ban.objects.create(ip_hash=ip_hash("198.51.100.7"), reason="荒らし")
    first = numbered(thread)[1]
    refused = tap(reader(), first, **JSON)
    assert refused.status_code == 403
    assert refused.json()["code"] == "banned"
    assert "リアクション" in refused.json()["error"]
    assert counts(first) == (0, 0, 0)
    assert not Reaction.objects.exists()
    assert tap(reader("203.0.113.5"), first, **JSON).status_code == 200


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("hidden", 403),
        ("removed", 403),
        ("deleted", 403),
        ("held", 404),
        ("under_held", 404),
    ],
)
def test_reactions_to_comments_readers_do_not_see_are_refused(mixed, name, status):
    comment = mixed[name]
    refused = tap(reader(), comment, **JSON)
    assert refused.status_code == status
    assert refused.json()["error"]
    assert counts(comment) == (0, 0, 0)
    assert not Reaction.objects.exists()
    # Without JavaScript: a page that says why, with the same status.
    page = tap(reader(), comment)
    assert page.status_code == status
    assert refused.json()["error"] in page.text


def test_no_reactions_once_comments_are_closed_and_the_counts_still_show(thread):
    first = numbered(thread)[1]
    tap(reader(), first, **JSON)
    thread.comments_open = False
    thread.save()
    refused = tap(reader("203.0.113.5"), first, **JSON)
    assert refused.status_code == 403
    assert refused.json()["code"] == "closed"
    html = reader().get(thread.get_absolute_url()).text
    assert 'class="reaction"' in html
    assert '<button class="reaction"' not in html
    assert '共感した <span class="reaction-count">1</span>' in html


def test_an_unknown_reaction_is_refused_and_changes_nothing(thread):
    first = numbered(thread)[1]
    assert tap(reader(), first, "love", **JSON).status_code == 400
    assert tap(reader(), first, "", **JSON).status_code == 400
    assert reader().get(f"{thread.get_absolute_url()}c/1/react/").status_code == 405
    assert counts(first) == (0, 0, 0)


def test_a_reaction_to_a_comment_removed_meanwhile_is_refused_under_the_lock(thread):
    first = numbered(thread)[1]
    stale = Comment.objects.get_with_article(slug=thread.slug, number=1)
    services.comment_set_status(comment=first, status=Comment.Status.REMOVED, moderator=None)
    with pytest.raises(reacting.Refused) as refused:
        reacting.reaction_toggle(comment=stale, kind="agree", poster=anonymous())
    assert refused.value.status == 403
    assert counts(first) == (0, 0, 0)


# Without JavaScript -----------------------------------------------------------------------------


def test_without_javascript_a_tap_goes_back_to_the_comment_on_the_page_it_came_from(thread):
    browser = reader()
    url = f"{thread.get_absolute_url()}?order=best&page=1"
    html = browser.get(url).text
    assert buttons(html, 3) == {
        "agree": ("false", 0),
        "insightful": ("false", 0),
        "disagree": ("false", 0),
    }
    # Every button submits the page's one form (its CSRF token) to its comment's address.
    assert html.count('id="reaction-form"') == 1
    assert f'formaction="{thread.get_absolute_url()}c/3/react/"' in html
    response = tap(
        browser, numbered(thread)[3], "insightful", HTTP_REFERER=f"http://testserver{url}"
    )
    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{url}#c3"
    html = browser.get(url).text
    assert buttons(html, 3)["insightful"] == ("true", 1)
    # Another reader sees the count, not the pressed button.
    assert reader().get(url).text.count('aria-pressed="true"') == 0
    assert buttons(reader().get(url).text, 3)["insightful"] == ("false", 1)


def test_without_a_referer_a_tap_goes_to_the_comments_own_page(thread):
    response = tap(reader(), numbered(thread)[2], "agree")
    assert response["Location"] == f"{thread.get_absolute_url()}c/2/#c2"
    page = reader().get(response["Location"]).text
    assert buttons(page, 2)["agree"] == ("false", 1)
    assert page.count('id="reaction-form"') == 1
    # The thread above it (#1, context) has its buttons too.
    assert "agree" in buttons(page, 1)


def test_removed_comments_show_no_buttons(mixed, client):
    html = client.get(mixed["public_root"].article.get_absolute_url()).text
    assert buttons(html, mixed["public_root"].number)
    assert not buttons(html, mixed["removed"].number)
    assert "<!--reactions:" not in html


def test_the_article_page_carries_the_form_for_comments_that_arrive_live(article):
    """Comments that arrive while the page is open bring buttons for the page's form, so the
    page has it even where no comment shown had buttons: none yet, or only a tombstone."""
    url = article.get_absolute_url()
    assert reader().get(url).text.count('id="reaction-form"') == 1
    first = services.comment_create(article=article, parent=None, body="消される")
    services.comment_set_status(comment=first, status=Comment.Status.REMOVED, moderator=None)
    page = reader().get(url).text
    assert "<!--reactions:" not in page
    assert 'form="reaction-form"' not in page
    assert page.count('id="reaction-form"') == 1
    services.comment_create(article=article, parent=None, body="新着")
    arrived = reader().get(f"{url}new-comments/?after=1").json()["comments"][0]["html"]
    assert 'form="reaction-form"' in arrived
    assert 'id="reaction-form"' not in arrived
    article.comments_open = False
    article.save(update_fields=["comments_open"])
    assert 'id="reaction-form"' not in reader().get(url).text


def test_the_admin_shows_reaction_counts(moderator_client, thread):
    first = numbered(thread)[1]
    tap(reader(), first, "agree", **JSON)
    tap(reader(), first, "disagree", **JSON)
    listing = moderator_client.get("/admin/articles/comment/").text
    assert '<span class="reaction-counts">共感した 1 · なるほど 0 · うーん 1</span>' in listing
    assert listing.count('class="reaction-counts"') == 1  # not on comments nobody reacted to
    change = moderator_client.get(f"/admin/articles/comment/{first.pk}/change/").text
    assert "評価スコア" in change


# Counts and the cache ---------------------------------------------------------------------------


def test_a_tap_keeps_the_threads_cached_html_and_the_page_shows_the_new_count(thread):
    url = thread.get_absolute_url()
    first = numbered(thread)[1]
    version = first.thread_version
    reader().get(url)  # warm
    tap(reader(), first, "agree", **JSON)
    first.refresh_from_db()
    assert first.thread_version == version
    with CaptureQueriesContext(connection) as queries:
        html = reader().get(url).text
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "body_html" not in read  # every thread from the cache
    assert buttons(html, 1)["agree"] == ("false", 1)


def test_the_article_page_takes_as_few_queries_however_many_threads_have_reactions(
    article, post, django_assert_max_num_queries
):
    browser = reader()
    url = article.get_absolute_url()

    def react_everywhere() -> None:
        for comment in article.comments.all():
            if not comment.reactions.exists():
                assert tap(browser, comment, "agree", **JSON).status_code == 200
                assert tap(reader("203.0.113.5"), comment, "disagree", **JSON).status_code == 200

    def queries(path: str, *, cold: bool, limit: int = 20) -> tuple[int, str]:
        if cold:
            caches[settings.RENDERED_CACHE].clear()
        else:
            browser.get(path)
        with django_assert_max_num_queries(limit) as counted:
            html = browser.get(path).text
        # Read now: the next request clears the connection's query log it counts from.
        return len(counted.captured_queries), html

    root = post(article, "スレ")
    post(article, "返信", parent=root)
    react_everywhere()
    warm, _ = queries(url, cold=False)
    cold, _ = queries(url, cold=True)
    for n in range(30):
        root = post(article, f"スレ{n}")
        post(article, f"返信{n}", parent=root)
    react_everywhere()
    _, html = queries(url, cold=False, limit=warm)
    assert buttons(html, 3)["agree"] == ("true", 1)
    assert buttons(html, 3)["disagree"] == ("false", 1)
    _, html = queries(f"{url}?all=1", cold=True, limit=cold)
    assert buttons(html, 62)["agree"] == ("true", 1)
    assert buttons(html, 62)["disagree"] == ("false", 1)


# At once ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_readers_tapping_at_once_while_replies_come_in_keep_exact_counts(article):
    """Eight readers tap the same two comments at once while a poster replies in their thread:
    the counts are the reactions stored, the score follows them, and the tree stays sound."""
    import threading

    from django.db import close_old_connections, connections

    from articles.tree_checks import find_tree_problems

    root = services.comment_create(article=article, body="スレ")
    reply = services.comment_create(article=article, parent=root, body="返信")
    start = threading.Barrier(9)
    errors: list[str] = []

    def tapper(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(15):
                number = rng.choice([root.number, reply.number])
                comment = Comment.objects.get_with_article(slug=article.slug, number=number)
                kind = rng.choice(["agree", "insightful", "disagree"])
                reacting.reaction_toggle(
                    comment=comment, kind=kind, poster=anonymous(key=f"{seed}")
                )
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    def poster() -> None:
        try:
            start.wait()
            for n in range(15):
                services.comment_create(article=article, parent=reply, body=f"返信{n}")
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tapper, args=(seed,)) for seed in range(8)]
    threads.append(threading.Thread(target=poster))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    close_old_connections()
    assert errors == []
    for comment in (root, reply):
        stored = Counter(Reaction.objects.filter(comment=comment).values_list("kind", flat=True))
        assert counts(comment) == (stored["agree"], stored["insightful"], stored["disagree"])
        assert comment.best_score == pytest.approx(
            wilson_lower_bound(stored["agree"], stored["disagree"])
        )
    assert find_tree_problems() == {}
    assert article.comments.count() == 17


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("before", "first", "second", "after"),
    [
        # A double tap: the second takes the first back.
        ([], "agree", "agree", []),
        # A tap that withdraws, then one that reacts again.
        (["agree"], "agree", "agree", ["agree"]),
        # A tap that withdraws, then one that reacts otherwise, among other readers' reactions.
        (["agree"], "agree", "disagree", ["disagree"]),
    ],
)
def test_a_readers_second_tap_waiting_for_the_first_sees_what_it_wrote(
    article, before, first, second, after
):
    """The second tap waits for the comment's row that the first holds; once it has it, it
    must see the reaction the first one wrote, or it would count from what it saw before."""
    import threading

    from django.db import close_old_connections, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    target = services.comment_create(article=article, body="二度押し")
    for n in range(4):
        reacting.reaction_toggle(
            comment=target, kind="agree", poster=anonymous(f"203.0.113.{n}", key=f"other-{n}")
        )
    for kind in before:
        reacting.reaction_toggle(comment=target, kind=kind, poster=anonymous())
    first_done, errors = threading.Event(), []

    def second_tap() -> None:
        try:
            first_done.wait()
            comment = Comment.objects.get_with_article(slug=article.slug, number=target.number)
            # The same browser from another address (a phone between networks): its rate
            # counters are not the first tap's, whose rows stay locked until it commits.
            browser = anonymous("198.51.100.99")
            reacting.reaction_toggle(comment=comment, kind=second, poster=browser)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    waiting = threading.Thread(target=second_tap)
    waiting.start()
    with transaction.atomic():  # the first tap's lock held until this commits
        comment = Comment.objects.get_with_article(slug=article.slug, number=target.number)
        reacting.reaction_toggle(comment=comment, kind=first, poster=anonymous())
        first_done.set()
        waiting.join(timeout=0.5)  # the second tap is waiting for the row meanwhile
        assert waiting.is_alive()
    waiting.join(timeout=30)
    close_old_connections()
    assert errors == []
    mine = Reaction.objects.filter(comment=target, poster_key=anonymous().key)
    assert list(mine.values_list("kind", flat=True)) == after
    stored = Counter(Reaction.objects.filter(comment=target).values_list("kind", flat=True))
    assert counts(target) == (stored["agree"], stored["insightful"], stored["disagree"])
    assert stored["agree"] == 4 + after.count("agree")


def test_a_tap_takes_a_fixed_number_of_queries(thread, post, django_assert_max_num_queries):
    browser = reader()
    comments = numbered(thread)
    tap(browser, comments[5], "agree", **JSON)  # the browser has its poster cookie from now on
    with django_assert_max_num_queries(20) as first:
        tap(browser, comments[1], "agree", **JSON)
    limit = len(first.captured_queries)  # read now: the next request clears the query log
    root = comments[1]
    for n in range(30):
        post(thread, f"返信{n}", parent=root)
        tap(reader(f"203.0.113.{n + 1}"), root, "agree", **JSON)
    with django_assert_max_num_queries(limit):
        assert tap(browser, root, "disagree", **JSON).json()["counts"]["agree"] == 30


def test_a_comments_page_takes_as_few_queries_however_many_replies_have_reactions(
    thread, post, django_assert_max_num_queries
):
    browser = reader()
    comments = numbered(thread)
    tap(browser, comments[2], "agree", **JSON)
    url = f"{thread.get_absolute_url()}c/1/"
    with django_assert_max_num_queries(20) as small:
        browser.get(url)
    limit = len(small.captured_queries)
    for n in range(20):
        reply = post(thread, f"返信{n}", parent=comments[1])
        tap(browser, reply, "insightful", **JSON)
    with django_assert_max_num_queries(limit):
        html = browser.get(url).text
    assert buttons(html, 2)["agree"] == ("true", 1)
    assert buttons(html, 25)["insightful"] == ("true", 1)
