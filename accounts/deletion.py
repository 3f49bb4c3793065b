"""Deleting an account: its comments stay in their threads as anonymous, nothing else is kept."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from articles import services
from articles.sql.locks import retrying


@retrying
def account_delete(*, user: AbstractBaseUser) -> None:
    """Anonymise the account's comments and delete it, in one transaction.

    One transaction, under the comment trees' locks, so that no comment of the account is
    posted between the two and left with its name. What else pointed at the account goes with
    it (its bans) or forgets it (reports it made, moderation it did: SET_NULL). Its sessions
    name an account that no longer exists, so they log nobody in.
    """
    with transaction.atomic():
        services.comments_anonymize(user=user)
        user.delete()
