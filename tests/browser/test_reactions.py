"""A reader reacts to comments in headless Chromium, with JavaScript and without."""

import pytest
from playwright.sync_api import expect

from articles import services
from articles.models import Article, Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(db) -> Article:
    article = Article.objects.create(title="リアクションの記事", slug="reactions", lead="リード")
    first = services.comment_create(article=article, parent=None, body="最初のコメント")
    services.comment_create(article=article, parent=first, body="返信です")
    services.comment_create(article=article, parent=None, body="二つ目のスレッド")
    return article


def agree_count(number: int) -> int:
    return Comment.objects.get(number=number).agree_count


def test_with_javascript_a_tap_reacts_in_place_and_a_second_tap_withdraws(page, article):
    page.goto(article.get_absolute_url() + "?order=newest")
    agree = page.locator("#c2").get_by_role("button", name="共感した")
    expect(agree).to_have_attribute("aria-pressed", "false")
    # A reply being typed survives: the page is not reloaded.
    page.locator("#comment-form textarea").fill("書きかけのコメント")
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(agree.locator(".reaction-count")).to_have_text("1")
    assert agree_count(2) == 1
    assert page.url.endswith("?order=newest")
    expect(page.locator("#comment-form textarea")).to_have_value("書きかけのコメント")
    disagree = page.locator("#c2").get_by_role("button", name="うーん")
    disagree.click()
    expect(disagree).to_have_attribute("aria-pressed", "true")
    expect(agree).to_have_attribute("aria-pressed", "false")
    expect(agree.locator(".reaction-count")).to_have_text("0")
    disagree.click()
    expect(disagree).to_have_attribute("aria-pressed", "false")
    expect(disagree.locator(".reaction-count")).to_have_text("0")
    assert Comment.objects.get(number=2).disagree_count == 0
    # Known again after a reload: the browser keeps its poster id.
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("#c2").get_by_role("button", name="共感した")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_with_javascript_a_refusal_is_said_next_to_the_buttons(page, article):
    page.goto(article.get_absolute_url())
    first = Comment.objects.get(number=1)
    services.comment_set_status(comment=first, status=Comment.Status.REMOVED, moderator=None)
    page.locator("#c1").get_by_role("button", name="なるほど").click()
    expect(page.locator("#c1 .reaction-error")).to_have_text(
        "このコメントは削除されたため、リアクションできません。"
    )
    assert Comment.objects.get(number=1).insightful_count == 0


def test_without_javascript_a_tap_reloads_the_page_at_the_comment(browser, live_server, article):
    context = browser.new_context(
        locale="ja-JP", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(article.get_absolute_url() + "?order=newest")
    page.locator("#c3").get_by_role("button", name="なるほど").click()
    page.wait_for_url("**?order=newest#c3")
    insightful = page.locator("#c3").get_by_role("button", name="なるほど")
    expect(insightful).to_have_attribute("aria-pressed", "true")
    expect(insightful.locator(".reaction-count")).to_have_text("1")
    insightful.click()
    page.wait_for_url("**?order=newest#c3")
    expect(page.locator("#c3").get_by_role("button", name="なるほど")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert Comment.objects.get(number=3).insightful_count == 0
    context.close()


def test_a_comment_that_arrives_live_on_an_empty_page_can_be_reacted_to(page, settings):
    settings.FORUM_LIVE_POLL_SECONDS = 1
    empty = Article.objects.create(title="まだ空の記事", slug="empty", lead="リード")
    page.goto(empty.get_absolute_url())
    services.comment_create(article=empty, parent=None, body="一番乗り")
    page.get_by_role("button", name="新着コメント 1件").click()
    agree = page.locator("#c1").get_by_role("button", name="共感した")
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(agree.locator(".reaction-count")).to_have_text("1")
    assert Comment.objects.get(article=empty, number=1).agree_count == 1
