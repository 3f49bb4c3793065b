"""sitemap.xml (django.contrib.sitemaps): every published article and every section."""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.encoding import iri_to_uri

from .models import Article, Comment, Section


class _Sitemap(Sitemap):
    def location(self, item: Article | Section) -> str:
        # Japanese slugs, percent-encoded: a sitemap holds URIs.
        return iri_to_uri(item.get_absolute_url())


class ArticleSitemap(_Sitemap):
    changefreq = "hourly"

    def items(self) -> QuerySet[Article]:
        # Numbers are handed out in posting order: the newest public comment is the one with
        # the highest number, which the (article, number) index finds without reading the rest.
        # Public, not merely published: a reply under a held comment is not there for readers.
        newest = Subquery(
            Comment.objects.public()
            .filter(article=OuterRef("pk"))
            .order_by("-number")
            .values("created_at")[:1]
        )
        return (
            Article.objects.published()
            .annotate(newest_comment_at=newest)
            .only("slug", "published_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item: Article) -> datetime:
        # The page changes with each new comment; the article has no edit time of its own.
        return max(filter(None, (item.published_at, item.newest_comment_at)))


class SectionSitemap(_Sitemap):
    changefreq = "daily"

    def items(self) -> QuerySet[Section]:
        return Section.objects.order_by("position", "pk")


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap}
