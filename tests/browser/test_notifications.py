"""Two accounts in headless Chromium: one replies to the other's comment, whose count goes up."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from articles import services
from articles.models import Article, Comment

from .helpers import new_page
from .test_accessibility import axe_source, open_page, serious_violations  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def article(db) -> Article:
    return Article.objects.create(title="通知の記事", slug="notify-article", lead="リード")


@pytest.fixture
def hanako(db):
    return get_user_model().objects.create_user("hanako", password=PASSWORD)


@pytest.fixture
def taro(db):
    return get_user_model().objects.create_user("taro", password=PASSWORD)


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.account-form button[type=submit]").click()
    expect(page.locator(".site-nav .account")).to_have_text(username)


def test_a_reply_raises_the_other_accounts_count(
    browser, live_server, article, hanako, taro, screenshots
):
    services.comment_create(
        article=article, body="花子の意見です", user=hanako, author_name="hanako"
    )

    hanakos = new_page(browser, live_server)
    log_in(hanakos, "hanako")
    hanakos.goto(article.get_absolute_url())
    expect(hanakos.locator(".notifications-link")).to_have_text("通知")

    taros = new_page(browser, live_server)
    log_in(taros, "taro")
    taros.goto(article.get_absolute_url())
    taros.locator("#c1").get_by_role("link", name="返信", exact=True).click()
    form = taros.locator("#c1 ~ .reply-form, #c1 .reply-form").first
    form.locator("textarea").fill("太郎から花子への返信")
    form.get_by_role("button", name="投稿する").click()
    taros.wait_for_url("**#c2")
    assert Comment.objects.get(number=2).user == taro
    # Their own reply gives the replier nothing to read.
    expect(taros.locator(".unread-count")).to_have_count(0)

    hanakos.reload()
    expect(hanakos.locator(".notifications-link .unread-count")).to_have_text("1")
    hanakos.locator(".notifications-link").click()
    expect(hanakos.locator(".notification.unread")).to_contain_text("太郎から花子への返信")
    expect(hanakos.locator(".notification.unread")).to_contain_text("通知の記事")
    hanakos.screenshot(path=screenshots / "notifications.png", full_page=True)
    # Seen: the count is gone from the header from now on.
    expect(hanakos.locator(".unread-count")).to_have_count(0)
    hanakos.locator(".notification a").first.click()
    hanakos.wait_for_url(f"**{article.get_absolute_url()}c/2/")
    hanakos.context.close()
    taros.context.close()


def test_the_notifications_page_is_accessible(
    browser,
    live_server,
    article,
    hanako,
    taro,
    axe_source,  # noqa: F811
):
    mine = services.comment_create(article=article, body="意見", user=hanako, author_name="hanako")
    services.comment_create(article=article, parent=mine, body="返信", user=taro)
    page = open_page(browser, live_server)
    log_in(page, "hanako")
    expect(page.locator(".unread-count")).to_have_text("1")
    assert serious_violations(page, axe_source) == []
    page.goto("/notifications/")
    assert serious_violations(page, axe_source) == []
    page.goto("/notifications/settings/")
    assert serious_violations(page, axe_source) == []
    page.context.close()
