from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from articles import posters
from articles.models import Comment
from articles.posting import Refused

from . import reacting
from .forms import ReactionForm


def _wants_json(request: HttpRequest) -> bool:
    """Asked by reactions.js, which wants the new counts rather than a page."""
    return request.headers.get("Accept", "").startswith("application/json")


def _back(request: HttpRequest, comment: Comment) -> str:
    """The page the reader tapped on (the article page in its order and page, or a comment's
    page), at the comment; its own page when the browser does not say where it came from."""
    referer = request.headers.get("Referer", "")
    fragment = f"#c{comment.number}"
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer.split("#", 1)[0] + fragment
    return comment.get_absolute_url() + fragment


@require_POST
def react(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    comment = Comment.objects.get_with_article(slug=slug, number=number)
    if comment is None:
        raise Http404
    form = ReactionForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused(" ".join(form.errors.get("kind", [])), code="invalid")
        reacted = reacting.reaction_toggle(
            comment=comment, kind=form.cleaned_data["kind"], poster=posters.poster(request)
        )
    except Refused as refusal:
        if _wants_json(request):
            return JsonResponse(
                {"error": refusal.message, "code": refusal.code}, status=refusal.status
            )
        context = {"article": comment.article, "comment": comment, "refusal": refusal}
        return render(request, "reactions/refused.html", context, status=refusal.status)
    if _wants_json(request):
        response = JsonResponse({"counts": reacted.counts, "mine": reacted.mine})
    else:
        response = HttpResponseRedirect(_back(request, comment))
    # An anonymous reader's browser keeps its id: the next tap is recognised as theirs.
    posters.remember_poster(request, response, name=None)
    return response
