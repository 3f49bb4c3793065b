"""sitemap.xml (django.contrib.sitemaps): every published article and every section."""

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q, QuerySet
from django.utils.encoding import iri_to_uri

from .models import Article, Section


class _Sitemap(Sitemap):
    def location(self, item: Article | Section) -> str:
        # Japanese slugs, percent-encoded: a sitemap holds URIs.
        return iri_to_uri(item.get_absolute_url())


class ArticleSitemap(_Sitemap):
    changefreq = "hourly"

    def items(self) -> QuerySet[Article]:
        newest = Max("comments__created_at", filter=Q(comments__status="published"))
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
