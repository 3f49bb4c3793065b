from django.urls import path, register_converter

from . import feeds, views


class UnicodeSlugConverter:
    """Slugs as SlugField(allow_unicode=True) allows them: 記事-1 as well as article-1."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UnicodeSlugConverter, "uslug")

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("feeds/articles/", feeds.LatestArticlesFeed(), name="articles_feed"),
    path("sections/<uslug:slug>/", views.section_detail, name="section_detail"),
    path("articles/<uslug:slug>/", views.article_detail, name="article_detail"),
    # Feed readers subscribed before an article's slug changed follow it, as browsers do.
    path(
        "articles/<uslug:slug>/feed/",
        views.follows_old_slugs(feeds.ArticleCommentsFeed()),
        name="article_feed",
    ),
    path("articles/<uslug:slug>/comment/", views.comment_post, name="comment_post"),
    path("articles/<uslug:slug>/c/<int:number>/", views.comment_detail, name="comment_detail"),
    path(
        "articles/<uslug:slug>/c/<int:number>/feed/",
        views.follows_old_slugs(feeds.ThreadRepliesFeed()),
        name="thread_feed",
    ),
    path("articles/<uslug:slug>/c/<int:number>/reply/", views.comment_reply, name="comment_reply"),
    path("articles/<uslug:slug>/c/<int:number>/edit/", views.comment_edit, name="comment_edit"),
    path(
        "articles/<uslug:slug>/c/<int:number>/delete/", views.comment_delete, name="comment_delete"
    ),
    path(
        "articles/<uslug:slug>/c/<int:number>/report/", views.comment_report, name="comment_report"
    ),
]
