from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
    path("articles/<slug:slug>/comment/", views.comment_post, name="comment_post"),
    path("articles/<slug:slug>/c/<int:number>/", views.comment_detail, name="comment_detail"),
    path("articles/<slug:slug>/c/<int:number>/reply/", views.comment_reply, name="comment_reply"),
    path("articles/<slug:slug>/c/<int:number>/edit/", views.comment_edit, name="comment_edit"),
    path(
        "articles/<slug:slug>/c/<int:number>/delete/", views.comment_delete, name="comment_delete"
    ),
    path(
        "articles/<slug:slug>/c/<int:number>/report/", views.comment_report, name="comment_report"
    ),
]
