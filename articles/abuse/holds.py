"""What holds a comment back for a moderator's approval instead of showing it at once."""

import functools
import re
import unicodedata

from django.conf import settings
from django.db.models import Q

from ..models import Article, Comment, Premoderation

URL_RE = re.compile(r"https?://", re.IGNORECASE)


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
    return not Comment.objects.filter(who).visible().exists()


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
