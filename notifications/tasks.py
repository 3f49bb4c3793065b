"""Tasks the worker (``manage.py db_worker``) runs for notifications."""

import logging

from django_tasks import task

from .mails import notifications_mail
from .models import MailMode, MailPreference, Notification

logger = logging.getLogger(__name__)


@task()
def reply_mail(*, notification_id: int) -> bool:
    """Mail one reply to an account that asked for each reply; True if a mail was queued.

    Read again here: the reply may have been removed, or the preference changed, since.
    """
    notification = (
        Notification.objects.shown()
        .select_related("reply__article", "recipient")
        .filter(pk=notification_id, mailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    preference = MailPreference.objects.filter(
        user=notification.recipient, mode=MailMode.EACH
    ).first()
    if preference is None:
        return False
    sent = notifications_mail(preference=preference, notifications=[notification], template="reply")
    if not sent:
        logger.info(
            "Reply mail to account %d not sent (no address, or over the hourly cap).",
            notification.recipient_id,
        )
    return sent
