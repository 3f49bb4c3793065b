"""New comments as they arrive (static/js/live.js): offered while the page is open, inserted on a
click without a reload and without touching a reply being typed; marked since the last visit."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article, Comment

from ..helpers import SEED_NAME
from .helpers import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.FORUM_LIVE_POLL_SECONDS = 1


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


def numbered(article: Article, number: int) -> Comment:
    return Comment.objects.get(article=article, number=number)


def polls(page) -> list[str]:
    """The URLs of the polls the page makes from now on."""
    seen: list[str] = []
    page.on("request", lambda request: "/new-comments/" in request.url and seen.append(request.url))
    return seen


def test_new_comments_are_offered_and_inserted_while_a_reply_is_typed(page, article, post):
    page.goto(article.get_absolute_url())
    expect(page.locator("article.comment")).to_have_count(36)
    replies_of_2 = int(page.locator("#c2 > footer button.toggle").get_attribute("data-count"))
    # The reader opens a reply form under #3 and starts typing.
    page.locator("#c3").get_by_role("link", name="返信", exact=True).click()
    textarea = page.locator("#c3 .reply-form textarea")
    textarea.fill("書きかけの返信です")
    textarea.press("End")

    # Meanwhile others post: a reply to #2, a reply to that, and a new thread.
    reply = post(article, "別の読者の返信", parent=numbered(article, 2))
    post(article, "返信への返信", parent=reply)
    post(article, ">>36 新しいスレッド")
    button = page.get_by_role("button", name="新着コメント 3件")
    expect(button).to_be_visible()
    assert page.locator("#c37").count() == 0  # offered, not yet shown

    page.evaluate(
        "document.addEventListener('forum:comments-added', event => {"
        " window.added = event.detail.comments.map(c => c.id); })"
    )
    button.click()
    expect(button).to_be_hidden()
    # Other scripts hear of what was added (mute lists, poster IDs...).
    assert page.evaluate("window.added") == ["c37", "c38", "c39"]
    expect(page.locator("#r2 > li > #c37")).to_contain_text("別の読者の返信")
    expect(page.locator("#r37 > li > #c38")).to_contain_text("返信への返信")
    # Their parents' toggles count them: #2 two more, #37 a toggle of its own that works.
    toggle_2 = page.locator("#c2 > footer button.toggle")
    expect(toggle_2).to_have_attribute("data-count", str(replies_of_2 + 2))
    expect(toggle_2.locator(".when-open")).to_have_text(f"返信{replies_of_2 + 2}件を隠す")
    toggle_37 = page.locator("#c37 > footer button.toggle")
    expect(toggle_37.locator(".when-open")).to_have_text("返信1件を隠す")
    expect(toggle_37.locator(".when-open")).to_be_visible()
    toggle_37.click()
    expect(page.locator("#r37")).to_be_hidden()
    expect(toggle_37.locator(".when-closed")).to_have_text("隠れた返信1件を表示")
    expect(toggle_37.locator(".when-closed")).to_be_visible()
    toggle_37.click()
    expect(page.locator("#c38")).to_be_visible()
    # A new thread comes last in the default order (oldest first).
    expect(page.locator("ol.comment-tree > li").last.locator("> article")).to_have_id("c39")
    for number in (37, 38, 39):
        expect(page.locator(f"#c{number}")).to_have_class("comment is-new")
        expect(page.locator(f"#c{number} .new-badge")).to_have_text("新着")
    expect(page.locator(".live-status")).to_have_text("新着コメント3件を表示しました")
    # #36 lists its new answer among its replies, as a reload would show it.
    expect(page.locator("#c36 > .backlinks")).to_have_text("返信: >>39")
    # The reply being typed is still there, in its form, with its text.
    expect(textarea).to_have_value("書きかけの返信です")
    assert page.evaluate("location.href").endswith(article.get_absolute_url())  # no reload
    # An inserted comment works as the others: its reply link opens a form in place.
    page.locator("#c39").get_by_role("link", name="返信", exact=True).click()
    expect(page.locator("#c39 .reply-form textarea")).to_be_focused()
    expect(textarea).to_have_value("書きかけの返信です")


def test_held_and_hidden_comments_are_never_offered(page, article, post):
    from articles import services

    page.goto(article.get_absolute_url())
    held = post(article, "承認待ちのコメント")
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    hidden = post(article, "非表示のコメント")
    services.comment_set_status(comment=hidden, status=Comment.Status.HIDDEN, moderator=None)
    post(article, "公開のコメント")
    button = page.get_by_role("button", name="新着コメント 1件")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#c39")).to_contain_text("公開のコメント")
    expect(page.locator("#c37")).to_have_count(0)
    expect(page.locator("#c38")).to_have_count(0)


def test_a_comment_approved_or_shown_again_after_the_page_loaded_is_offered(page, article, post):
    from articles import services

    held = post(article, "承認待ちのコメント")  # 37
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    hidden = numbered(article, 5)
    services.comment_set_status(comment=hidden, status=Comment.Status.HIDDEN, moderator=None)
    page.goto(article.get_absolute_url())
    expect(page.locator("#c5.is-gone")).to_have_count(1)  # a tombstone
    post(article, "公開のコメント")  # 38
    page.get_by_role("button", name="新着コメント 1件").click()
    expect(page.locator("#c38")).to_contain_text("公開のコメント")

    # No comment is posted after these: the page learns of them all the same.
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    services.comment_set_status(comment=hidden, status=Comment.Status.PUBLISHED, moderator=None)
    button = page.get_by_role("button", name="新着コメント 2件")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#c37")).to_contain_text("承認待ちのコメント")
    # The comment shown again takes its tombstone's place, once.
    expect(page.locator("#c5")).to_have_count(1)
    expect(page.locator("#c5")).not_to_have_class("comment is-gone")
    expect(page.locator("#c5 .comment-body")).to_have_count(1)


def test_a_held_reply_approved_is_not_counted_twice_by_its_parents_toggle(page, article, post):
    from articles import services

    held = post(article, "承認待ちの返信", parent=numbered(article, 2))  # 37
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    page.goto(article.get_absolute_url())
    toggle = page.locator("#c2 > footer button.toggle")
    counted = toggle.get_attribute("data-count")  # the held reply among them, as on a reload
    services.comment_set_status(comment=held, status=Comment.Status.PUBLISHED, moderator=None)
    page.get_by_role("button", name="新着コメント 1件").click()
    expect(page.locator("#r2 > li > #c37")).to_contain_text("承認待ちの返信")
    expect(toggle).to_have_attribute("data-count", counted)
    page.reload()
    expect(toggle).to_have_attribute("data-count", counted)


def test_comments_posted_since_the_last_visit_are_marked(page, article, post):
    page.goto(article.get_absolute_url())
    expect(page.locator("article.comment.is-new")).to_have_count(0)  # a first visit: none
    page.close()
    post(article, "留守中のコメント")
    post(article, "留守中の返信", parent=numbered(article, 1))

    again = page.context.new_page()
    again.goto(article.get_absolute_url())
    expect(again.locator("article.comment.is-new")).to_have_count(2)
    expect(again.locator("#c37 .new-badge")).to_have_text("新着")
    expect(again.locator("#c38")).to_have_class("comment is-new")
    expect(again.locator("#c36")).not_to_have_class("comment is-new")
    stored = again.evaluate(f"localStorage.getItem('forum:last-seen:{article.pk}')")
    assert stored == "38"
    # The reader's own comment, where posting lands them, is no news to them.
    form = again.locator("#comment-form")
    form.get_by_label("コメント", exact=True).fill("自分のコメント")
    form.get_by_role("button", name="投稿する").click()
    again.wait_for_url("**?new=39#c39")
    expect(again.locator("#c39")).not_to_have_class("comment is-new")
    expect(again.locator("article.comment.is-new")).to_have_count(0)
    # Seen now: the next visit marks nothing.
    again.goto(article.get_absolute_url())
    expect(again.locator("article.comment")).to_have_count(39)
    expect(again.locator("article.comment.is-new")).to_have_count(0)


def test_a_new_thread_for_another_page_is_linked(page, article, post):
    for number in range(20):  # the seed's threads and these fill more than one page
        post(article, f"スレッド{number}")
    page.goto(article.get_absolute_url())
    expect(page.locator(".pagination")).to_be_visible()
    post(article, "次のページに載るスレッド")
    post(article, "一ページ目のスレッドへの返信", parent=numbered(article, 1))
    button = page.get_by_role("button", name="新着コメント 2件")
    button.click()
    link = page.locator(".live-elsewhere a")
    expect(link).to_have_text(">>57")
    assert link.get_attribute("href") == f"{article.get_absolute_url()}c/57/"
    expect(page.locator("#c58")).to_contain_text("一ページ目のスレッドへの返信")


def test_newest_first_puts_a_new_thread_on_top(page, article, post):
    page.goto(article.get_absolute_url() + "?order=newest")
    post(article, "最新のスレッド")
    page.get_by_role("button", name="新着コメント 1件").click()
    expect(page.locator("ol.comment-tree > li").first.locator("> article")).to_have_id("c37")


def test_polls_are_conditional_and_stop_while_the_tab_is_hidden(page, article, post):
    answers: list[int] = []
    page.on("response", lambda r: "/new-comments/" in r.url and answers.append(r.status))
    requested = polls(page)
    page.goto(article.get_absolute_url())
    page.wait_for_timeout(3500)
    assert len(answers) >= 2
    assert answers[0] == 200
    assert set(answers[1:]) == {304}  # nothing new: not modified

    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    page.wait_for_timeout(300)
    before = len(requested)
    page.wait_for_timeout(3000)
    assert len(requested) == before  # hidden: no polls

    post(article, "戻ってきたら見える")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    expect(page.get_by_role("button", name="新着コメント 1件")).to_be_visible(timeout=2000)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_offer_and_the_new_marks_are_accessible(
    browser, live_server, article, post, viewport, screenshots
):
    from .test_accessibility import AXE, serious_violations

    # As test_accessibility opens pages: axe is injected, which the page's CSP would refuse.
    context = browser.new_context(
        viewport=viewport, locale="ja-JP", base_url=live_server.url, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(article.get_absolute_url())
    page.close()
    post(article, "留守中のコメント")
    page = context.new_page()
    page.goto(article.get_absolute_url() + "#c30")
    expect(page.locator("#c37.is-new")).to_be_visible()
    post(article, "開いている間のコメント", parent=numbered(article, 30))
    button = page.get_by_role("button", name="新着コメント 1件")
    expect(button).to_be_visible()
    name = "desktop" if viewport is DESKTOP else "phone"
    page.screenshot(path=screenshots / f"live-offer-{name}.png")
    assert serious_violations(page, AXE.read_text(encoding="utf-8")) == []
    button.click()
    expect(page.locator("#c38.is-new")).to_be_visible()
    page.screenshot(path=screenshots / f"live-inserted-{name}.png")
    assert serious_violations(page, AXE.read_text(encoding="utf-8")) == []
    context.close()
