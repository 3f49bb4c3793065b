"""Recognising a reader's browser across posts without storing who they are.

The browser keeps a random id in a signed cookie; comments and reports store only a keyed hash of
it. That is how an anonymous author may edit or delete their own comment for a while.
"""

import functools
import operator
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, unquote

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .abuse.addresses import request_ip_hash
from .models import Comment

POSTER_COOKIE = "forum_poster"
NAME_COOKIE = "forum_name"
COOKIE_AGE = 60 * 60 * 24 * 365
EDIT_WINDOW = timedelta(minutes=15)


def poster_id(request: HttpRequest) -> str:
    """The browser's poster id: from its cookie, or a new one (saved by ``remember_poster``)."""
    if not hasattr(request, "_poster_id"):
        request._poster_id = request.get_signed_cookie(POSTER_COOKIE, default=None, salt=__name__)
        request._poster_is_new = request._poster_id is None
        if request._poster_id is None:
            request._poster_id = uuid.uuid4().hex
    return request._poster_id


def poster_key(request: HttpRequest) -> str:
    """The keyed hash of the browser's poster id: what comments and reports store."""
    if not hasattr(request, "_poster_key"):
        request._poster_key = salted_hmac("articles.poster_key", poster_id(request)).hexdigest()
    return request._poster_key


@dataclass(frozen=True)
class Poster:
    """Who sends a post, an edit or a report, as far as the rules need to know."""

    account: AbstractBaseUser | None  # the signed-in reader's account, None for anyone else
    ip_hash: str  # the keyed hash of their address (``abuse.addresses``)
    key: str  # the keyed hash of their browser's poster id

    @property
    def is_staff(self) -> bool:
        return self.account is not None and self.account.is_staff


def poster(request: HttpRequest) -> Poster:
    """The reader sending this request."""
    account = request.user if request.user.is_authenticated else None
    return Poster(account=account, ip_hash=request_ip_hash(request), key=poster_key(request))


def remember_poster(request: HttpRequest, response: HttpResponse, *, name: str | None) -> None:
    """Keep the poster id, and the name they posted under, in their browser."""
    if getattr(request, "_poster_is_new", False):
        response.set_signed_cookie(
            POSTER_COOKIE,
            poster_id(request),
            salt=__name__,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    if name is not None:
        response.set_cookie(
            NAME_COOKIE,
            quote(name),
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )


def remembered_name(request: HttpRequest) -> str:
    return unquote(request.COOKIES.get(NAME_COOKIE, ""))[:50]


def is_author(request: HttpRequest, comment: Comment) -> bool:
    """Whether this request comes from the comment's author."""
    if comment.user_id is not None:
        return request.user.is_authenticated and request.user.pk == comment.user_id
    has_cookie = request.COOKIES.get(POSTER_COOKIE) is not None
    return has_cookie and bool(comment.poster_key) and comment.poster_key == poster_key(request)


def can_change(request: HttpRequest, comment: Comment) -> bool:
    """Whether the author may still edit or delete the comment (for EDIT_WINDOW after posting)."""
    return (
        comment.is_published
        and timezone.now() - comment.created_at <= EDIT_WINDOW
        and is_author(request, comment)
    )


def personal_threads(request: HttpRequest, tree_ids: list[int]) -> set[int]:
    """Which of these threads this reader sees differently from others (as ``is_author`` and
    ``can_change`` decide): their comments awaiting approval, and their comments still open to
    editing (whose links are theirs alone)."""
    ways = []
    if request.user.is_authenticated:
        ways.append(Q(user=request.user))
    if request.COOKIES.get(POSTER_COOKIE) is not None:
        ways.append(Q(user=None, poster_key=poster_key(request)))
    if not ways:
        return set()
    mine = Comment.objects.filter(tree_id__in=tree_ids).filter(functools.reduce(operator.or_, ways))
    mine = mine.filter(
        Q(status=Comment.Status.PENDING)
        | Q(status=Comment.Status.PUBLISHED, created_at__gte=timezone.now() - EDIT_WINDOW)
    )
    return set(mine.values_list("tree_id", flat=True).distinct())
