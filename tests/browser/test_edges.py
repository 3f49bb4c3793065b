"""Rough edges a reader meets in the browser: >>N previews on phones, error pages, focus."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article

from ..helpers import SEED_NAME
from .helpers import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


@pytest.fixture
def touch_page(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, locale="ja-JP", base_url=live_server.url, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_on_a_phone_a_tap_opens_the_reply_preview_and_a_second_follows_it(
    touch_page, article, post
):
    post(article, ">>9 CAATSAの件、同感です")
    page = touch_page
    url = article.get_absolute_url()
    page.goto(url)
    link = page.locator("#c37 a.reply-ref")
    link.tap()
    preview = page.get_by_role("tooltip")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("CAATSAを改正して")
    assert page.url.endswith(url)
    # A tap elsewhere closes it.
    page.locator("h1").tap()
    expect(preview).to_be_hidden()
    link.tap()
    expect(preview).to_be_visible()
    link.tap()
    page.wait_for_url("**/c/9/")


def test_after_posting_focus_and_an_announcement_go_to_the_new_comment(page, article):
    page.goto(article.get_absolute_url())
    form = page.locator("#comment-form")
    expect(form.locator(".hint")).to_be_visible()  # JavaScript runs: its shortcut is named
    form.get_by_label("コメント", exact=True).fill("フォーカスの確認")
    form.get_by_role("button", name="投稿する").click()
    page.wait_for_url("**?new=37#c37")
    expect(page.locator("#c37")).to_be_focused()
    expect(page.locator("#new-comment-status")).to_have_text(
        "コメント #37 を保存しました。ここに表示されています。"
    )


def test_on_a_closed_article_no_comment_offers_a_reply(page, article):
    Article.objects.filter(pk=article.pk).update(comments_open=False)
    page.goto(article.get_absolute_url())
    expect(page.locator(".closed")).to_have_text("この記事へのコメントは締め切られました。")
    first = page.locator("#c1")
    expect(first.get_by_role("link", name="返信", exact=True)).to_be_hidden()
    expect(first.get_by_role("link", name="引用", exact=True)).to_be_hidden()
    expect(first.get_by_role("link", name="固定リンク", exact=True)).to_be_visible()
    page.goto(f"{article.get_absolute_url()}c/1/")
    expect(page.locator("#c1").get_by_role("link", name="返信", exact=True)).to_be_hidden()


def test_without_javascript_the_ctrl_enter_hint_is_not_shown(browser, live_server, article):
    context = browser.new_context(
        locale="ja-JP", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(article.get_absolute_url())
    expect(page.locator("#comment-form .hint")).to_be_hidden()
    context.close()


@pytest.mark.parametrize("width", [1280, 1024])
def test_moderators_comment_list_shows_the_comment_text_without_scrolling_sideways(
    browser, live_server, article, moderator, screenshots, width
):
    from articles.models import Comment

    Comment.objects.filter(number=36).update(body="モデレーターが読むべき本文です。" * 20)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="ja-JP", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/admin/login/")
    page.get_by_label("ユーザー名").fill("moderator")
    page.get_by_label("パスワード").fill("mod-password-123")
    page.get_by_role("button", name="ログイン").click()
    page.goto("/admin/articles/comment/")
    page.screenshot(path=screenshots / f"admin-comments-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Nor inside the list: the table fits the box that would scroll it.
    assert page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    first = page.locator("#result_list tbody tr").first
    # Newest first: #36 leads, its text visible in full width of the screen.
    expect(first.locator(".field-comment_text")).to_contain_text("#36")
    text = first.locator(".comment-excerpt")
    expect(text).to_contain_text("モデレーターが読むべき本文です。")
    box = text.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert box["width"] >= 300
    article_cell = first.locator("td.field-short_article").bounding_box()
    assert article_cell["width"] < 250
    context.close()


def test_a_moderator_hides_a_comment_from_its_change_page_and_is_told(
    browser, live_server, article, moderator
):
    from articles.models import Comment

    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    page = context.new_page()
    page.goto("/admin/login/")
    page.get_by_label("ユーザー名").fill("moderator")
    page.get_by_label("パスワード").fill("mod-password-123")
    page.get_by_role("button", name="ログイン").click()
    comment = Comment.objects.get(number=3)
    page.goto(f"/admin/articles/comment/{comment.pk}/change/")
    actions = page.locator("form.moderation-actions")
    # Below the comment's form at the page's width, not squeezed into a strip beside it.
    main = page.locator("#content-main").bounding_box()
    panel = actions.bounding_box()
    assert panel["y"] >= main["y"] + main["height"]
    assert panel["width"] > main["width"] * 0.9
    actions.get_by_label("理由").fill("ページから")
    actions.locator('button[value="hide"]').click()
    page.wait_for_url(f"**/admin/articles/comment/{comment.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("1件のコメント")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HIDDEN
    context.close()
