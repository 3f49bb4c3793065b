"""axe-core (from npm, package-lock.json) on the reader's pages: no serious or critical violation.

axe.min.js is injected into each page; the pages' Content-Security-Policy forbids inline scripts,
so these pages run in a browser context that bypasses it (the pages themselves are unchanged).
"""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article, Comment, Section

from ..helpers import SEED_NAME
from .helpers import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


def open_page(browser, live_server, viewport=DESKTOP):
    context = browser.new_context(
        viewport=viewport, locale="ja-JP", base_url=live_server.url, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def serious_violations(page, axe_source: str) -> list[str]:
    """Every serious or critical axe violation on the page, as 'rule: target, …' lines."""
    page.add_script_tag(content=axe_source)
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in violations
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_article_page(browser, live_server, article, axe_source, viewport, post):
    post(article, ">>9 範囲 >>1-3 と ≫2")
    page = open_page(browser, live_server, viewport)
    page.goto(article.get_absolute_url())
    assert serious_violations(page, axe_source) == []
    page.context.close()


def test_a_comments_own_page(browser, live_server, article, axe_source):
    page = open_page(browser, live_server)
    page.goto(f"{article.get_absolute_url()}c/2/")
    expect(page.locator("h1")).to_be_visible()
    assert serious_violations(page, axe_source) == []
    page.context.close()


def test_the_reply_form_with_an_error(browser, live_server, article, axe_source):
    Comment.objects.filter(number=3).update(status=Comment.Status.REMOVED)
    page = open_page(browser, live_server)
    page.goto(f"{article.get_absolute_url()}c/4/reply/")
    page.locator("textarea").fill(" ")
    page.get_by_role("button", name="投稿する").click()
    expect(page.locator(".field-error")).to_be_visible()
    assert serious_violations(page, axe_source) == []
    page.context.close()


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/"])
def test_log_in_and_sign_up(browser, live_server, db, axe_source, url):
    page = open_page(browser, live_server)
    page.goto(url)
    assert serious_violations(page, axe_source) == []
    page.get_by_role("button").last.click()  # sent empty: the form with its errors
    assert serious_violations(page, axe_source) == []
    page.context.close()


def test_an_error_page_and_the_csrf_failure_that_keeps_the_text(
    browser, live_server, article, axe_source
):
    page = open_page(browser, live_server)
    page.goto("/no/such/page/")
    assert serious_violations(page, axe_source) == []
    page.goto(article.get_absolute_url())
    page.locator("#comment-form textarea").fill("クッキーが消えた後の投稿")
    page.context.clear_cookies()
    page.locator("#comment-form").get_by_role("button", name="投稿する").click()
    expect(page.locator("textarea")).to_have_value("クッキーが消えた後の投稿")
    assert serious_violations(page, axe_source) == []
    page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_article_list_a_section_and_search_results(
    browser, live_server, article, axe_source, viewport
):
    section = Section.objects.create(name="国際", slug="international")
    article.section = section
    article.save()
    page = open_page(browser, live_server, viewport)
    for url in ("/", section.get_absolute_url(), "/search/?q=インド", "/search/?q=北風注意"):
        page.goto(url)
        assert serious_violations(page, axe_source) == [], url
    page.context.close()


def test_the_check_finds_a_serious_violation(browser, live_server, db, axe_source):
    """The check itself: a page with an unnamed button and an image without alt text fails it."""
    page = open_page(browser, live_server)
    page.goto("/accounts/login/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<button></button><img src=\"/static/x.png\">')"
    )
    found = serious_violations(page, axe_source)
    assert any(line.startswith("button-name") for line in found)
    assert any(line.startswith("image-alt") for line in found)
    page.context.close()
