import functools
from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from reactions import buttons as reaction_buttons

from . import forms, linked_data, page_cache, posters, posting, services
from .boards import ids, trips
from .forms import CommentForm, ReportForm
from .models import Article, Comment, Section, comment_url
from .querysets import ArticleQuerySet
from .sql.article_page import published_article
from .text import quote_text, render_comment_body
from .threads import (
    MAX_DEPTH,
    Viewer,
    article_html,
    backlinks_for,
    body_html,
    layout,
    render_rows,
    threads_html,
)

THREADS_PER_PAGE = 20
# "Show all" lifts the paging and the nesting cap, within bounds that no real thread reaches.
SHOW_ALL_THREADS = 10_000
SHOW_ALL_DEPTH = 1_000
THREAD_ORDERS = {
    "oldest": ("number",),
    "newest": ("-number",),
    "replies": ((F("rght") - F("lft")).desc(), "number"),
    # By the Wilson lower bound of the first comment's agree against disagree (reactions.scores).
    "best": ("-best_score", "number"),
}


def _listed(articles: ArticleQuerySet) -> ArticleQuerySet:
    """Articles as lists show them: with section, byline, featured image and comment count."""
    return (
        articles.published()
        .with_comment_count()
        .select_related("section", "author", "featured_image")
        .order_by("-published_at", "-pk")
    )


def article_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_listed(Article.objects.all()), 20).get_page(request.GET.get("page"))
    return render(request, "articles/article_list.html", {"page": page})


def section_detail(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    page = Paginator(_listed(section.articles.all()), 20).get_page(request.GET.get("page"))
    return render(request, "articles/section_detail.html", {"section": section, "page": page})


def _article(slug: str) -> Article:
    """A published article with what its page shows of its author and featured image."""
    article = published_article(slug)
    if article is None:
        raise Http404
    return article


def follows_old_slugs(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send a reader who asks for an article by an old slug to the same page at its new one."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
        try:
            return view(request, slug, **kwargs)
        except Http404:
            if request.method not in ("GET", "HEAD"):
                raise
            article = (
                Article.objects.published().filter(redirects__old_slug=slug).only("slug").first()
            )
            if article is None:
                raise
            old = reverse("articles:article_detail", kwargs={"slug": slug})
            path = request.get_full_path()
            if not path.startswith(old):
                raise
            return HttpResponsePermanentRedirect(article.get_absolute_url() + path[len(old) :])

    return wrapper


def _comment(slug: str, number: int) -> tuple[Article, Comment]:
    """A comment of a published article, read with its article in one query."""
    comment = Comment.objects.get_with_article(slug=slug, number=number)
    if comment is None:
        raise Http404
    return comment.article, comment


def _refuse_under_held(viewer: Viewer, ancestors: Iterable[Comment]) -> None:
    """A comment under a held one is not there for this reader, as on the article page."""
    if any(viewer.skips(ancestor) for ancestor in ancestors):
        raise Http404


def _viewer(request: HttpRequest) -> Viewer:
    return Viewer(
        can_moderate=request.user.has_perm("articles.change_comment"),
        is_author=lambda comment: posters.is_author(request, comment),
        can_change=lambda comment: posters.can_change(request, comment),
    )


def _reply_url(article: Article) -> Callable[[int], str | None]:
    """Links for >>N in a preview: to any comment the article has."""
    base = article.get_absolute_url()

    def reply_url(number: int) -> str | None:
        return comment_url(base, number) if 1 <= number <= article.last_comment_number else None

    return reply_url


def _order(request: HttpRequest) -> str:
    """The order of threads the reader chose (``?order=``), or the default."""
    order = request.GET.get("order", "oldest")
    return order if order in THREAD_ORDERS else "oldest"


def _article_page(
    request: HttpRequest, article: Article, form: CommentForm, *, status: int = 200, **extra
) -> HttpResponse:
    order = _order(request)
    # "Show all": every thread on one page, every level nested.
    show_all = request.GET.get("all") == "1"
    depth = SHOW_ALL_DEPTH if show_all else MAX_DEPTH
    roots = article.comments.filter(parent=None).order_by(*THREAD_ORDERS[order])
    per_page = SHOW_ALL_THREADS if show_all else THREADS_PER_PAGE
    page = Paginator(roots.values_list("tree_id", "thread_version"), per_page).get_page(
        request.GET.get("page")
    )
    threads = list(page.object_list)
    # The page every reader without our cookies gets, whole from the cache when it is there.
    shared = not form.is_bound and page_cache.cacheable(
        request, order=order, page=page, show_all=show_all
    )
    cache_key = page_cache.key(request, article, page, threads) if shared else None
    cached = page_cache.fetch(cache_key) if cache_key else None
    loaded: dict[int, list[Comment]] = {}
    if cached is not None:
        slots, html = cached
    else:
        slots = page_cache.Slots.drawn() if shared else None
        if slots is not None:
            form = CommentForm(initial={"issued": slots.issued}, user=request.user)
        html = _render_article_page(
            request,
            article,
            form,
            page,
            threads,
            loaded,
            order=order,
            show_all=show_all,
            depth=depth,
            slots=slots,
            **extra,
        )
        if cache_key:
            page_cache.store(cache_key, slots, html)
    html = reaction_buttons.fill_threads(
        request, html, article=article, threads=threads, loaded=loaded, max_depth=depth
    )
    if slots is not None:
        html = page_cache.fill_tokens(request, slots, html)
    return HttpResponse(html, status=status)


def _render_article_page(
    request: HttpRequest,
    article: Article,
    form: CommentForm,
    page: Page,
    threads: list[tuple[int, int]],
    loaded: dict[int, list[Comment]],
    *,
    order: str,
    show_all: bool,
    depth: int,
    slots: page_cache.Slots | None,
    **extra,
) -> str:
    """The page's HTML with its reaction slots left empty; ``loaded`` gets the comments read
    for threads rendered afresh. Rendered for the cache (a form not bound, shown to a reader
    without our cookies), its form tokens are left as slots too (``page_cache``)."""
    viewer = _viewer(request)
    if viewer.can_moderate:  # they see hidden and held comments: nothing from the cache
        personal = {tree_id for tree_id, _ in threads}
    else:
        personal = posters.personal_threads(request, [tree_id for tree_id, _ in threads])
    items = linked_data.ThreadItems(article, max_depth=depth)

    def on_load(by_tree: dict[int, list[Comment]]) -> None:
        loaded.update(by_tree)
        items.remember(by_tree)

    comments_html = threads_html(
        article, threads, max_depth=depth, viewer=viewer, personal=personal, on_load=on_load
    )
    comment_count = page_cache.published_count(article) if page.paginator.count else 0
    # For the cache: the same slot wherever the CSRF token goes (the forms', the language
    # switch's).
    tokens = {"csrf_token": slots.csrf} if slots is not None else {}
    context = {
        "show_all": show_all,
        "article": article,
        "article_html": article_html(article),
        "comments_html": comments_html,
        "reaction_form": (
            reaction_buttons.form_html(request, token=tokens.get("csrf_token"))
            if article.comments_open
            else ""
        ),
        "new": _new_number(request),
        "linked_data": linked_data.article_posting(
            request, article, comments=items.items(threads), comment_count=comment_count
        ),
        "page": page,
        "order": order,
        "orders": [
            ("oldest", gettext("Oldest first")),
            ("newest", gettext("Newest first")),
            ("replies", gettext("Most replies")),
            ("best", gettext("Best")),
        ],
        "form": form,
        **_comment_forms_html(
            request, form, tokens, reply_issued=slots.reply_issued if slots else None, **extra
        ),
        **extra,
        **tokens,
    }
    return render_to_string("articles/article_detail.html", context, request=request)


def _comment_forms_html(
    request: HttpRequest,
    form: CommentForm,
    tokens: dict[str, str],
    *,
    reply_issued: str | None,
    **extra,
) -> dict[str, str]:
    """The comment form's fields, and the reply form's (a <template> the page clones for each
    reply). Unless the comment form was sent back, the two differ only in their single-use
    ``issued`` token: rendered once, each given its own (``reply_issued``, or a new one).
    ``tokens``: the CSRF token's slot of a page for the cache."""
    form_html = render_to_string(
        "articles/_comment_form.html", {"form": form, **extra, **tokens}, request=request
    )
    if not form.is_bound:
        reply_issued = reply_issued or forms.form_token()
        return {
            "comment_form_html": form_html,
            # The token is a signed value of its own: it stands nowhere else in the HTML.
            "reply_form_html": mark_safe(form_html.replace(form.initial["issued"], reply_issued)),
        }
    reply_form = CommentForm(
        initial={"author_name": posters.remembered_name(request)}, user=request.user
    )
    return {
        "comment_form_html": form_html,
        "reply_form_html": render_to_string(
            "articles/_comment_form.html", {"form": reply_form}, request=request
        ),
    }


def _new_number(request: HttpRequest) -> int | None:
    """The number of the comment just posted, to highlight."""
    value = request.GET.get("new", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@follows_old_slugs
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        article = _article(slug)
    except Http404:
        if not request.user.has_perm("articles.view_article"):
            raise
        return _article_preview(request, get_object_or_404(Article, slug=slug))
    form = CommentForm(initial={"author_name": posters.remembered_name(request)}, user=request.user)
    return _article_page(request, article, form)


def _article_preview(request: HttpRequest, article: Article) -> HttpResponse:
    """A draft or scheduled article as readers will see it, for staff only; no comments yet."""
    context = {"article": article, "article_html": article_html(article)}
    response = render(request, "articles/article_preview.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def _post(
    request: HttpRequest, article: Article, form: CommentForm, parent: Comment | None
) -> HttpResponse | int:
    """Post the comment and send the reader to it; else the status to show the form again with.

    A preview is no post: it answers 200 once the form and the comment answered allow it.
    """
    if not form.is_valid():
        return 400
    try:
        if "preview" in request.POST:
            posting.comment_may_post(article=article, parent=parent)
            posting.posted_name(author_name=form.posting_name, poster=posters.poster(request))
            return 200
        posted = posting.comment_post(
            article=article,
            parent=parent,
            body=form.cleaned_data["body"],
            author_name=form.posting_name,
            poster=posters.poster(request),
            form_key=form.form_key,
        )
    except posting.Refused as refusal:
        form.add_error(refusal.field, refusal.message)
        return refusal.status
    if posted.held:
        messages.info(
            request,
            gettext("Thank you. Your comment will appear once a moderator has approved it."),
        )
    landing = _landing_url(posted.comment, posted.earlier_threads, order=_order(request))
    response = HttpResponseRedirect(landing)
    name = None
    if not request.user.is_authenticated:
        # Without its trip secret, which is never kept anywhere: the reader types it each time.
        name = trips.name_part(form.cleaned_data.get("author_name", ""))
    posters.remember_poster(request, response, name=name)
    return response


def _shown_again(form: forms.TokenForm, status: int = 200) -> int:
    """The status to show the form with; a form shown again carries a fresh token."""
    if form.is_bound:
        form.refresh_token()
    return status


def _landing_url(
    comment: Comment,
    earlier_threads: int | None = None,
    *,
    new: bool = True,
    order: str = "oldest",
) -> str:
    """Where a comment shows: its thread's page in the reader's order of threads, or its own
    page; marked to be highlighted as the reader's new (or edited) comment unless ``new`` is
    false.

    ``earlier_threads``, when known, is how many of the article's threads started before the
    comment's own.
    """
    article = comment.article
    if comment.level >= MAX_DEPTH:
        # Too deep for the article page: its own page shows it, under its ancestors.
        url = reverse("articles:comment_detail", args=[article.slug, comment.number])
        return (
            f"{url}?new={comment.number}#c{comment.number}" if new else f"{url}#c{comment.number}"
        )
    # The thread's place among the article's threads, as the article page orders them.
    if order != "oldest":
        roots = article.comments.filter(parent=None).order_by(*THREAD_ORDERS[order])
        place = list(roots.values_list("tree_id", flat=True)).index(comment.tree_id)
    elif earlier_threads is None:
        first = Comment.objects.filter(tree_id=comment.tree_id, lft=1).values("number")
        place = article.comments.filter(parent=None, number__lt=Subquery(first)).count()
    else:
        place = earlier_threads
    page = place // THREADS_PER_PAGE + 1
    params = [f"order={order}"] if order != "oldest" else []
    params += ([f"page={page}"] if page > 1 else []) + ([f"new={comment.number}"] if new else [])
    query = f"?{'&'.join(params)}" if params else ""
    return f"{article.get_absolute_url()}{query}#c{comment.number}"


def _preview(
    request: HttpRequest, form: CommentForm, article: Article, *, name_now: str = ""
) -> dict:
    """What a preview shows; ``name_now`` is an edited comment's name, kept as it is if sent
    back unchanged (with its trip code)."""
    if "preview" in request.POST and form.is_valid() and not form.non_field_errors():
        name = form.posting_name
        return {
            "preview_html": render_comment_body(
                form.cleaned_data["body"], reply_url=_reply_url(article)
            ),
            "preview_name": trips.shown_name(
                name if name and name == name_now else trips.posted_name(name)
            ),
        }
    return {}


@sensitive_post_parameters("author_name")  # it may carry a trip secret
@require_POST
def comment_post(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article(slug)
    form = CommentForm(request.POST, user=request.user)
    response = _post(request, article, form, parent=None)
    if isinstance(response, HttpResponse):
        return response
    preview = _preview(request, form, article)
    return _article_page(request, article, form, status=_shown_again(form, response), **preview)


@sensitive_post_parameters("author_name")  # it may carry a trip secret
@require_http_methods(["GET", "POST"])
@follows_old_slugs
def comment_reply(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, parent = _comment(slug, number)
    _refuse_under_held(_viewer(request), parent.get_ancestors())
    status = 200
    if request.method == "POST":
        form = CommentForm(request.POST, user=request.user)
        response = _post(request, article, form, parent=parent)
        if isinstance(response, HttpResponse):
            return response
        status = _shown_again(form, response)
    else:
        quote = "quote" in request.GET and parent.is_published
        body = quote_text(parent.body) + "\n" if quote else ""
        initial = {"author_name": posters.remembered_name(request), "body": body}
        form = CommentForm(initial=initial, user=request.user)
    context = {
        "article": article,
        "parent": parent,
        "parent_html": _comment_html(article, parent),
        "form": form,
        "order": _order(request),
        **_preview(request, form, article),
    }
    return render(request, "articles/comment_reply.html", context, status=status)


def _comment_html(article: Article, comment: Comment) -> SafeString | str:
    if not comment.is_published:
        return ""
    return body_html(comment, article_url=article.get_absolute_url())


@follows_old_slugs
def comment_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A comment's own page: its ancestors as context, then it with all its replies."""
    article, comment = _comment(slug, number)
    ancestors = list(comment.get_ancestors())
    viewer = _viewer(request)
    _refuse_under_held(viewer, ancestors)
    subtree = list(
        comment.get_descendants(include_self=True).filter(level__lt=comment.level + MAX_DEPTH)
    )
    article_url = article.get_absolute_url()
    daily_ids = ids.shown_for(article)
    is_public = all(c.status != Comment.Status.PENDING for c in [*ancestors, comment])
    rows = layout(
        subtree,
        base_level=comment.level,
        article_url=article_url,
        backlinks=backlinks_for(article.pk, [c.number for c in subtree]),
        viewer=viewer,
        known_numbers={a.pk: a.number for a in ancestors},
        daily_ids=daily_ids,
        starter_id=ancestors[0].daily_id if ancestors and viewer.shows_text(ancestors[0]) else "",
    )
    shown = [*ancestors, *subtree]
    with_reactions = functools.partial(
        reaction_buttons.fill,
        request,
        article=article,
        counts=reaction_buttons.comment_counts(shown),
        mine=reaction_buttons.readers_own(request, Q(pk__in=[c.pk for c in shown])),
        with_form=False,
    )
    # Context only: its reply counts would count replies that are not shown.
    context_rows = layout(
        ancestors, article_url=article_url, collapsible=False, daily_ids=daily_ids
    )
    context = {
        "article": article,
        "comment": comment,
        "ancestors_html": with_reactions(render_rows(context_rows, article_url=article_url)),
        "parent": ancestors[-1] if ancestors else None,
        "root": ancestors[0] if ancestors else None,
        "rows_html": with_reactions(render_rows(rows, article_url=article_url)),
        "reaction_form": reaction_buttons.form_html(request) if article.comments_open else "",
        "new": _new_number(request),
        # For link previews: what any reader sees of it (a held comment is not there for them).
        "is_public": is_public,
        "share_title": f"#{comment.number} · {article.title}",
        "share_text": comment.body if is_public and comment.is_published else "",
    }
    return render(request, "articles/comment_detail.html", context)


def _own_comment(request: HttpRequest, slug: str, number: int) -> tuple[Article, Comment]:
    article, comment = _comment(slug, number)
    if not posters.can_change(request, comment):
        raise PermissionDenied(
            gettext("Only its author can change a comment, for 15 minutes after posting.")
        )
    return article, comment


@sensitive_post_parameters("author_name")  # it may carry a trip secret
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _own_comment(request, slug, number)
    initial = {"author_name": comment.author_name, "body": comment.body}
    # The name field follows the comment, not who is signed in now: an anonymous comment edited
    # after signing in must not take the account's name.
    author = request.user if comment.user_id else None
    form = CommentForm(request.POST or None, initial=initial, user=author)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and "preview" in request.POST:
            status = 200
        elif form.is_valid():
            try:
                edited = posting.comment_edit(
                    comment=comment,
                    body=form.cleaned_data["body"],
                    author_name=form.posting_name,
                    poster=posters.poster(request),
                )
            except posting.Refused as refusal:
                form.add_error(refusal.field, refusal.message)
                status = refusal.status
            else:
                if edited.held:
                    messages.info(
                        request,
                        gettext(
                            "Thank you. Your comment will appear again once a moderator has "
                            "approved it."
                        ),
                    )
                return redirect(_landing_url(edited.comment))
    context = {"article": article, "comment": comment, "form": form}
    context.update(_preview(request, form, article, name_now=comment.author_name))
    return render(request, "articles/comment_edit.html", context, status=_shown_again(form, status))


@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _own_comment(request, slug, number)
    if request.method == "POST":
        # Its author's own act: the status says it all; no moderator, no reason.
        services.comment_set_status(comment=comment, status=Comment.Status.DELETED, moderator=None)
        messages.success(request, gettext("Your comment has been deleted."))
        return redirect(_landing_url(comment, new=False))
    return render(request, "articles/comment_delete.html", {"article": article, "comment": comment})


@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _comment(slug, number)
    if not comment.is_published:
        raise Http404
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            posting.comment_report(
                comment=comment,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                poster=posters.poster(request),
            )
        except posting.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
            status = refusal.status
        else:
            messages.success(request, gettext("Thank you. A moderator will look at this comment."))
            # Not marked new: the highlight and the announcement are for the reader's own comment.
            response = redirect(_landing_url(comment, new=False))
            posters.remember_poster(request, response, name=None)
            return response
    context = {"article": article, "comment": comment, "form": form}
    return render(
        request, "articles/comment_report.html", context, status=_shown_again(form, status)
    )
