"""A reader in headless Chromium: read the seed article, post, reply, quote, collapse, follow links.

Screenshots of the article page (desktop and phone) are kept in test-output/screenshots/.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article, Comment

from ..helpers import SEED_NAME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


def comment(page, number: int):
    return page.locator(f"#c{number}")


def test_reader_opens_the_article_and_posts_a_comment(page, article, screenshots):
    page.goto(article.get_absolute_url())
    expect(page.locator("h1")).to_contain_text("露防衛産業の弱体化")
    expect(page.locator("figcaption").first).to_contain_text("Mos.ru / CC BY 4.0 (スプートニクV)")
    expect(page.locator("article.comment")).to_have_count(36)
    page.screenshot(path=screenshots / "article-desktop.png", full_page=True)

    form = page.locator("#comment-form")
    form.get_by_label("名前").fill("軍事太郎")
    form.get_by_label("コメント", exact=True).fill("インドの独自路線は今後も続くだろう")
    form.get_by_role("button", name="投稿する").click()
    page.wait_for_url("**?new=37#c37")
    new = comment(page, 37)
    expect(new).to_have_class("comment")
    # Highlighted as the target of #c37 (.comment:target; the fade-out cancelled to read it).
    highlight = new.evaluate(
        "element => { element.getAnimations().forEach(a => a.cancel());"
        " return getComputedStyle(element).backgroundColor; }"
    )
    assert highlight == "rgb(255, 241, 184)"  # --highlight
    assert comment(page, 36).evaluate("e => getComputedStyle(e).backgroundColor") != highlight
    expect(new).to_contain_text("軍事太郎")
    expect(new).to_contain_text("インドの独自路線は今後も続くだろう")
    assert Comment.objects.get(number=37).parent is None


def test_reader_replies_to_a_reply_three_levels_deep(page, article):
    page.goto(article.get_absolute_url())
    third = comment(page, 3)  # #1 > #2 > #3
    third.get_by_role("link", name="返信", exact=True).click()
    form = page.locator("#c3 ~ .reply-form, #c3 .reply-form").first
    textarea = form.locator("textarea")
    expect(textarea).to_be_focused()
    textarea.fill("三階層目への返信")
    form.get_by_role("button", name="投稿する").click()
    page.wait_for_url("**#c37")
    reply = Comment.objects.get(number=37)
    assert (reply.parent.number, reply.level) == (3, 3)
    expect(comment(page, 37)).to_have_attribute("aria-label", "第3階層・#3への返信")
    # The new reply sits inside #3's list of replies.
    expect(page.locator("#r3 #c37")).to_be_visible()


def test_a_reply_posted_while_reading_newest_first_lands_in_that_order(page, article):
    page.goto(f"{article.get_absolute_url()}?order=newest")
    third = comment(page, 3)
    third.get_by_role("link", name="返信", exact=True).click()
    form = page.locator("#c3 ~ .reply-form, #c3 .reply-form").first
    form.locator("textarea").fill("新しい順で読みながらの返信")
    form.get_by_role("button", name="投稿する").click()
    page.wait_for_url("**?order=newest&new=37#c37")
    expect(page.locator('.thread-order [aria-current="true"]')).to_have_text("新しい順")
    expect(comment(page, 37)).to_be_visible()


def test_a_reply_form_is_cancelled_beside_its_post_button(page, article):
    page.goto(article.get_absolute_url())
    third = comment(page, 3)
    third.get_by_role("link", name="返信", exact=True).click()
    form = page.locator("#c3 .reply-form")
    post = form.get_by_role("button", name="投稿する").bounding_box()
    cancel = form.get_by_role("button", name="キャンセル")
    assert abs(cancel.bounding_box()["y"] - post["y"]) < 4  # on the same row
    cancel.click()
    expect(form).to_have_count(0)
    expect(third.get_by_role("link", name="返信", exact=True)).to_be_focused()


def test_quote_fills_the_reply_box_with_the_quoted_lines(page, article):
    page.goto(article.get_absolute_url())
    comment(page, 3).get_by_role("link", name="引用").click()
    textarea = page.locator(".reply-form textarea")
    expect(textarea).to_have_value(
        ">違うね\n>印パ戦争で西側諸国から制裁受けたからだね\n"
        ">パキスタンと共に制裁を受けたので、インドはロシア、パキスタンは中国に接近した流れ\n"
    )


def test_ctrl_enter_posts_but_enter_while_composing_does_not(page, article):
    page.goto(article.get_absolute_url())
    name = page.locator("#comment-form input[name=author_name]")
    name.fill("名前")
    # An IME composition ending with Enter (keyCode 229) must not submit the form.
    name.dispatch_event("keydown", {"key": "Enter", "keyCode": 229, "isComposing": True})
    page.wait_for_timeout(300)
    assert not Comment.objects.filter(number=37).exists()
    textarea = page.locator("#comment-form textarea")
    textarea.fill("Ctrl+Enterで投稿")
    textarea.press("Control+Enter")
    page.wait_for_url("**#c37")
    assert Comment.objects.get(number=37).body == "Ctrl+Enterで投稿"


def test_reader_collapses_and_expands_a_thread(page, article):
    page.goto(article.get_absolute_url())
    toggle = comment(page, 1).locator("button.toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(comment(page, 3)).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("隠れた返信2件を表示")
    expect(comment(page, 2)).to_be_hidden()
    expect(comment(page, 3)).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(comment(page, 3)).to_be_visible()


def test_reader_previews_and_follows_a_reply_link_and_a_permalink(page, article, post):
    post(article, ">>9 CAATSAの件、同感です")
    page.goto(article.get_absolute_url())
    link = comment(page, 37).locator("a.reply-ref")
    link.hover()
    preview = page.get_by_role("tooltip")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("CAATSAを改正して")
    # The quoted comment lists its reply as a back-link.
    expect(comment(page, 9).locator(".backlinks a")).to_have_text(">>37")
    link.click()
    page.wait_for_url("**/c/9/")
    expect(page.locator("article.comment").first).to_contain_text("CAATSAを改正して")
    expect(comment(page, 10)).to_be_visible()  # its replies come along
    comment(page, 10).get_by_role("link", name="固定リンク").click()
    page.wait_for_url("**/c/10/")
    page.get_by_role("link", name="親コメントへ").click()
    page.wait_for_url("**/c/9/#c9")


def test_an_error_keeps_the_readers_text(page, article):
    Comment.objects.filter(number=3).update(status=Comment.Status.REMOVED)
    page.goto(f"{article.get_absolute_url()}c/3/reply/")
    page.locator("textarea").fill("消される前に書いた返信")
    page.get_by_role("button", name="投稿する").click()
    expect(page.get_by_role("alert").first).to_contain_text("返信先のコメントは削除されたため")
    expect(page.locator("textarea")).to_have_value("消される前に書いた返信")


def test_preview_shows_the_comment_as_it_will_look(page, article):
    page.goto(article.get_absolute_url())
    page.locator("#comment-form textarea").fill(">引用です\n本文 >>1")
    page.locator("#comment-form").get_by_role("button", name="プレビュー").click()
    preview = page.locator(".preview .comment-body")
    expect(preview.locator(".quote")).to_have_text(">引用です")
    expect(preview.locator("a.reply-ref")).to_have_text(">>1")
    expect(page.locator("#comment-form textarea")).to_have_value(">引用です\n本文 >>1")
    assert not Comment.objects.filter(number=37).exists()


def test_phone_width_reading_and_replying(phone_page, article, screenshots, post):
    parent = Comment.objects.get(number=3)
    for n in range(6):
        parent = post(article, f"深い返信{n} https://example.com/{'x' * 80}", parent=parent)
    page = phone_page
    page.goto(article.get_absolute_url())
    page.screenshot(path=screenshots / "article-phone.png", full_page=True)
    # Nothing is pushed off the side of a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    deepest = page.locator("article.comment").filter(has_text="深い返信2")
    box = deepest.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    expect(page.get_by_role("link", name="このスレッドの続き")).to_be_visible()
    comment(page, 3).get_by_role("link", name="返信", exact=True).click()
    page.locator(".reply-form textarea").fill("スマホから返信")
    page.locator(".reply-form").get_by_role("button", name="投稿する").click()
    page.wait_for_url("**#c43")
    assert Comment.objects.get(number=43).parent.number == 3


def test_quote_takes_only_the_selected_words(page, article):
    page.goto(article.get_absolute_url())
    page.evaluate(
        """() => {
            const body = document.querySelector('#c3 .comment-body');
            const text = [...body.childNodes].find(n => n.textContent.includes('印パ戦争'));
            const range = document.createRange();
            const start = text.textContent.indexOf('印パ戦争');
            range.setStart(text, start);
            range.setEnd(text, start + 4);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    comment(page, 3).get_by_role("link", name="引用").click()
    expect(page.locator(".reply-form textarea")).to_have_value(">印パ戦争\n")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_edited_comment_and_a_staff_comment_are_marked(
    browser, live_server, article, screenshots, size
):
    from django.contrib.auth import get_user_model

    from articles import services

    from .helpers import DESKTOP, PHONE, new_page

    staff = get_user_model().objects.create_user("管理人", is_staff=True)
    services.comment_create(
        article=article, body="お知らせです", author_name="管理人", user=staff, by_staff=True
    )
    page = new_page(browser, live_server, viewport=DESKTOP if size == "desktop" else PHONE)
    try:
        page.goto(article.get_absolute_url())
        form = page.locator("#comment-form")
        form.get_by_label("コメント", exact=True).fill("誤字あり")
        form.get_by_role("button", name="投稿する").click()
        page.wait_for_url("**#c38")
        comment(page, 38).get_by_role("link", name="編集", exact=True).click()
        page.get_by_label("コメント", exact=True).fill("誤字なし")
        page.get_by_role("button", name="投稿する").click()
        page.wait_for_url("**#c38")
        edited = comment(page, 38)
        expect(edited.locator(".edited")).to_contain_text("編集済み")
        expect(edited).to_contain_text("誤字なし")
        badge = comment(page, 37).locator(".staff-badge")
        expect(badge).to_have_text("スタッフ")
        expect(comment(page, 38).locator(".staff-badge")).to_have_count(0)
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for header in (comment(page, 37), comment(page, 38)):
            box = header.locator(".comment-header").bounding_box()
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= width
        comment(page, 38).screenshot(path=screenshots / f"edited-comment-{size}.png")
    finally:
        page.context.close()
