"""Who reacted to which comment, and how. The counts are kept on the comment itself
(``Comment.agree_count`` and the rest), where pages read them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Comment


class ReactionKind(models.TextChoices):
    AGREE = "agree", _("Agree")
    INSIGHTFUL = "insightful", _("Insightful")
    DISAGREE = "disagree", _("Disagree")


# The Comment field that counts each kind.
COUNT_FIELDS = {
    ReactionKind.AGREE: "agree_count",
    ReactionKind.INSIGHTFUL: "insightful_count",
    ReactionKind.DISAGREE: "disagree_count",
}


class Reaction(models.Model):
    """One reader's reaction to one comment: an account's, or an anonymous browser's."""

    Kind = ReactionKind

    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        related_name="reactions",
        db_index=False,  # reaction_comment_address_idx below leads with it
        verbose_name=_("comment"),
    )
    kind = models.CharField(_("reaction"), max_length=10, choices=Kind)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    # As comments store them (articles.posters): a keyed hash of the browser's random id, and
    # of the address it reacted from; neither identifies anyone.
    poster_key = models.CharField(_("poster key"), max_length=64, blank=True)
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ("comment", "created_at")
        indexes = [
            # A comment's reactions (deleting it deletes them), and how many readers behind one
            # address reacted to it.
            models.Index(fields=("comment", "ip_hash"), name="reaction_comment_address_idx"),
        ]
        constraints = [
            # One reaction per reader per comment; reader first: a page asks for a reader's own.
            models.UniqueConstraint(
                fields=("user", "comment"),
                condition=models.Q(user__isnull=False),
                name="reaction_one_per_account",
            ),
            models.UniqueConstraint(
                fields=("poster_key", "comment"),
                condition=models.Q(user__isnull=True),
                name="reaction_one_per_browser",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(poster_key=""),
                name="reaction_has_reader",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReactionKind.values), name="reaction_kind_valid"
            ),
        ]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.comment_id}"
