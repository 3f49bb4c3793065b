"""Slugs made from article titles: readable where the title allows, Japanese included."""

import secrets
from collections.abc import Callable

from django.utils.text import slugify

SLUG_MAX_LENGTH = 100
# Room left for a "-N" that makes a slug unique.
BASE_MAX_LENGTH = 80


def slug_from_title(title: str) -> str:
    """A readable unicode slug of the title (日本の防衛費-増額), or a short random one (a-1f2e3d4c).

    Japanese punctuation goes (it is not a word character); kanji and kana stay, since browsers
    show them in the address bar. A title with nothing usable gets a random id, which the article
    then keeps.
    """
    slug = slugify(title, allow_unicode=True)[:BASE_MAX_LENGTH].strip("-_")
    return slug or f"a-{secrets.token_hex(4)}"


def unique_slug(base: str, *, taken: Callable[[str], bool]) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is not taken."""
    slug, n = base, 1
    while taken(slug):
        n += 1
        slug = f"{base[: SLUG_MAX_LENGTH - len(str(n)) - 1]}-{n}"
    return slug
