"""The daily digest: one mail per account that chose it, telling of the replies it has not read
and no mail has told it of yet. Run once a day by ``manage.py send_notification_digests``
(from cron, or a systemd timer: README)."""

from .mails import notifications_mail
from .models import MailMode, MailPreference, Notification

# A digest tells of the newest replies; the rest are on /notifications/.
DIGEST_MAX_ITEMS = 50


def digests_send() -> int:
    """Queue every due digest; return how many mails were queued."""
    sent = 0
    preferences = MailPreference.objects.filter(mode=MailMode.DIGEST, user__is_active=True).exclude(
        user__email=""
    )
    for preference in preferences.select_related("user").iterator():
        pending = list(
            Notification.objects.shown()
            .unread()
            .filter(recipient_id=preference.user_id, mailed_at__isnull=True)
            .select_related("reply__article")[:DIGEST_MAX_ITEMS]
        )
        if pending and notifications_mail(
            preference=preference, notifications=pending, template="digest"
        ):
            sent += 1
    return sent
