from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext

from articles.abuse import addresses, limits
from articles.models import Article

from . import query as search
from .forms import SearchForm

PAGE = 20
ARTICLES_SHOWN = 10
# Deeper pages would cost an OFFSET over every match; a reader who has read 1,000 results
# narrows the search instead.
MAX_PAGES = 50


def search_results(request: HttpRequest) -> HttpResponse:
    """Articles and comments holding every term of ``q``; ``article`` narrows to one article."""
    form = SearchForm(request.GET)
    slug = request.GET.get("article", "")
    article = get_object_or_404(Article.objects.published(), slug=slug) if slug else None
    query = form.query()
    context = {"form": form, "article": article, "query": query}
    if query is not None and not limits.search_allowed(addresses.request_ip_hash(request)):
        # The page itself, with the words still in the box, rather than the bare 429 page.
        context["refused"] = gettext(
            "You have searched very often in the last minute. Wait a moment and search again."
        )
        response = render(request, "search/search.html", context, status=429)
        response["Retry-After"] = str(settings.FORUM_SEARCH_LIMIT[1])
        return response
    if query is not None:
        page_number = _page_number(request.GET.get("page"))
        # One row more than a page says whether there is a next page, without counting them all.
        start = (page_number - 1) * PAGE
        with search.custom_plans():
            comments = list(search.comments(query, article=article)[start : start + PAGE + 1])
            found_articles = []
            if article is None and page_number == 1:
                found_articles = list(search.articles(query)[:ARTICLES_SHOWN])
        for comment in comments:
            comment.snippet = search.snippet(comment.body, query.terms)
        context |= {
            "comments": comments[:PAGE],
            "articles": found_articles,
            "page_number": page_number,
            "has_next": len(comments) > PAGE and page_number < MAX_PAGES,
            "single_character_window": (
                search.SINGLE_CHARACTER_WINDOW if query.single_characters else None
            ),
        }
    return render(request, "search/search.html", context)


def _page_number(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= MAX_PAGES else 1
