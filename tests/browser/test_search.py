"""A reader searches from the header on a phone, and from an article's comments on a desktop.

Screenshots of the results page are kept in test-output/screenshots/.
"""

import pytest
from playwright.sync_api import expect

from articles import services
from articles.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article() -> Article:
    article = Article.objects.create(title="北風と中国軍", slug="kitakaze", lead="演習の記事")
    services.comment_create(
        article=article,
        parent=None,
        body="中国軍の演習は<b>大規模</b>だった",
        author_name="軍事太郎",
    )
    services.comment_create(article=article, parent=None, body="関係のない話")
    return article


def test_phone_reader_searches_from_the_header(phone_page, article, screenshots):
    page = phone_page
    page.goto("/")
    box = page.get_by_role("searchbox", name="フォーラムを検索")
    expect(box).to_be_visible()
    # The box fits the phone's width: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box.fill("ｓ－４００ 演習")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator(".search-empty")).to_have_text("一致するコメントはありません。")

    box = page.get_by_role("searchbox", name="フォーラムを検索")
    expect(box).to_have_value("ｓ－４００ 演習")
    box.fill("演習")
    page.locator(".site-search").get_by_role("button", name="検索").click()
    result = page.locator(".search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("演習")
    expect(result.locator(".snippet")).to_contain_text("<b>大規模</b>")  # escaped, as typed
    expect(result).to_contain_text("軍事太郎")
    expect(page.locator(".search-articles")).to_contain_text("北風と中国軍")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=screenshots / "search-phone.png", full_page=True)

    result.locator("a.number").click()
    page.wait_for_url(f"**/articles/{article.slug}/c/1/")


def test_reader_searches_one_articles_comments(page, article, screenshots):
    page.goto(article.get_absolute_url())
    box = page.get_by_role("searchbox", name="この記事のコメントを検索")
    box.fill("話")
    box.press("Enter")
    expect(page.locator("h1")).to_have_text("「北風と中国軍」のコメントを検索")
    expect(page.locator(".search-result")).to_have_count(1)
    expect(page.locator(".search-result")).to_contain_text("関係のない話")
    page.screenshot(path=screenshots / "search-desktop.png", full_page=True)
