"""In Chromium: the structured data and feed links of the article page, under the strict CSP."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils.encoding import iri_to_uri

from articles.models import Article

from ..helpers import SEED_NAME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(seed_dir) -> Article:
    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get(import_ref=SEED_NAME)


def read_discovery(page, url: str) -> dict:
    """Load the page; what the browser makes of its structured data, and what it complained of."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    csp_complaints = [text for text in problems if "Content Security Policy" in text]
    heard = len(problems)
    # The control: an inline script that would run is refused, and the refusal is heard.
    page.evaluate(
        """() => document.head.append(
            Object.assign(document.createElement('script'), {text: 'window.ran = 1'}))"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in text for text in problems[heard:])
    found = page.evaluate(
        """() => ({
            data: JSON.parse(document.querySelector('script[type="application/ld+json"]').text),
            feeds: [...document.querySelectorAll('link[rel=alternate]')].map(l => l.href),
            canonical: document.querySelector('link[rel=canonical]').href,
            width: document.documentElement.scrollWidth,
        })"""
    )
    found["csp_complaints"] = csp_complaints
    return found


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_article_pages_structured_data_is_read_without_a_csp_complaint(
    request, viewport, article
):
    page = request.getfixturevalue(viewport)
    found = read_discovery(page, article.get_absolute_url())
    assert found["csp_complaints"] == []
    assert found["data"]["@type"] == "DiscussionForumPosting"
    assert len(found["data"]["comment"]) == article.comments.visible().count() == 36
    assert found["canonical"].endswith(article.get_absolute_url())
    assert any(href.endswith(f"{article.get_absolute_url()}feed/") for href in found["feeds"])
    if viewport == "phone_page":
        assert found["width"] <= 360  # nothing in the head pushes the page wider
    feed = page.request.get(iri_to_uri(f"{article.get_absolute_url()}feed/"))
    assert feed.ok
    assert feed.headers["content-type"].startswith("application/atom+xml")
