"""Trip codes: a name written ``name#secret`` is posted as ``name ◆AbCdEfGhIj``.

The code is a keyed hash of the secret (``FORUM_TRIP_SECRET``), so the same secret gives the same
code on any day and article, and the secret itself is never stored: only the name with its code
is. ``◆`` in a typed name becomes ``◇``, so that only a secret can give a name its ``◆``.
Anonymous posts only: a signed-in reader posts under their account name, which proves more.
"""

from django.conf import settings
from django.utils.translation import gettext

from .codes import keyed_code

TRIP_MARK = "◆"
FORGED_MARK = "◇"
TRIP_LENGTH = 10
# A secret longer than this proves nothing more; the name field takes a name, "#" and this much.
SECRET_MAX_LENGTH = 64
# "#" as typed on a Japanese keyboard too.
TRIP_SIGNS = ("#", "＃")


def split_name(typed: str) -> tuple[str, str]:
    """The name and the trip secret of a typed name (the secret empty when it has none)."""
    cut = min((i for i in (typed.find(sign) for sign in TRIP_SIGNS) if i >= 0), default=-1)
    if cut < 0:
        return typed, ""
    return typed[:cut], typed[cut + 1 :]


def name_part(typed: str) -> str:
    """The name a typed name shows, without its secret and with no ``◆`` of its own."""
    return split_name(typed)[0].strip().replace(TRIP_MARK, FORGED_MARK)


def trip_code(secret: str) -> str:
    """The code a secret gives, the same on every post."""
    return keyed_code(
        "articles.boards.trip", secret, secret=settings.FORUM_TRIP_SECRET, length=TRIP_LENGTH
    )


def posted_name(typed: str) -> str:
    """The name to store for a typed name: ``name ◆code`` when it carries a secret."""
    name, secret = split_name(typed)
    name = name_part(typed)
    if not secret:
        return name
    code = f"{TRIP_MARK}{trip_code(secret)}"
    return f"{name} {code}" if name else code


def shown_name(author_name: str) -> str:
    """The name readers see for a stored name: 名無しさん ("Anonymous") when there is none, and
    before a trip code posted without a name (``#secret`` alone), as boards show it."""
    if not author_name:
        return gettext("Anonymous")
    if author_name.startswith(TRIP_MARK):
        return f"{gettext('Anonymous')} {author_name}"
    return author_name
