from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Article, Comment, ImageCredit


def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().with_comment_count().order_by("-published_at", "-pk")
    page = Paginator(articles, 20).get_page(request.GET.get("page"))
    return render(request, "articles/article_list.html", {"page": page})


def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.published(), slug=slug)
    credits = list(article.image_credits.all())
    credits_after: dict[int, list[ImageCredit]] = {}
    for credit in credits:
        if credit.role == ImageCredit.Role.INLINE:
            credits_after.setdefault(credit.after_paragraph, []).append(credit)
    # (paragraph, credits of the images after it), with the images before the first paragraph first.
    body = [(None, credits_after.get(0, []))] if credits_after.get(0) else []
    body += [(p, credits_after.get(p.position, [])) for p in article.paragraphs.all()]
    links = list(article.links.all())
    comments = (
        Comment.objects.filter(article=article)
        .in_tree_order()
        .only(
            "pk",
            "parent_id",
            "tree_id",
            "lft",
            "rght",
            "level",
            "number",
            "body",
            "author_name",
            "created_at",
            "status",
        )
    )
    context = {
        "article": article,
        "body": body,
        "featured_credit": next((c for c in credits if c.role == ImageCredit.Role.FEATURED), None),
        "references": [link for link in links if link.kind == "reference"],
        "related": [link for link in links if link.kind == "related"],
        "comments": comments,
    }
    return render(request, "articles/article_detail.html", context)
