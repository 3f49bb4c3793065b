"""Deleting an account: its comments stay in their threads as anonymous, nothing else is kept."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from articles.sql.locks import retrying


@retrying
def account_delete(*, user: AbstractBaseUser) -> None:
    """Delete the account; its comments stay in their threads as 名無しさん.

    One transaction: the delete's pre_delete signal (accounts.signals) anonymises the comments
    under their trees' locks first, so no comment of the account is posted in between and left
    with its name. What else pointed at the account goes with it (its bans) or forgets it
    (reports it made, moderation it did: SET_NULL). Its sessions name an account that no longer
    exists, so they log nobody in.
    """
    with transaction.atomic():
        user.delete()
