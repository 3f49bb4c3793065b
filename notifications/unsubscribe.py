"""The signed token of a mail's one-click unsubscribe link: it names the account, and only the
site can make one (Django's signing, with the secret key)."""

from django.core import signing

SALT = "notifications.unsubscribe"


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=SALT)


def user_id_from_token(token: str) -> int | None:
    """The account the token was made for; None for a token the site did not sign."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
