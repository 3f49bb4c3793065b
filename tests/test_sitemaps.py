"""sitemap.xml, robots.txt and canonical links: what search engines are told about the pages."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from django.contrib.staticfiles import finders
from django.utils import timezone

from articles import services
from articles.models import Article, Comment, Section

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    urlset = ET.fromstring(response.content)
    assert urlset.tag == f"{SITEMAP}urlset"
    return {
        url.find(f"{SITEMAP}loc").text: getattr(url.find(f"{SITEMAP}lastmod"), "text", None)
        for url in urlset.iter(f"{SITEMAP}url")
    }


def day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def test_the_sitemap_lists_published_articles_with_their_newest_public_comment(db, client):
    week_ago = timezone.now() - timedelta(days=7)
    quiet = Article.objects.create(title="静か", slug="quiet", published_at=week_ago)
    lively = Article.objects.create(title="賑やか", slug="記事", published_at=week_ago)
    services.comment_create(
        article=lively, body="三日前", created_at=timezone.now() - timedelta(days=3)
    )
    hidden = services.comment_create(article=lively, body="今日")
    services.comment_set_status(comment=hidden, status=Comment.Status.HIDDEN, moderator=None)
    # A reply today under a comment held since two days ago: readers see neither.
    held = services.comment_create(
        article=lively, body="保留", created_at=timezone.now() - timedelta(days=2)
    )
    services.comment_create(article=lively, parent=held, body="保留への返信")
    services.comment_set_status(comment=held, status=Comment.Status.PENDING, moderator=None)
    Article.objects.create(title="下書き", slug="draft", status=Article.Status.DRAFT)
    later = timezone.now() + timedelta(days=1)
    Article.objects.create(title="予約", slug="scheduled", published_at=later)
    Section.objects.create(name="国際", slug="intl")
    urls = sitemap(client)
    assert urls == {
        "http://testserver/articles/quiet/": day(quiet.published_at),
        # A hidden comment, or a reply under a held one, changes nothing readers see.
        "http://testserver/articles/%E8%A8%98%E4%BA%8B/": day(timezone.now() - timedelta(days=3)),
        "http://testserver/sections/intl/": None,
    }


def test_the_sitemap_reads_the_same_queries_for_many_articles(
    db, client, post, django_assert_max_num_queries
):
    post(Article.objects.create(title="一", slug="one"))
    with django_assert_max_num_queries(4) as few:
        client.get("/sitemap.xml")
    for n in range(20):
        post(Article.objects.create(title=f"記事{n}", slug=f"article-{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sitemap(client)) == 21


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "User-agent: *\n" in response.text
    assert "Sitemap: http://testserver/sitemap.xml\n" in response.text


def canonical(html: str) -> str:
    (href,) = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    return href


def test_every_page_names_its_canonical_address_without_its_view_options(client, article, post):
    post(article, "最初")
    url = "http://testserver/articles/test-article/"
    assert canonical(client.get("/?utm_source=x").text) == "http://testserver/"
    assert canonical(client.get("/?page=1").text) == "http://testserver/"
    assert canonical(client.get(f"{article.get_absolute_url()}?order=newest&new=1").text) == url
    assert canonical(client.get(f"{article.get_absolute_url()}c/1/?new=1").text) == f"{url}c/1/"
    section = Section.objects.create(name="国際", slug="国際")
    assert canonical(client.get(section.get_absolute_url()).text) == (
        "http://testserver/sections/%E5%9B%BD%E9%9A%9B/"
    )
    assert canonical(client.get("/accounts/login/").text) == "http://testserver/accounts/login/"


def test_a_later_page_of_articles_is_its_own_canonical_page(client, db):
    for n in range(25):
        Article.objects.create(title=f"記事{n}", slug=f"article-{n}")
    assert canonical(client.get("/?page=2").text) == "http://testserver/?page=2"


def test_the_site_icon_is_linked_and_found_at_its_usual_address(client, seeded):
    page = client.get(seeded.get_absolute_url()).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == icon.group(1)
    assert finders.find("img/favicon.svg")  # served by whitenoise, which the test client skips
