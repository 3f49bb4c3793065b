"""Every write to notifications and e-mail preferences.

Notifications are made inside the transaction that publishes the reply (``articles.events``),
so that a reply is never without its notification nor the other way round; their e-mails are
queued once it commits and written by the task worker (``notifications.tasks``).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from articles.models import Comment
from articles.text import reply_refs

from .models import MailMode, MailPreference, Notification, SentMail


def _answered_numbers(comment: Comment) -> set[int]:
    return {n for n in reply_refs(comment.body) if n < comment.number}


def on_comment_published(sender, *, comment: Comment, new: bool, **kwargs) -> None:
    replies_notify(reply=comment, new=new)


def replies_notify(*, reply: Comment, new: bool) -> list[Notification]:
    """Notify the active accounts whose published comments ``reply`` answers or anchors with >>N.

    One notification per account and reply, none for an account's own reply. ``new``: the reply
    was just posted, so it has no notifications yet (an approved or restored one may have).
    """
    numbers = _answered_numbers(reply)
    parent = reply.parent if "parent" in reply._state.fields_cache else None
    if parent is not None:
        numbers.discard(parent.number)
        if not numbers and (parent.user_id is None or parent.user_id == reply.user_id):
            return []  # the usual anonymous reply to an anonymous comment: nothing to read
    elif reply.parent_id is None and not numbers:
        return []
    answered = Q(number__in=numbers)
    if reply.parent_id is not None:
        answered |= Q(pk=reply.parent_id)
    targets = Comment.objects.filter(
        answered,
        article_id=reply.article_id,
        user__is_active=True,
        status=Comment.Status.PUBLISHED,
    )
    if reply.user_id is not None:
        targets = targets.exclude(user_id=reply.user_id)
    recipients = dict(targets.values_list("user_id", "user__notification_mail__mode"))
    if not new and recipients:
        done = Notification.objects.filter(reply=reply, recipient_id__in=recipients)
        for recipient_id in done.values_list("recipient_id", flat=True):
            del recipients[recipient_id]
    if not recipients:
        return []
    made = Notification.objects.bulk_create(
        Notification(recipient_id=user_id, reply=reply, created_at=reply.created_at)
        for user_id in sorted(recipients)
    )
    from . import tasks  # imported here: the task module needs the app registry ready

    for notification in made:
        if recipients[notification.recipient_id] == MailMode.EACH:
            transaction.on_commit(
                lambda pk=notification.pk: tasks.reply_mail.enqueue(notification_id=pk),
                robust=True,  # the reply stands whatever the queue does
            )
    return made


def unread_count(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient=user).unread().shown().count()


def notifications_mark_read(*, user: AbstractBaseUser, ids: list[int] | None = None) -> int:
    """Mark the account's notifications read (only ``ids`` when given); return how many."""
    unread = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def mail_preference_for(user: AbstractBaseUser) -> MailPreference:
    """The account's preference, as stored, or the default (not stored until changed)."""
    try:
        return user.notification_mail
    except MailPreference.DoesNotExist:
        return MailPreference(user=user)


def mail_preference_set(*, user: AbstractBaseUser, mode: MailMode, language: str) -> MailPreference:
    """Choose how the account hears of replies by e-mail; e-mail needs an address."""
    if mode != MailMode.OFF and not user.email:
        raise ValidationError(
            gettext("Add an e-mail address to your account before choosing e-mail."),
            code="no_email",
        )
    preference, _ = MailPreference.objects.update_or_create(
        user=user, defaults={"mode": mode, "language": language}
    )
    return preference


def mail_unsubscribe(*, user_id: int) -> None:
    """Turn the account's notification mail off (its unsubscribe link's one click)."""
    MailPreference.objects.filter(user_id=user_id).update(mode=MailMode.OFF)


def mail_allowed(*, user_id: int, now=None) -> bool:
    """Whether one more notification mail stays under the account's hourly cap."""
    now = now or timezone.now()
    sent = SentMail.objects.filter(recipient_id=user_id, sent_at__gt=now - timedelta(hours=1))
    return sent.count() < settings.FORUM_NOTIFICATION_MAILS_PER_HOUR
