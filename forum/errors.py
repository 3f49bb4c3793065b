"""The site's own error pages, in the reader's language, and the reader's text kept through them.

A comment form can fail for reasons outside the form: the CSRF cookie was cleared, the request is
larger than DATA_UPLOAD_MAX_MEMORY_SIZE, the database is briefly down. The reader then gets an
error page that shows their text again (escaped, in a textarea they can copy or send again),
never a blank error.
"""

import logging
import sys
from collections.abc import Callable
from urllib.parse import parse_qs

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import gettext

from articles.forms import form_token

logger = logging.getLogger(__name__)

# How long a reader is asked to wait when the database does not answer (a restart takes seconds).
RETRY_AFTER_SECONDS = 10
# A body over DATA_UPLOAD_MAX_MEMORY_SIZE is read up to this many bytes to give the text back;
# past it the reader is told the text was too long to show again.
KEPT_TEXT_READ_LIMIT = 4 * 1024 * 1024


class TooManyRequests(Exception):
    """Raised by a view that refuses a request for coming too often: answered with the 429 page."""


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (
            gettext("The request could not be understood"),
            gettext("Something in what your browser sent was not right. Please try again."),
        ),
        403: (
            gettext("Not allowed"),
            gettext("You are not allowed to do this."),
        ),
        404: (
            gettext("Page not found"),
            gettext("There is no page at this address. It may have been moved or removed."),
        ),
        429: (
            gettext("Too many requests"),
            gettext("You are sending requests too fast. Please wait a little and try again."),
        ),
        500: (
            gettext("Something went wrong"),
            gettext("The site failed to answer. The fault is ours; please try again later."),
        ),
        503: (
            gettext("Temporarily unavailable"),
            gettext("The site cannot answer right now. Please try again in a few seconds."),
        ),
    }


def _kept_fields(request: HttpRequest) -> dict[str, str]:
    """The comment text and name of a posted comment form, when the request carried one."""
    if request.method != "POST":
        return {}
    try:
        data = request.POST
    except Exception:  # the body was refused (too big) or cannot be read: nothing parsed
        return {}
    return _comment_fields(data)


def _comment_fields(data) -> dict[str, str]:
    if not data.get("body"):
        return {}
    return {name: data[name] for name in ("body", "author_name", "issued") if data.get(name)}


def _kept_fields_of_a_big_body(request: HttpRequest) -> tuple[dict[str, str], bool]:
    """Read a body refused as too big for the form's fields; (fields, whether it was too big)."""
    if request.content_type != "application/x-www-form-urlencoded":
        return {}, False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}, False
    if length > KEPT_TEXT_READ_LIMIT:
        return {}, True
    try:
        raw = request.read(length)
    except Exception:
        return {}, False
    data = parse_qs(raw.decode("ascii", "replace"), encoding=request.encoding or "utf-8")
    return _comment_fields({name: values[0] for name, values in data.items()}), False


class _RenderPlain(Exception):
    """Render without the request (error_page)."""


def error_page(
    request: HttpRequest,
    status: int,
    *,
    message: str = "",
    kept: dict[str, str] | None = None,
    text_lost: bool = False,
) -> HttpResponse:
    """The error page for this status, keeping the reader's posted text when there was one."""
    title, default_message = _titles()[status]
    kept = _kept_fields(request) if kept is None else kept
    if kept and status == 503 and not message:
        message = gettext(
            "Your comment was not saved: the site cannot reach its database right now. "
            "Please send it again in a few seconds."
        )
    context = {
        "status": status,
        "title": title,
        "message": message or default_message,
        "kept": kept,
        "text_lost": text_lost,
        "resend_url": request.path if kept else "",
        # After a 503 the form's own token goes back with it: if the post did commit after all
        # (the connection was lost during the COMMIT), sending it again cannot make a copy.
        "issued": (kept.get("issued") if status == 503 else None) or form_token() if kept else "",
        # Given here rather than by the request's context, which a plain page renders without.
        "csrf_token": get_token(request) if kept else "",
        "back_url": "/",
    }
    try:
        # With the request: the header knows who is signed in, and a resend form gets a CSRF
        # token. Pages for a failing database render without it (the session and the user live
        # there), as does any page whose request-aware rendering fails in turn.
        if status in (500, 503):
            raise _RenderPlain
        html = render_to_string("error.html", context, request=request)
    except Exception as error:
        if not isinstance(error, _RenderPlain):
            logger.exception("error page rendered without its request")
        html = render_to_string("error.html", {**context, "plain": True})
    response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        kept, too_big = _kept_fields_of_a_big_body(request)
        return error_page(
            request,
            400,
            message=gettext(
                "Your text is too long to be sent: a comment can be at most %(limit)d characters "
                "long. It is kept below so that you can shorten it."
            )
            % {"limit": settings.FORUM_COMMENT_MAX_LENGTH},
            kept=kept,
            text_lost=too_big,
        )
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A PermissionDenied raised with a message for readers says why.
    reason = str(exception) if exception is not None and exception.args else ""
    return error_page(request, 403, message=reason)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block: a database that failed outside a view (in a
    # middleware saving the session, say) is still a 503 to try again, not a fault of ours.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return error_page(request, 503)
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        message=gettext(
            "This form could not be checked, perhaps because your browser's cookies were "
            "cleared or the page was open for a long time. Please send it again."
        ),
    )


class ErrorPagesMiddleware:
    """Answer a database that does not answer with 503 and Retry-After, and TooManyRequests
    with 429: the site's pages, with the reader's text kept, instead of a bare 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("database unavailable: %s", exception, exc_info=exception)
            return error_page(request, 503)
        if isinstance(exception, TooManyRequests):
            return error_page(request, 429, message=str(exception) if exception.args else "")
        return None
