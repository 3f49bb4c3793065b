"""The names a reader may not post under: those of accounts, and those the site keeps for staff."""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from .holds import normalise


def is_staff_name(name: str) -> bool:
    """Whether ``name`` holds one of the names the site keeps for its staff."""
    folded = normalise(name)
    return any(normalise(word) in folded for word in settings.FORUM_RESERVED_NAMES)


def is_reserved_name(name: str, *, account: AbstractBaseUser | None) -> bool:
    """Whether ``name`` belongs to someone other than ``account``.

    Names are compared as readers see them alike: full- and half-width, upper and lower case
    (NFKC, case-folded). A staff name (``FORUM_RESERVED_NAMES``: 管理人 and the like) is refused
    anywhere in a name, to anyone but staff; an account's name is refused whole, to anyone else.
    """
    if not name:
        return False
    folded = normalise(name)
    if account is not None and normalise(account.get_username()) == folded:
        return False
    is_staff = account is not None and account.is_staff
    if not is_staff and is_staff_name(name):
        return True
    users = get_user_model()
    # Account names are stored NFKC (AbstractBaseUser.normalize_username).
    lookup = {f"{users.USERNAME_FIELD}__iexact": unicodedata.normalize("NFKC", name)}
    others = users._default_manager.filter(**lookup)
    if account is not None:
        others = others.exclude(pk=account.pk)
    return others.exists()
