"""Protection from abuse: bans, rate limits, form traps and the words that hold a comment back.

Rate counts live in the database, so every app server process shares them.
"""

import functools
import ipaddress
import random
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from .models import Article, Ban, Comment, Premoderation, RateCounter
from .rows import from_row, pipelined, select_list, without_flush_wait

URL_RE = re.compile(r"https?://", re.IGNORECASE)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(text: str) -> Address | None:
    """An address as proxies write it: ``203.0.113.5``, ``203.0.113.5:4711``, ``[2001:db8::1]``,
    ``[2001:db8::1]:443`` or ``2001:db8::1``; None for anything else (``unknown``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, looking through the proxies we trust.

    X-Forwarded-For is read from the right: each trusted proxy appended the address it got the
    request from, so the first address from the right that is not a trusted proxy is the
    client's. Anything left of it could have been written by the client and is ignored. Should a
    trusted proxy hand over something that is no address, the request is put down to that proxy.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hop = _address(remote)
    proxies = _networks(tuple(settings.FORUM_TRUSTED_PROXIES))
    if hop is None or not any(hop in network for network in proxies):
        return str(hop) if hop is not None else remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for text in reversed([a for a in forwarded.split(",") if a.strip()]):
        address = _address(text)
        if address is None:
            break
        hop = address
        if not any(hop in network for network in proxies):
            break
    return str(hop)


def address_key(ip: str) -> str:
    """What bans and rate limits count by: an IPv4 address, or the /64 network of an IPv6 one
    (one subscriber's line; the host half is theirs to change at will)."""
    address = _address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address) if address is not None else ip


def ip_hash(ip: str) -> str:
    """A keyed hash of an address (its /64 for IPv6): stable enough to ban by, useless to anyone
    without the key."""
    return salted_hmac("articles.ip_hash", address_key(ip)).hexdigest()


def request_ip_hash(request: HttpRequest) -> str:
    if not hasattr(request, "_ip_hash"):
        request._ip_hash = ip_hash(client_ip(request))
    return request._ip_hash


def active_ban(*, user, ip_hash: str) -> Ban | None:
    """The ban in force on this user or address that lasts longest (for good before any other)."""
    connection = connections[Ban.objects.db]
    with connection.cursor() as cursor:
        return _send_ban_query(cursor, user=user, ip_hash=ip_hash)()


def _send_ban_query(cursor, *, user, ip_hash: str) -> Callable[[], Ban | None]:
    """Send ``active_ban``'s query on ``cursor``; return what reads its answer.

    Written out by hand because every post asks it: the ORM took longer to build this query
    than the database takes to answer it.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    connection = cursor.db
    quote = connection.ops.quote_name
    ip, user_column, expires = (
        quote(Ban._meta.get_field(name).column) for name in ("ip_hash", "user", "expires_at")
    )
    cursor.execute(
        f"SELECT {select_list(Ban, connection)} FROM {quote(Ban._meta.db_table)} "
        f"WHERE ({ip} = %s AND {ip} <> '' OR {user_column} = %s) "
        f"AND ({expires} IS NULL OR {expires} > %s) "
        f"ORDER BY {expires} IS NULL DESC, {expires} DESC LIMIT 1",
        [ip_hash, user_id, connection.ops.adapt_datetimefield_value(timezone.now())],
    )

    def read() -> Ban | None:
        row = cursor.fetchone()
        return None if row is None else from_row(Ban, row, connection)

    return read


# Rate limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def post_limits() -> list[Limit]:
    return [
        Limit(name, count, seconds) for name, (count, seconds) in settings.FORUM_RATE_LIMITS.items()
    ]


def rate_hit(key: str, limit: Limit) -> bool:
    """Count one event for key in the limit's current window; False once the limit is passed.

    One atomic step (an upsert in the database, INCR in Redis), so that two processes counting
    at once cannot both slip under the limit.
    """
    return rate_hits([(key, limit)])


def rate_hits(counted: list[tuple[str, Limit]]) -> bool:
    """``rate_hit`` for several keys and limits at once: False if any of them is passed.

    In the database, one upsert statement for all of them: one round trip and one commit.
    """
    if settings.FORUM_RATE_LIMIT_STORE == "cache":
        return all([_cache_hit(key, limit) for key, limit in counted])
    with connection.cursor() as cursor:
        return _send_rate_query(cursor, counted)()


def _send_rate_query(cursor, counted: list[tuple[str, Limit]]) -> Callable[[], bool]:
    """Send ``rate_hits``' upsert on ``cursor`` (the database store); return what reads its
    answer."""
    now = time.time()
    rows, params = [], []
    for key, limit in counted:
        start = int(now // limit.seconds) * limit.seconds
        window_start = datetime.fromtimestamp(start, tz=UTC)
        expires_at = window_start + timedelta(seconds=limit.seconds)
        rows.append("(%s, %s, %s, 1)")
        params += [
            f"{limit.name}:{key}",
            # As the ORM stores them, so that its queries (login_blocked, pruning) match.
            cursor.db.ops.adapt_datetimefield_value(window_start),
            cursor.db.ops.adapt_datetimefield_value(expires_at),
        ]
    table = RateCounter._meta.db_table
    # A count lost in a crash would not matter: its commit need not wait for the disk.
    cursor.execute(
        f"INSERT INTO {table} (key, window_start, expires_at, count) VALUES {', '.join(rows)} "
        f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 "
        f"RETURNING key, count{without_flush_wait(cursor.db)}",
        params,
    )

    def read() -> bool:
        counts = {key: count for key, count, *_ in cursor.fetchall()}
        if random.random() < 0.02:
            RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
        return all(counts[f"{limit.name}:{key}"] <= limit.count for key, limit in counted)

    return read


def _cache_hit(key: str, limit: Limit) -> bool:
    window = int(time.time() // limit.seconds)
    cache_key = f"rate:{limit.name}:{key}:{window}"
    cache.add(cache_key, 0, timeout=limit.seconds)  # SET NX with the window's lifetime
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between the two calls: this is the window's first event
        cache.add(cache_key, 1, timeout=limit.seconds)
        count = 1
    return count <= limit.count


def _post_counted(*, user, ip_hash: str) -> list[tuple[str, Limit]]:
    keys = [f"ip:{ip_hash}"]
    if user is not None and user.is_authenticated:
        keys.append(f"user:{user.pk}")
    # Every limit counts the attempt, so that hammering a full window keeps it full.
    return [(f"post:{key}", limit) for limit in post_limits() for key in keys]


def post_allowed(*, user, ip_hash: str) -> bool:
    """Count a post by this poster against every limit; False when one of them is passed."""
    return rate_hits(_post_counted(user=user, ip_hash=ip_hash))


@dataclass(frozen=True)
class PosterCheck:
    ban: Ban | None  # the ban in force, as active_ban finds it
    too_fast: bool  # whether the post went over a rate limit (it is counted regardless)


def check_poster(*, user, ip_hash: str) -> PosterCheck:
    """``active_ban`` and ``post_allowed`` at once, as every post asks them.

    With the rate counts in the database, both statements go in one round trip
    (``rows.pipelined``); a banned poster's attempt counts against their limits too.
    """
    counted = _post_counted(user=user, ip_hash=ip_hash)
    if settings.FORUM_RATE_LIMIT_STORE == "cache" or connection.vendor != "postgresql":
        # The ban read to its end first: on SQLite a write sent while a read is still open
        # fails at once ("database is locked") instead of waiting for the lock.
        return PosterCheck(
            ban=active_ban(user=user, ip_hash=ip_hash), too_fast=not rate_hits(counted)
        )
    # Each cursor stays open until its answer is read.
    with connection.cursor() as bans, connection.cursor() as counts:
        with pipelined(connection):
            ban = _send_ban_query(bans, user=user, ip_hash=ip_hash)
            allowed = _send_rate_query(counts, counted)
        return PosterCheck(ban=ban(), too_fast=not allowed())


LOGIN_LIMIT = Limit("login", 5, 15 * 60)


def login_failed(ip_hash: str) -> None:
    rate_hit(f"ip:{ip_hash}", LOGIN_LIMIT)


def login_blocked(ip_hash: str) -> bool:
    """Whether this address has failed to log in too often lately."""
    if settings.FORUM_RATE_LIMIT_STORE == "cache":
        window = int(time.time() // LOGIN_LIMIT.seconds)
        count = cache.get(f"rate:{LOGIN_LIMIT.name}:ip:{ip_hash}:{window}", 0)
        return count >= LOGIN_LIMIT.count
    start = int(time.time() // LOGIN_LIMIT.seconds) * LOGIN_LIMIT.seconds
    window_start = datetime.fromtimestamp(start, tz=UTC)
    counter = RateCounter.objects.filter(
        key=f"{LOGIN_LIMIT.name}:ip:{ip_hash}", window_start=window_start
    ).first()
    return counter is not None and counter.count >= LOGIN_LIMIT.count


# Form traps -------------------------------------------------------------------------------------

FORM_TOKEN_SALT = "articles.comment_form"


def form_token(issued_at: float | None = None) -> str:
    """A signed note of when a comment form was handed out."""
    return signing.dumps(issued_at if issued_at is not None else time.time(), salt=FORM_TOKEN_SALT)


def check_form_token(token: str) -> None:
    """Refuse a form sent back too fast for a person, too long after it was shown, or forged."""
    try:
        issued_at = float(signing.loads(token, salt=FORM_TOKEN_SALT))
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise ValidationError(
            gettext("This form could not be checked. Please post again."), code="form_invalid"
        ) from error
    age = time.time() - issued_at
    if age < settings.FORUM_FORM_MIN_SECONDS:
        raise ValidationError(
            gettext("That was fast. Please check your comment and post it again."),
            code="form_too_fast",
        )
    if age > settings.FORUM_FORM_MAX_SECONDS:
        raise ValidationError(
            gettext("This form has expired. Your text is kept: please post it again."),
            code="form_expired",
        )


# What holds a comment for approval --------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # each check of a post folds its body (and the banned words)
def normalise(text: str) -> str:
    """Text folded for matching: full- and half-width alike (NFKC), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def banned_words_in(text: str) -> list[str]:
    folded = normalise(text)
    return [word for word in settings.FORUM_BANNED_WORDS if normalise(word) in folded]


def link_count(text: str) -> int:
    return len(URL_RE.findall(normalise(text)))


def is_new_poster(*, user, poster_key: str, ip_hash: str) -> bool:
    """Whether this poster has no published comment yet."""
    if user is not None and user.is_authenticated:
        who = Q(user=user)
    else:
        who = Q(poster_key=poster_key) | Q(ip_hash=ip_hash)
    return not Comment.objects.filter(who, status=Comment.Status.PUBLISHED).exists()


def needs_approval(*, article: Article, body: str, user, poster_key: str, ip_hash: str) -> bool:
    """Whether a new comment waits in the approval queue instead of showing at once."""
    if banned_words_in(body) or link_count(body) > settings.FORUM_MAX_LINKS:
        return True
    policy = article.premoderation or settings.FORUM_PREMODERATION
    if policy == Premoderation.ALL:
        return True
    if policy == Premoderation.LINKS:
        return link_count(body) > 0
    if policy == Premoderation.FIRST:
        return is_new_poster(user=user, poster_key=poster_key, ip_hash=ip_hash)
    return False
