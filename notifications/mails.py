"""The notification mails: written in the reader's language, plain text and HTML, each with a
signed one-click unsubscribe link and the ``List-Unsubscribe`` headers (RFC 8058)."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from forum.mail import enqueue_mail

from .models import MailPreference, Notification, SentMail
from .unsubscribe import unsubscribe_token

EXCERPT_CHARS = 80


def absolute(path: str) -> str:
    return settings.FORUM_SITE_URL.rstrip("/") + path


def excerpt(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def _item(notification: Notification) -> dict:
    reply = notification.reply
    return {
        "who": reply.shown_name,
        "where": reply.article.title,
        "excerpt": excerpt(reply.body),
        "url": absolute(reply.get_absolute_url()),
    }


def notifications_mail(
    *, preference: MailPreference, notifications: list[Notification], template: str
) -> bool:
    """Queue one mail telling of ``notifications``; False if the hourly cap forbids it (or the
    account is inactive, or has no address).

    Run by the worker, in a transaction: the mail is queued when it commits, and the cap is
    counted from what committed before.
    """
    from .services import mail_allowed

    user = preference.user
    if not (user.is_active and user.email and notifications) or not mail_allowed(user_id=user.pk):
        return False
    unsubscribe = absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user.pk)]))
    with translation.override(preference.language):
        context = {
            "user": user,
            "items": [_item(n) for n in notifications],
            "unsubscribe_url": unsubscribe,
            "settings_url": absolute(reverse("notifications:settings")),
        }
        subject = render_to_string(f"notifications/mail/{template}_subject.txt", context)
        text = render_to_string(f"notifications/mail/{template}.txt", context)
        html = render_to_string(f"notifications/mail/{template}.html", context)
    now = timezone.now()
    with transaction.atomic():
        SentMail.objects.create(recipient=user, sent_at=now)
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(mailed_at=now)
        enqueue_mail(
            to=user.email,
            subject=" ".join(subject.split()),
            text=text,
            html=html,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    return True
