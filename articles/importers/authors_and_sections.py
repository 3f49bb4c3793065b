"""An imported post's author and category as the forum's byline account and section.

Both are found again by a later import (the account by its user name, the section by its slug or
name), so that importing twice makes nothing twice.

An author is a staff account, as the admin's byline field wants: the site's own account with the
author's WordPress login, or, when there is none, one made for the byline alone, inactive and
without a password, so that nobody can log in with it. A reader's account that happens to have
the login as its user name is never taken: the byline is then left empty and the summary says so.
"""

from dataclasses import dataclass
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.utils.text import slugify

from ..models import Section

NAME_MAX_LENGTH = 150  # django.contrib.auth's first_name and username
SECTION_MAX_LENGTH = 100


@dataclass(frozen=True)
class AuthorData:
    login: str  # the account's user name
    name: str = ""  # the byline; empty: none shown


@dataclass(frozen=True)
class SectionData:
    slug: str  # may be percent-encoded (WordPress's nicename)
    name: str


def author_account(data: AuthorData) -> AbstractBaseUser | None:
    """The staff account the article's byline names, made the first time; None when the login
    is a reader's user name."""
    user_model = get_user_model()
    username = data.login.strip()[:NAME_MAX_LENGTH]
    if not username:
        return None
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, first_name=data.name[:NAME_MAX_LENGTH], is_staff=True)
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return user if user.is_staff else None


def section(data: SectionData) -> Section | None:
    """The section of that slug (or, failing that, of that name), made the first time."""
    name = data.name.strip()[:SECTION_MAX_LENGTH]
    slug = unquote(data.slug).strip()[:SECTION_MAX_LENGTH].strip("-_")
    try:
        validate_unicode_slug(slug)
    except ValidationError:
        slug = slugify(name, allow_unicode=True)[:SECTION_MAX_LENGTH].strip("-_")
    if not slug or not name:
        return None
    found = Section.objects.filter(slug=slug).first() or Section.objects.filter(name=name).first()
    return found or Section.objects.create(slug=slug, name=name)
