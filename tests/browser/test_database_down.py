"""A reader whose comment the database could not take gets it back, and sends it again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from playwright.sync_api import expect

from articles import services
from articles.models import Article, Comment

from ..helpers import SEED_NAME
from .helpers import PHONE, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_text_comes_back_and_goes_again(
    browser, live_server, article, monkeypatch, screenshots, size
):
    page = new_page(browser, live_server, **({"viewport": PHONE} if size == "phone" else {}))
    create = services.comment_create_placed

    def fail(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    try:
        page.goto(article.get_absolute_url())
        monkeypatch.setattr(services, "comment_create_placed", fail)
        form = page.locator("#comment-form")
        form.get_by_label("名前").fill("軍事太郎")
        form.get_by_label("コメント", exact=True).fill("保存されなかったら困る意見")
        form.get_by_role("button", name="投稿する").click()
        expect(page.get_by_role("alert")).to_contain_text("保存されませんでした")
        expect(page.locator("textarea")).to_have_value("保存されなかったら困る意見")
        page.screenshot(path=screenshots / f"database-down-{size}.png", full_page=True)
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        monkeypatch.setattr(services, "comment_create_placed", create)
        page.get_by_role("button", name="もう一度送信").click()
        page.wait_for_url("**?new=37#c37")
        expect(page.locator("#c37")).to_contain_text("保存されなかったら困る意見")
        assert Comment.objects.get(number=37).author_name == "軍事太郎"
    finally:
        page.context.close()
