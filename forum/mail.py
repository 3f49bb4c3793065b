from django.conf import settings
from django.core.mail import EmailMultiAlternatives


def enqueue_mail(
    *, to: str, subject: str, text: str, html: str | None = None, headers: dict | None = None
) -> None:
    """Send one mail now (replaced by the task-queue version at merge)."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.send()
