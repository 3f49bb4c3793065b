"""E-mail leaves through the task queue, never inside a request.

``enqueue_mail`` is what the rest of the site calls (notifications, accounts' password reset and
e-mail change): once the caller's transaction commits, it queues ``send_mail``, which
``manage.py db_worker`` runs. A mail server that is down or refuses is tried again later, after
``FORUM_MAIL_RETRY_SECONDS`` doubled at each attempt, ``FORUM_MAIL_ATTEMPTS`` times in all; every
failure is logged. The backport's database backend does not retry a failed task by itself: a
failed attempt queues the next one, to run after the back-off, and then fails as the task it is
(its result, with the traceback, is kept in the queue's table).
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def enqueue_mail(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict | None = None,
) -> None:
    """Send one mail (plain text, and HTML when given) from the worker, once this commits."""
    # robust: what the caller committed stands even if the queue cannot be written to.
    transaction.on_commit(
        functools.partial(
            send_mail.enqueue,
            to=to,
            subject=subject,
            text=text,
            html=html,
            headers=headers or {},
        ),
        robust=True,
    )


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt ``attempt`` (1, 2…) before the next."""
    return timedelta(seconds=settings.FORUM_MAIL_RETRY_SECONDS * 2 ** (attempt - 1))


@task()
def send_mail(
    *, to: str, subject: str, text: str, html: str | None, headers: dict, attempt: int = 1
) -> None:
    """Send the mail; on failure, queue the next attempt (while any are left) and fail."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        if attempt >= settings.FORUM_MAIL_ATTEMPTS:
            logger.exception("Mail %r: attempt %d failed; giving up.", subject, attempt)
            raise
        delay = retry_delay(attempt)
        logger.warning(
            "Mail %r: attempt %d failed; trying again in %d s.",
            subject,
            attempt,
            delay.total_seconds(),
            exc_info=True,
        )
        send_mail.using(run_after=timezone.now() + delay).enqueue(
            to=to, subject=subject, text=text, html=html, headers=headers, attempt=attempt + 1
        )
        raise
