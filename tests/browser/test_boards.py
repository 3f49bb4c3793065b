"""Boards in the browser: a click on a daily ID highlights the poster's comments; the mute lists
(NG) fold comments by word and by ID, keep doing so after a reload, and let them go again."""

import pytest
from playwright.sync_api import expect

from articles import services
from articles.abuse.addresses import ip_hash
from articles.models import Article

from .test_accessibility import AXE, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(db) -> Article:
    """Taro starts a thread, Hanako answers, Taro answers her, and Hanako starts another."""
    article = Article.objects.create(title="掲示板の記事", slug="boards", lead="リード")
    taro, hanako = ip_hash("198.51.100.7"), ip_hash("198.51.100.8")
    first = services.comment_create(article=article, body="スレを立てました", ip_hash=taro)
    answer = services.comment_create(
        article=article, parent=first, body="ネギは嫌いです", ip_hash=hanako
    )
    services.comment_create(article=article, parent=answer, body="そうですか", ip_hash=taro)
    services.comment_create(article=article, body="別の話題です", ip_hash=hanako)
    return article


def comment(page, number: int):
    return page.locator(f"#c{number}")


def test_a_click_on_an_id_highlights_the_posters_comments_and_counts_them(page, article):
    taro = article.comments.get(number=1).daily_id
    page.goto(article.get_absolute_url())
    comment(page, 1).get_by_role("button", name=f"ID:{taro}").click()
    for number in (1, 3):
        expect(comment(page, number)).to_have_class("comment is-same-poster")
    for number in (2, 4):
        expect(comment(page, number)).to_have_class("comment")
    count = page.locator(".poster-count")
    expect(count).to_have_text(f"ID:{taro} のこのページでのコメントは2件です")
    # Taro's answer in his own thread carries the starter's mark; Hanako's does not.
    expect(comment(page, 3).locator(".starter-mark")).to_have_text("スレ主")
    expect(comment(page, 2).locator(".starter-mark")).to_have_count(0)
    # A second click lets go.
    comment(page, 3).get_by_role("button", name=f"ID:{taro}").click()
    expect(page.locator(".is-same-poster")).to_have_count(0)
    expect(page.locator(".poster-count")).to_have_count(0)


def test_without_javascript_the_id_is_plain_text(browser, live_server, article):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto(article.get_absolute_url())
    expect(page.locator("span.poster-id")).to_have_count(4)
    expect(page.locator("button.poster-id")).to_have_count(0)
    expect(page.locator("#mute-panel")).to_be_hidden()
    expect(page.locator(".mute-open")).to_be_hidden()
    context.close()


def open_mute_list(page):
    page.get_by_role("button", name="NGリスト").click()
    return page.locator("#mute-panel")


def test_mute_by_word_folds_the_comment_keeps_its_replies_and_lets_go(page, article):
    page.goto(article.get_absolute_url())
    panel = open_mute_list(page)
    expect(panel.get_by_text("NG指定はありません。")).to_be_visible()
    panel.get_by_label("NGの種類").select_option("word")
    panel.get_by_label("ワード・ID・名前").fill("ねぎ")
    panel.get_by_role("button", name="追加").click()
    expect(page.locator(".is-muted")).to_have_count(0)  # hiragana is another word
    # Half-width katakana is the same word (compared NFKC, as the site compares names).
    panel.get_by_label("ワード・ID・名前").fill("ﾈｷﾞ")
    panel.get_by_role("button", name="追加").click()

    muted = comment(page, 2)
    expect(muted).to_have_class("comment is-muted")
    expect(muted.locator(".muted-line")).to_contain_text("NG指定したコメントです(ワード)。")
    expect(muted.locator(".comment-body")).to_be_hidden()
    # Its reply stays, as does every other comment.
    expect(comment(page, 3).locator(".comment-body")).to_be_visible()
    expect(comment(page, 1).locator(".comment-body")).to_be_visible()
    # One click opens it, another folds it again.
    muted.get_by_role("button", name="表示する").click()
    expect(muted.locator(".comment-body")).to_have_text("ネギは嫌いです")
    muted.get_by_role("button", name="また隠す").click()
    expect(muted.locator(".comment-body")).to_be_hidden()

    # Kept in this browser: still muted after a reload, and listed.
    page.reload()
    expect(comment(page, 2)).to_have_class("comment is-muted")
    panel = open_mute_list(page)
    entries = panel.locator(".mute-entry")
    expect(entries).to_have_count(2)
    panel.get_by_role("button", name="外す ワード: ﾈｷﾞ").click()
    expect(entries).to_have_count(1)
    expect(comment(page, 2)).to_have_class("comment")
    expect(comment(page, 2).locator(".comment-body")).to_be_visible()
    expect(comment(page, 2).locator(".muted-line")).to_have_count(0)


def test_mute_by_id_from_the_highlight_and_clear_all(page, article):
    hanako = article.comments.get(number=2).daily_id
    page.goto(article.get_absolute_url())
    comment(page, 2).get_by_role("button", name=f"ID:{hanako}").click()
    page.get_by_role("button", name="このIDをNGにする").click()
    for number in (2, 4):
        expect(comment(page, number)).to_have_class("comment is-muted")
        expect(comment(page, number).locator(".muted-line")).to_contain_text("(ID)")
    expect(comment(page, 1)).to_have_class("comment")
    expect(comment(page, 3)).to_have_class("comment")

    panel = open_mute_list(page)
    expect(panel.locator(".mute-entry")).to_have_text([f"ID: {hanako} 外す"])
    panel.get_by_role("button", name="すべて消去").click()
    expect(page.locator(".is-muted")).to_have_count(0)
    expect(panel.get_by_text("NG指定はありません。")).to_be_visible()
    # And typed in the panel, with the "ID:" readers copy along.
    panel.get_by_label("NGの種類").select_option("id")
    panel.get_by_label("ワード・ID・名前").fill(f"ID:{hanako}")
    panel.get_by_role("button", name="追加").click()
    expect(page.locator(".is-muted")).to_have_count(2)


def test_nothing_muted_is_sent_to_the_site(page, article):
    sent = []
    page.on("request", lambda request: sent.append(request.url))
    page.goto(article.get_absolute_url(), wait_until="networkidle")  # the site icon included
    before = len(sent)
    panel = open_mute_list(page)
    panel.get_by_label("ワード・ID・名前").fill("話題")
    panel.get_by_role("button", name="追加").click()
    expect(comment(page, 4)).to_have_class("comment is-muted")
    assert sent[before:] == []


def test_the_boards_controls_pass_axe(browser, live_server, article):
    context = browser.new_context(locale="ja-JP", base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.goto(article.get_absolute_url())
    taro = article.comments.get(number=1).daily_id
    comment(page, 1).get_by_role("button", name=f"ID:{taro}").click()
    panel = open_mute_list(page)
    panel.get_by_label("ワード・ID・名前").fill("話題")
    panel.get_by_role("button", name="追加").click()
    expect(comment(page, 4)).to_have_class("comment is-muted")
    assert serious_violations(page, AXE.read_text(encoding="utf-8")) == []
    context.close()
