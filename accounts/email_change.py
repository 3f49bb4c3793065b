"""Changing an account's e-mail address: a signed, expiring link sent to the new address.

The address changes only when the link is followed. The link carries the account, the new
address and the address it had when the link was made, so that it is spent once the address
has changed (and works for nobody else).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template import loader
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from forum.mail import enqueue_mail

from .forms import validate_email_free

SALT = "accounts.email_change"


def _address_mark(email: str) -> str:
    return salted_hmac(SALT, email.lower()).hexdigest()[:16]


def email_change_token(*, user: AbstractBaseUser, email: str) -> str:
    """A signed, timestamped token asking to give ``user`` the address ``email``."""
    return signing.dumps([user.pk, email, _address_mark(user.email)], salt=SALT)


def email_change_request(*, request: HttpRequest, user: AbstractBaseUser, email: str) -> None:
    """Send the link that confirms the new address to that address."""
    token = email_change_token(user=user, email=email)
    context = {
        "user": user,
        "email": email,
        "url": request.build_absolute_uri(reverse("accounts:email_confirm", args=[token])),
        "days": settings.ACCOUNTS_EMAIL_CHANGE_DAYS,
    }
    enqueue_mail(
        to=email,
        subject=gettext("Confirm your new e-mail address"),
        text=loader.render_to_string("accounts/email_change_email.txt", context),
    )


def _invalid() -> ValidationError:
    return ValidationError(
        gettext("This link is not valid: it has expired or been used. Please ask for a new one."),
        code="link_invalid",
    )


def _read(token: str) -> tuple[int, str, str]:
    """The account id, new address and old address mark a token holds; or ValidationError."""
    try:
        user_id, email, mark = signing.loads(
            token, salt=SALT, max_age=settings.ACCOUNTS_EMAIL_CHANGE_DAYS * 24 * 3600
        )
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise _invalid() from error
    return user_id, email, mark


def email_change_check(*, token: str) -> str:
    """The new address a token asks for, while it may still be confirmed (nothing changes)."""
    user_id, email, mark = _read(token)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or _address_mark(user.email) != mark:
        raise _invalid()
    return email


def email_change_confirm(*, token: str) -> AbstractBaseUser:
    """Give the account the address the token names; raise ValidationError if it cannot."""
    user_id, email, mark = _read(token)
    try:
        with transaction.atomic():
            user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
            if user is None or not user.is_active or _address_mark(user.email) != mark:
                raise _invalid()
            validate_email_free(email, besides=user)
            user.email = email
            user.save(update_fields=["email"])
    except IntegrityError as error:  # another account took it meanwhile (the unique index)
        raise ValidationError(
            gettext("This address belongs to another account."), code="email_taken"
        ) from error
    return user
