"""Atom feeds (django.contrib.syndication): new articles, an article's comments, a thread's replies.

Feeds show only what any reader sees on the pages: published articles whose time has come, and
published comments under no held one (CommentQuerySet.public). No e-mail address is ever written:
an entry's author is the name shown on the page.
"""

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import linebreaks
from django.utils.translation import gettext

from .models import Article, Comment, comment_url

ARTICLES_IN_FEED = 20
COMMENTS_IN_FEED = 30


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return gettext("Forum: new articles")

    def link(self) -> str:
        return reverse("articles:article_list")

    def feed_url(self) -> str:
        return reverse("articles:articles_feed")

    def author_name(self) -> str:
        # Atom wants an author for every entry; articles without a byline have the site's.
        return gettext("Forum")

    def items(self) -> QuerySet[Article]:
        return (
            Article.objects.published()
            .select_related("author")
            .order_by("-published_at", "-pk")[:ARTICLES_IN_FEED]
        )

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return linebreaks(item.lead, autoescape=True)

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.published_at  # Atom requires it of every entry; Django writes it if given

    def item_author_name(self, item: Article) -> str | None:
        return item.byline or None


class _CommentsFeed(Feed):
    """Entries for comments: number and name as title, the text escaped, the permalink."""

    feed_type = Atom1Feed

    def author_name(self) -> str:
        return gettext("Forum")

    def item_title(self, item: Comment) -> str:
        return f"#{item.number} {self.item_author_name(item)}"

    def item_description(self, item: Comment) -> str:
        # Atom's summary is HTML: the reader's text escaped, as the page shows it.
        return linebreaks(item.body, autoescape=True)

    def item_link(self, item: Comment) -> str:
        return comment_url(item.article.get_absolute_url(), item.number)

    def item_pubdate(self, item: Comment):
        return item.created_at

    def item_updateddate(self, item: Comment):
        return item.created_at

    def item_author_name(self, item: Comment) -> str:
        return item.shown_name

    def _newest(self, comments: QuerySet[Comment]) -> QuerySet[Comment]:
        return (
            comments.public()
            .select_related("article")
            .defer("body_html", "article__lead")
            .order_by("-created_at", "-number")[:COMMENTS_IN_FEED]
        )


class ArticleCommentsFeed(_CommentsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Article:
        try:
            return Article.objects.published().get(slug=slug)
        except Article.DoesNotExist:
            raise Http404 from None

    def title(self, obj: Article) -> str:
        return gettext("Comments on %(title)s") % {"title": obj.title}

    def link(self, obj: Article) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Article) -> str:
        return reverse("articles:article_feed", kwargs={"slug": obj.slug})

    def items(self, obj: Article) -> QuerySet[Comment]:
        return self._newest(obj.comments.all())


class ThreadRepliesFeed(_CommentsFeed):
    def get_object(self, request: HttpRequest, slug: str, number: int) -> Comment:
        comment = Comment.objects.get_with_article(slug=slug, number=number)
        if comment is None:
            raise Http404
        held = comment.get_ancestors(include_self=True).filter(status=Comment.Status.PENDING)
        if held.exists():  # not there at all for readers, nor anything under it
            raise Http404
        return comment

    def title(self, obj: Comment) -> str:
        return gettext("Replies to #%(number)s on %(title)s") % {
            "number": obj.number,
            "title": obj.article.title,
        }

    def link(self, obj: Comment) -> str:
        return comment_url(obj.article.get_absolute_url(), obj.number)

    def feed_url(self, obj: Comment) -> str:
        return reverse(
            "articles:thread_feed", kwargs={"slug": obj.article.slug, "number": obj.number}
        )

    def items(self, obj: Comment) -> QuerySet[Comment]:
        return self._newest(obj.get_descendants())
