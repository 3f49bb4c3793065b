from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def unread_notifications(request: HttpRequest) -> dict:
    """The header's count of unread notifications: one query, and only on a page that shows it
    to a logged-in reader (lazy; pages for readers without an account never ask)."""
    from .services import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
