from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Comment


class NotificationQuerySet(models.QuerySet):
    def shown(self) -> "NotificationQuerySet":
        """Those whose reply every reader still sees: a reply hidden or removed takes its own,
        and so does one under a comment held again, or an article taken back to draft (or
        rescheduled)."""
        # Article.objects.published()'s conditions, as a join rather than a subquery;
        # Comment.objects.public()'s, on the reply.
        return self.filter(
            ~models.Exists(Comment.objects.held_above("reply__")),
            reply__status=Comment.Status.PUBLISHED,
            reply__article__status=Article.Status.PUBLISHED,
            reply__article__published_at__lte=timezone.now(),
        )

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A reply to an account's comment (answering it, or anchoring it with >>N)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # notification_recipient_idx leads with it
    )
    reply = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="+", verbose_name=_("reply")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When it went out by e-mail (on its own or in a digest): a digest leaves it out then.
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=("recipient", "-created_at"), name="notification_recipient_idx"),
            # The header's count: only unread ones have entries.
            models.Index(
                fields=("recipient",),
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=("recipient", "reply"), name="notification_once"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient_id} ← {self.reply_id}"


class MailMode(models.TextChoices):
    OFF = "off", _("no e-mail")
    EACH = "each", _("an e-mail for each reply")
    DIGEST = "digest", _("a daily digest")


class MailPreference(models.Model):
    """Whether, and how, an account hears of replies by e-mail; off unless it asks."""

    Mode = MailMode

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_mail",
        verbose_name=_("user"),
    )
    mode = models.CharField(
        _("e-mail for replies"), max_length=10, choices=MailMode, default=MailMode.OFF
    )
    # The language the reader chose the setting in: their mails are written in it.
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)

    class Meta:
        ordering = ("user",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=MailMode.values), name="mailpreference_mode_valid"
            ),
        ]
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:settings")


class SentMail(models.Model):
    """A notification mail sent to an account: what the hourly cap counts."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sent_at",)
        indexes = [models.Index(fields=("recipient", "sent_at"), name="sentmail_recipient_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.sent_at:%Y-%m-%d %H:%M}"
