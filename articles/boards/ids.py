"""Daily poster IDs (日替わりID): one poster, one article, one day in Japan, one ID.

Stored on the comment when it is written (``Comment.daily_id``), not computed when a page is
rendered: the day is the day it was posted, so the ID never changes later, not even when the
key (or the address hashing's) is changed; old threads keep reading the same. Storing it costs
eight characters a comment, and it is no more revealing than the keyed address hash stored
beside it. Whether IDs are shown is decided when the thread is rendered (``shown_for``), and the
cached thread HTML is keyed by that decision.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from ..models import Article
from .codes import keyed_code

ID_LENGTH = 8
# The boards' day starts at midnight in Japan, whatever the server's time zone.
DAY_ZONE = ZoneInfo("Asia/Tokyo")


def daily_id(*, article_id: int, user_id: int | None, ip_hash: str, posted_at: datetime) -> str:
    """The poster's ID in this article on the Japan-time day of ``posted_at``: by their account
    when they have one, else by the keyed hash of their address; empty when neither is known (a
    comment imported without an address)."""
    if user_id is not None:
        poster = f"user:{user_id}"
    elif ip_hash:
        poster = f"address:{ip_hash}"
    else:
        return ""
    day = posted_at.astimezone(DAY_ZONE).date().isoformat()
    return keyed_code(
        "articles.boards.daily_id",
        f"{article_id}:{day}:{poster}",
        secret=settings.FORUM_DAILY_ID_SECRET,
        length=ID_LENGTH,
    )


def shown_for(article: Article) -> bool:
    """Whether the article's comments show their IDs (and the thread starter's mark)."""
    return settings.FORUM_DAILY_IDS and article.daily_ids
