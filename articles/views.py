import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_http_methods, require_POST

from . import abuse, linked_data, posters, services
from .forms import CommentForm, ReportForm, SignupForm
from .models import Article, Comment, ImageCredit, Link, Section
from .querysets import ArticleQuerySet
from .text import quote_text, render_comment_body
from .threads import (
    MAX_DEPTH,
    Viewer,
    backlinks_for,
    body_html,
    layout,
    mark_new,
    markup_fingerprint,
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


def _article(slug: str, articles: ArticleQuerySet | None = None) -> Article:
    # The featured image is in the page's head (link previews), outside the cached article HTML.
    articles = Article.objects.all() if articles is None else articles
    return get_object_or_404(articles.published().select_related("featured_image"), slug=slug)


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
        return f"{base}c/{number}/" if 1 <= number <= article.last_comment_number else None

    return reply_url


def _article_body(article: Article) -> dict:
    """The article's blocks with the credits of the images after each, and its links."""
    credits = list(article.image_credits.all())
    after: dict[int, list[ImageCredit]] = {}
    for credit in credits:
        if credit.role == ImageCredit.Role.INLINE:
            after.setdefault(credit.after_paragraph, []).append(credit)
    links = list(article.links.all())
    blocks = article.blocks.select_related("image")
    return {
        "leading_credits": after.get(0, []),
        "body": [(block, after.get(block.position, [])) for block in blocks],
        "featured_credit": next((c for c in credits if c.role == ImageCredit.Role.FEATURED), None),
        "references": [link for link in links if link.kind == Link.Kind.REFERENCE],
        "related": [link for link in links if link.kind == Link.Kind.RELATED],
    }


ARTICLE_TEMPLATES = (
    "articles/_article.html",
    "articles/_image_credit.html",
    "articles/_picture.html",
    "articles/_image_source.html",
)
# _article_body, here, decides what the templates get.
ARTICLE_MARKUP = markup_fingerprint(
    __file__, *(get_template(name).origin.name for name in ARTICLE_TEMPLATES)
)


def _article_html(article: Article) -> SafeString:
    """The article itself as its page shows it, cached under its content version.

    Every write to what it shows gives the article a new version (Article.save and
    services.article_content_changed), so the cached copy is never stale; it saves the page
    three queries and most of its rendering.
    """
    key = (
        f"article:{ARTICLE_MARKUP}:{article.pk}:{article.content_version}:"
        f"{get_language()}:{get_current_timezone_name()}"
    )
    cache = caches["threads"]
    html = cache.get(key)
    if html is None:
        context = {"article": article, **_article_body(article)}
        html = render_to_string(ARTICLE_TEMPLATES[0], context)
        cache.set(key, html)
    return mark_safe(html)


def _article_page(
    request: HttpRequest, article: Article, form: CommentForm, **extra
) -> HttpResponse:
    order = request.GET.get("order", "oldest")
    if order not in THREAD_ORDERS:
        order = "oldest"
    # "Show all": every thread on one page, every level nested.
    show_all = request.GET.get("all") == "1"
    depth = SHOW_ALL_DEPTH if show_all else MAX_DEPTH
    roots = article.comments.filter(parent=None).order_by(*THREAD_ORDERS[order])
    per_page = SHOW_ALL_THREADS if show_all else THREADS_PER_PAGE
    page = Paginator(roots.values_list("tree_id", "thread_version"), per_page).get_page(
        request.GET.get("page")
    )
    threads = list(page.object_list)
    viewer = _viewer(request)
    if viewer.can_moderate:  # they see hidden and held comments: nothing from the cache
        personal = {tree_id for tree_id, _ in threads}
    else:
        personal = posters.personal_threads(request, [tree_id for tree_id, _ in threads])
    items = linked_data.ThreadItems(article, max_depth=depth)
    comments_html = threads_html(
        article, threads, max_depth=depth, viewer=viewer, personal=personal, on_load=items.remember
    )
    comment_count = getattr(article, "comment_count", None)
    if comment_count is None:  # a form shown again: the article was read without its count
        comment_count = article.comments.visible().count() if page.paginator.count else 0
    context = {
        "show_all": show_all,
        "article": article,
        "article_html": _article_html(article),
        "comments_html": mark_new(comments_html, _new_number(request)),
        "linked_data": linked_data.article_posting(
            request, article, comments=items.items(threads), comment_count=comment_count
        ),
        "page": page,
        "order": order,
        "orders": [
            ("oldest", gettext("Oldest first")),
            ("newest", gettext("Newest first")),
            ("replies", gettext("Most replies")),
        ],
        "form": form,
        "reply_form": CommentForm(
            initial={"author_name": posters.remembered_name(request)}, user=request.user
        ),
        **extra,
    }
    return render(request, "articles/article_detail.html", context, status=_status(form))


def _new_number(request: HttpRequest) -> int | None:
    """The number of the comment just posted, to highlight."""
    value = request.GET.get("new", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@follows_old_slugs
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        # With what the page's structured data names, in the same query.
        article = _article(slug, Article.objects.with_comment_count().select_related("author"))
    except Http404:
        if not request.user.has_perm("articles.view_article"):
            raise
        return _article_preview(request, get_object_or_404(Article, slug=slug))
    form = CommentForm(initial={"author_name": posters.remembered_name(request)}, user=request.user)
    return _article_page(request, article, form)


def _article_preview(request: HttpRequest, article: Article) -> HttpResponse:
    """A draft or scheduled article as readers will see it, for staff only; no comments yet."""
    context = {"article": article, "article_html": _article_html(article)}
    response = render(request, "articles/article_preview.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def _post(
    request: HttpRequest, article: Article, form: CommentForm, parent: Comment | None
) -> HttpResponse | None:
    """Save the posted comment and send the reader to it; None when the form must be shown again.

    A form shown again carries its status code in ``form.status_code``.
    """
    form.status_code = 400
    if not form.is_valid():
        return None
    if not article.comments_open:
        form.add_error(None, gettext("Comments on this article are closed."))
        return None
    if parent is not None and parent.status != Comment.Status.PUBLISHED:
        form.add_error(
            None, gettext("The comment you are replying to has been removed; you cannot reply.")
        )
        return None
    if "preview" in request.POST:
        form.status_code = 200
        return None
    user = request.user if request.user.is_authenticated else None
    ip_hash = abuse.request_ip_hash(request)
    check = abuse.check_poster(user=user, ip_hash=ip_hash)
    if (ban := check.ban) is not None:
        form.status_code = 403
        if ban.expires_at:
            until = date_format(timezone.localtime(ban.expires_at), "DATETIME_FORMAT")
            form.add_error(None, gettext("You may not comment until %(until)s.") % {"until": until})
        else:
            form.add_error(None, gettext("You may no longer comment on this site."))
        return None
    if check.too_fast:
        form.status_code = 429
        form.add_error(
            None,
            gettext("You are posting too fast. Please wait a little; your text is kept."),
        )
        return None
    body = form.cleaned_data["body"]
    poster_key = posters.poster_key(request)
    held = abuse.needs_approval(
        article=article, body=body, user=user, poster_key=poster_key, ip_hash=ip_hash
    )
    try:
        comment = services.comment_create(
            article=article,
            parent=parent,
            body=body,
            author_name=form.posting_name,
            user=user,
            poster_key=poster_key,
            ip_hash=ip_hash,
            status=Comment.Status.PENDING if held else Comment.Status.PUBLISHED,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None
    if held:
        messages.info(
            request,
            gettext("Thank you. Your comment will appear once a moderator has approved it."),
        )
    response = HttpResponseRedirect(_landing_url(comment))
    name = None if user else form.cleaned_data.get("author_name", "")
    posters.remember_poster(request, response, name=name)
    return response


def _status(form: CommentForm) -> int:
    if not form.is_bound:
        return 200
    form.refresh_token()
    return getattr(form, "status_code", 400 if form.errors else 200)


def _landing_url(comment: Comment) -> str:
    """Where a new comment shows, marked to be highlighted: its thread's page, or its own page."""
    article = comment.article
    if comment.level >= MAX_DEPTH:
        # Too deep for the article page: its own page shows it, under its ancestors.
        url = reverse("articles:comment_detail", args=[article.slug, comment.number])
        return f"{url}?new={comment.number}#c{comment.number}"
    # The thread's place among the article's threads, oldest first (the default order).
    earlier = comment.earlier_threads
    if earlier is None:
        first = Comment.objects.filter(tree_id=comment.tree_id, lft=1).values("number")
        earlier = article.comments.filter(parent=None, number__lt=Subquery(first)).count()
    page = earlier // THREADS_PER_PAGE + 1
    query = f"?page={page}&new={comment.number}" if page > 1 else f"?new={comment.number}"
    return f"{article.get_absolute_url()}{query}#c{comment.number}"


def _preview(request: HttpRequest, form: CommentForm, article: Article) -> dict:
    if "preview" in request.POST and form.is_valid() and not form.non_field_errors():
        return {
            "preview_html": render_comment_body(
                form.cleaned_data["body"], reply_url=_reply_url(article)
            ),
            "preview_name": form.posting_name,
        }
    return {}


@require_POST
def comment_post(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article(slug)
    form = CommentForm(request.POST, user=request.user)
    response = _post(request, article, form, parent=None)
    if response is not None:
        return response
    return _article_page(request, article, form, **_preview(request, form, article))


@require_http_methods(["GET", "POST"])
@follows_old_slugs
def comment_reply(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, parent = _comment(slug, number)
    if request.method == "POST":
        form = CommentForm(request.POST, user=request.user)
        response = _post(request, article, form, parent=parent)
        if response is not None:
            return response
    else:
        quote = "quote" in request.GET and parent.status == Comment.Status.PUBLISHED
        body = quote_text(parent.body) + "\n" if quote else ""
        initial = {"author_name": posters.remembered_name(request), "body": body}
        form = CommentForm(initial=initial, user=request.user)
    context = {
        "article": article,
        "parent": parent,
        "parent_html": _comment_html(article, parent),
        "form": form,
        **_preview(request, form, article),
    }
    return render(request, "articles/comment_reply.html", context, status=_status(form))


def _comment_html(article: Article, comment: Comment) -> SafeString | str:
    if comment.status != Comment.Status.PUBLISHED:
        return ""
    return body_html(comment, article_url=article.get_absolute_url())


@follows_old_slugs
def comment_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A comment's own page: its ancestors as context, then it with all its replies."""
    article, comment = _comment(slug, number)
    ancestors = list(comment.get_ancestors())
    subtree = list(
        comment.get_descendants(include_self=True).filter(level__lt=comment.level + MAX_DEPTH)
    )
    article_url = article.get_absolute_url()
    is_public = all(c.status != Comment.Status.PENDING for c in [*ancestors, comment])
    rows = layout(
        subtree,
        base_level=comment.level,
        article_url=article_url,
        backlinks=backlinks_for(article.pk, [c.number for c in subtree]),
        viewer=_viewer(request),
    )
    context = {
        "article": article,
        "comment": comment,
        # Context only: its reply counts would count replies that are not shown.
        "ancestors": layout(ancestors, article_url=article_url, collapsible=False),
        "parent": ancestors[-1] if ancestors else None,
        "root": ancestors[0] if ancestors else None,
        "rows": rows,
        "new": _new_number(request),
        # For link previews: what any reader sees of it (a held comment is not there for them).
        "is_public": is_public,
        "share_title": f"#{comment.number} · {article.title}",
        "share_text": comment.body if is_public and comment.status == "published" else "",
    }
    return render(request, "articles/comment_detail.html", context)


def _own_comment(request: HttpRequest, slug: str, number: int) -> tuple[Article, Comment]:
    article, comment = _comment(slug, number)
    if not posters.can_change(request, comment):
        raise PermissionDenied(
            gettext("Only its author can change a comment, for 15 minutes after posting.")
        )
    return article, comment


@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _own_comment(request, slug, number)
    initial = {"author_name": comment.author_name, "body": comment.body}
    # The name field follows the comment, not who is signed in now: an anonymous comment edited
    # after signing in must not take the account's name.
    author = request.user if comment.user_id else None
    form = CommentForm(request.POST or None, initial=initial, user=author)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        services.comment_edit(
            comment=comment,
            body=form.cleaned_data["body"],
            author_name=form.posting_name,
        )
        return redirect(_landing_url(comment))
    context = {"article": article, "comment": comment, "form": form}
    context.update(_preview(request, form, article))
    return render(request, "articles/comment_edit.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _own_comment(request, slug, number)
    if request.method == "POST":
        # Its author's own act: the status says it all; no moderator, no reason.
        services.comment_set_status(comment=comment, status=Comment.Status.DELETED, moderator=None)
        messages.success(request, gettext("Your comment has been deleted."))
        return redirect(_landing_url(comment))
    return render(request, "articles/comment_delete.html", {"article": article, "comment": comment})


@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    article, comment = _comment(slug, number)
    if comment.status != Comment.Status.PUBLISHED:
        raise Http404
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.report_create(
            comment=comment,
            reason=form.cleaned_data["reason"],
            detail=form.cleaned_data["detail"],
            reporter=request.user if request.user.is_authenticated else None,
            reporter_key=posters.poster_key(request),
        )
        messages.success(request, gettext("Thank you. A moderator will look at this comment."))
        response = redirect(_landing_url(comment))
        posters.remember_poster(request, response, name=None)
        return response
    context = {"article": article, "comment": comment, "form": form}
    return render(request, "articles/comment_report.html", context)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, gettext("Welcome! You are signed in."))
        return redirect(next_url or "articles:article_list")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
