from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotModified,
    JsonResponse,
)
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from articles.threads import MAX_DEPTH
from articles.views import SHOW_ALL_DEPTH

from . import arrivals as live


@require_GET
def article_arrivals(request: HttpRequest, slug: str) -> HttpResponse:
    """The article's comments numbered above ``after``, and those made public since ``since``,
    for a page that is open; 304 while the article's counters have not moved since the page last
    asked (``If-None-Match``).

    Reads neither the session nor the account: every reader gets the same answer, and a poll
    costs one query when nothing is new.
    """
    after = request.GET.get("after", "")
    if not after.isdigit() or len(after) > 9:
        return HttpResponseBadRequest("after: a comment number", content_type="text/plain")
    # The article's publicity_seq the page holds: optional (a page from before it).
    since = request.GET.get("since", "")
    if since and (not since.isdigit() or len(since) > 18):
        return HttpResponseBadRequest("since: a sequence number", content_type="text/plain")
    seq = int(since) if since else None
    max_depth = SHOW_ALL_DEPTH if request.GET.get("all") == "1" else MAX_DEPTH
    article = live.watched(slug)
    if article is None:
        raise Http404
    tag = live.etag(article, after=int(after), since=seq, max_depth=max_depth)
    if tag in _tags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(
            live.arrivals(request, article, after=int(after), since=seq, max_depth=max_depth)
        )
    response["ETag"] = tag
    # Any cache in between must ask again each time (the 304 keeps that cheap).
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
