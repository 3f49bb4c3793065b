"""axe-core on the account pages (log-in and sign-up are in test_accessibility)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from articles import services

from .test_accessibility import axe_source, open_page, serious_violations  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-123"


def test_account_pages(browser, live_server, article, axe_source):  # noqa: F811
    user = get_user_model().objects.create_user("太郎", email="taro@example.com", password=PASSWORD)
    comment = services.comment_create(article=article, body="最初のコメント")
    services.comment_create(
        article=article, parent=comment, body="アカウントの返信", author_name="太郎", user=user
    )
    page = open_page(browser, live_server)
    for url in (
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/email/confirm/not-a-token/",
        "/users/太郎/",
    ):
        page.goto(url)
        assert serious_violations(page, axe_source) == [], url
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("太郎")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button").last.click()
    expect(page.locator(".site-nav .account")).to_have_text("太郎")
    for url in (
        "/accounts/settings/",
        "/accounts/email/",
        "/accounts/password/",
        "/accounts/delete/",
    ):
        page.goto(url)
        assert page.url.endswith(url)  # the page itself, not the log-in it would send others to
        assert serious_violations(page, axe_source) == [], url
        if url != "/accounts/settings/":
            page.locator("main").get_by_role("button").last.click()  # sent empty: with errors
            assert serious_violations(page, axe_source) == [], f"{url} with errors"
    page.context.close()
