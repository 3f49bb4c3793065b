"""Rate limits: how many posts, reports, reactions, failed log-ins, sign-ups and account mails a
reader may send in a while.

Counts live where every app server process shares them: in Redis when the site has it, else in
the database (``settings.FORUM_RATE_LIMIT_STORE``). ``store()`` chooses between the two; the rest
of the forum asks its two questions, "count these and say whether they are within their limits"
and "how many so far", without knowing which store answers.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import Ban, RateCounter
from ..sql.bans import send_ban_query
from ..sql.instances import pipelined
from ..sql.rate_counters import send_rate_count
from .bans import active_ban


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int

    def window_start(self, now: float) -> int:
        return int(now // self.seconds) * self.seconds


Counted = list[tuple[str, Limit]]

# The share of counts that also delete the expired counters, so the table stays small without a
# scheduled job.
PRUNE_CHANCE = 0.02


class DatabaseStore:
    """Counts in the ``RateCounter`` table: one upsert for every count of an event."""

    def count(self, counted: Counted) -> bool:
        with connection.cursor() as cursor:
            return self.send_count(cursor, counted)()

    def send_count(self, cursor, counted: Counted) -> Callable[[], bool]:
        """Send ``count``'s upsert on ``cursor``; return what reads its answer."""
        now = time.time()
        rows = []
        for key, limit in counted:
            window_start = datetime.fromtimestamp(limit.window_start(now), tz=UTC)
            expires_at = window_start + timedelta(seconds=limit.seconds)
            rows.append((f"{limit.name}:{key}", window_start, expires_at))
        answer = send_rate_count(cursor, rows)

        def read() -> bool:
            counts = answer()
            if random.random() < PRUNE_CHANCE:
                RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
            return all(counts[f"{limit.name}:{key}"] <= limit.count for key, limit in counted)

        return read

    def so_far(self, key: str, limit: Limit) -> int:
        window_start = datetime.fromtimestamp(limit.window_start(time.time()), tz=UTC)
        counter = RateCounter.objects.filter(
            key=f"{limit.name}:{key}", window_start=window_start
        ).first()
        return 0 if counter is None else counter.count


class CacheStore:
    """Counts in the cache (Redis): INCR on a key that lives as long as its window."""

    def _key(self, key: str, limit: Limit) -> str:
        return f"rate:{limit.name}:{key}:{int(time.time() // limit.seconds)}"

    def count(self, counted: Counted) -> bool:
        return all([self._count_one(key, limit) for key, limit in counted])

    def _count_one(self, key: str, limit: Limit) -> bool:
        cache_key = self._key(key, limit)
        cache.add(cache_key, 0, timeout=limit.seconds)  # SET NX with the window's lifetime
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between the two calls: this is the window's first event
            cache.add(cache_key, 1, timeout=limit.seconds)
            count = 1
        return count <= limit.count

    def so_far(self, key: str, limit: Limit) -> int:
        return cache.get(self._key(key, limit), 0)


STORES = {"database": DatabaseStore(), "cache": CacheStore()}


def store() -> DatabaseStore | CacheStore:
    """Where the counts are kept, as the settings say."""
    return STORES[settings.FORUM_RATE_LIMIT_STORE]


def within_limit(key: str, limit: Limit) -> bool:
    """Count one event for key in the limit's current window; False once the limit is passed.

    One atomic step (an upsert in the database, INCR in Redis), so that two processes counting
    at once cannot both slip under the limit.
    """
    return within_limits([(key, limit)])


def within_limits(counted: Counted) -> bool:
    """``within_limit`` for several keys and limits at once: False if any of them is passed.

    In the database, one upsert statement for all of them: one round trip and one commit.
    """
    return store().count(counted)


def post_limits() -> list[Limit]:
    return [
        Limit(name, count, seconds) for name, (count, seconds) in settings.FORUM_RATE_LIMITS.items()
    ]


def reaction_limits() -> list[Limit]:
    return [
        Limit(name, count, seconds)
        for name, (count, seconds) in settings.FORUM_REACTION_RATE_LIMITS.items()
    ]


def counted_for(verb: str, *, user, ip_hash: str) -> Counted:
    """The counts one post (``verb`` "post"), report ("report") or reaction ("react") by this
    reader adds; a reaction against limits of its own."""
    keys = [f"ip:{ip_hash}"]
    if user is not None and user.is_authenticated:
        keys.append(f"user:{user.pk}")
    limits = reaction_limits() if verb == "react" else post_limits()
    # Every limit counts the attempt, so that hammering a full window keeps it full.
    return [(f"{verb}:{key}", limit) for limit in limits for key in keys]


@dataclass(frozen=True)
class PosterCheck:
    ban: Ban | None  # the ban in force, as active_ban finds it
    too_fast: bool  # whether the post went over a rate limit (it is counted regardless)
    also: Any = None  # the answer to check_poster's ``also``


def check_poster(
    *,
    user,
    ip_hash: str,
    verb: str = "post",
    also: Callable[[Any], Callable[[], Any]] | None = None,
) -> PosterCheck:
    """The ban in force on this reader, and whether this post (or report) goes over a limit.

    With the rate counts in the database, both statements go in one round trip
    (``sql.instances.pipelined``); a banned poster's attempt counts against their limits too.
    ``also`` sends one more read in that round trip (given a cursor, it sends its statement and
    returns what reads the answer): the caller's own question, asked of every post.
    """
    counted = counted_for(verb, user=user, ip_hash=ip_hash)
    counts = store()
    if not isinstance(counts, DatabaseStore) or connection.vendor != "postgresql":
        # Each read to its end first: on SQLite a write sent while a read is still open fails
        # at once ("database is locked") instead of waiting for the lock.
        answer = None
        if also is not None:
            with connection.cursor() as cursor:
                answer = also(cursor)()
        return PosterCheck(
            ban=active_ban(user=user, ip_hash=ip_hash),
            too_fast=not counts.count(counted),
            also=answer,
        )
    # Each cursor stays open until its answer is read.
    with connection.cursor() as asked, connection.cursor() as bans, connection.cursor() as counting:
        with pipelined(connection):
            answer = also(asked) if also is not None else None
            ban = send_ban_query(bans, user=user, ip_hash=ip_hash)
            allowed = counts.send_count(counting, counted)
        return PosterCheck(
            ban=ban(), too_fast=not allowed(), also=answer() if answer is not None else None
        )


def search_allowed(ip_hash: str) -> bool:
    """Count a search from this address; False once it goes over ``FORUM_SEARCH_LIMIT``."""
    count, seconds = settings.FORUM_SEARCH_LIMIT
    return within_limit(f"ip:{ip_hash}", Limit("search", count, seconds))


LOGIN_LIMIT = Limit("login", 5, 15 * 60)


def login_failed(ip_hash: str) -> None:
    within_limit(f"ip:{ip_hash}", LOGIN_LIMIT)


def login_blocked(ip_hash: str) -> bool:
    """Whether this address has failed to log in too often lately."""
    return store().so_far(f"ip:{ip_hash}", LOGIN_LIMIT) >= LOGIN_LIMIT.count


def _limit(name: str, setting: tuple[int, int]) -> Limit:
    count, seconds = setting
    return Limit(name, count, seconds)


def signup_allowed(ip_hash: str) -> bool:
    """Count a sign-up from this address; False once it goes over ``FORUM_SIGNUP_LIMIT``."""
    return within_limit(f"ip:{ip_hash}", _limit("signup", settings.FORUM_SIGNUP_LIMIT))


def account_mail_allowed(*, ip_hash: str | None, email: str) -> bool:
    """Count an account mail (password reset, address confirmation) asked from this address and
    sent to ``email``; False once either goes over its limit (nothing should be sent then).

    The recipient is counted by a keyed hash of the address, so the counts (in the database
    without Redis) hold no e-mail address; the limit per recipient keeps a stranger from
    flooding someone's inbox from many client addresses.
    """
    recipient = salted_hmac("articles.account_mail", email.strip().lower()).hexdigest()
    counted = [
        (f"to:{recipient}", _limit("account_mail_to", settings.FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT))
    ]
    if ip_hash is not None:
        limit = _limit("account_mail_from", settings.FORUM_ACCOUNT_MAIL_CLIENT_LIMIT)
        counted.append((f"ip:{ip_hash}", limit))
    return within_limits(counted)
