from django.urls import path

from articles.urls import UnicodeSlugConverter  # noqa: F401  (registers "uslug")

from . import views

app_name = "live"

urlpatterns = [
    path(
        "articles/<uslug:slug>/new-comments/",
        views.article_arrivals,
        name="article_arrivals",
    ),
]
