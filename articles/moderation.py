"""Moderators' actions, each recorded in the moderation log: who, when, what and why.

They change comments only through ``articles.services``, as the site does.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from . import services
from .models import Article, Ban, Comment, CommentRevision, ModerationLog, Premoderation, Report
from .sql.locks import retrying

Action = ModerationLog.Action


def _target(comment: Comment) -> str:
    return f"#{comment.number} {comment.article.title}"[:300]


def _log(
    action: Action,
    *,
    moderator: AbstractBaseUser | None,
    comment: Comment | None = None,
    article: Article | None = None,
    reason: str = "",
    target: str = "",
    revision: CommentRevision | None = None,
) -> ModerationLog:
    return ModerationLog.objects.create(
        action=action,
        revision=revision,
        moderator=moderator,
        comment=comment,
        article=article or (comment.article if comment else None),
        target=target or (_target(comment) if comment else str(article)),
        reason=reason,
    )


def _resolve_reports(comment: Comment, *, moderator, resolution: str) -> None:
    Report.objects.filter(comment=comment, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator, resolution=resolution
    )
    Comment.objects.filter(pk=comment.pk).update(open_reports=0)
    comment.open_reports = 0


STATUS_ACTIONS = {
    Action.HIDE: Comment.Status.HIDDEN,
    Action.REMOVE: Comment.Status.REMOVED,
    Action.RESTORE: Comment.Status.PUBLISHED,
    Action.APPROVE: Comment.Status.PUBLISHED,
}


@retrying
def comment_moderate(
    *, comment: Comment, action: Action, moderator: AbstractBaseUser, reason: str = ""
) -> Comment:
    """Hide, remove, restore or approve a comment; its replies stay where they are."""
    with transaction.atomic():
        comment = services.comment_set_status(
            comment=comment, status=STATUS_ACTIONS[action], moderator=moderator, reason=reason
        )
        if action in (Action.HIDE, Action.REMOVE):
            _resolve_reports(comment, moderator=moderator, resolution=action.value)
        _log(action, moderator=moderator, comment=comment, reason=reason)
    return comment


def reports_dismiss(*, comment: Comment, moderator: AbstractBaseUser, reason: str = "") -> None:
    """Close a comment's open reports, leaving the comment as it is."""
    with transaction.atomic():
        _resolve_reports(comment, moderator=moderator, resolution=Action.DISMISS.value)
        _log(Action.DISMISS, moderator=moderator, comment=comment, reason=reason)


@retrying
def comment_subtree_delete(
    *, comment: Comment, moderator: AbstractBaseUser, reason: str = ""
) -> int:
    """Delete a comment with all its replies; return how many comments went."""
    with transaction.atomic():
        log = _log(Action.DELETE, moderator=moderator, comment=comment, reason=reason)
        count = services.comment_delete(comment=comment)
        log.target = f"{log.target} (+{count - 1})"[:300]
        log.save(update_fields=["target"])
    return count


@retrying
def comment_reparent(
    *, comment: Comment, parent: Comment | None, moderator: AbstractBaseUser, reason: str = ""
) -> Comment:
    """Move a comment (with its replies) under another comment of its article, or to the top."""
    with transaction.atomic():
        comment = services.comment_move(comment=comment, parent=parent)
        where = f"#{parent.number}" if parent else "—"
        _log(
            Action.MOVE,
            moderator=moderator,
            comment=comment,
            reason=reason,
            target=f"{_target(comment)} → {where}"[:300],
        )
    return comment


@retrying
def comment_correct(
    *, comment: Comment, body: str, author_name: str, moderator: AbstractBaseUser, reason: str = ""
) -> Comment:
    with transaction.atomic():
        comment = services.comment_edit(
            comment=comment, body=body, author_name=author_name, keep_revision=True
        )
        revision = comment.revisions.first()  # the one just kept
        _log(Action.EDIT, moderator=moderator, comment=comment, reason=reason, revision=revision)
    return comment


def author_edit_logged(*, comment: Comment) -> ModerationLog:
    """Record an author's edit (no moderator) beside the moderators' own: the text before it is
    kept on the comment's change page."""
    revision = comment.revisions.first()  # the one just kept
    return _log(Action.EDIT, moderator=None, comment=comment, revision=revision)


def poster_ban(
    *,
    comment: Comment,
    moderator: AbstractBaseUser,
    reason: str,
    until: datetime | None = None,
) -> Ban:
    """Ban the comment's poster: their account, or else the keyed hash of their address."""
    if not comment.user_id and not comment.ip_hash:
        raise ValidationError(
            gettext("Nothing identifies the poster of #%(number)d (an imported comment?).")
            % {"number": comment.number},
            code="poster_unknown",
        )
    with transaction.atomic():
        if comment.user_id:
            ban = Ban.objects.create(
                user_id=comment.user_id, reason=reason, created_by=moderator, expires_at=until
            )
        else:
            ban = Ban.objects.create(
                ip_hash=comment.ip_hash, reason=reason, created_by=moderator, expires_at=until
            )
        _log(Action.BAN, moderator=moderator, comment=comment, reason=reason)
    return ban


def article_comments_open(*, article: Article, is_open: bool, moderator: AbstractBaseUser) -> None:
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(comments_open=is_open)
        article.comments_open = is_open
        _log(Action.REOPEN if is_open else Action.CLOSE, moderator=moderator, article=article)


def ban_save(*, ban: Ban, moderator: AbstractBaseUser) -> Ban:
    """Save a ban made by hand in the admin; a new one is logged as the moderator's."""
    is_new = ban.pk is None
    with transaction.atomic():
        if is_new:
            ban.created_by = moderator
        ban.save()
        if is_new:
            _log(Action.BAN, moderator=moderator, target=str(ban)[:300], reason=ban.reason)
    return ban


def article_form_logged(
    *, article: Article, changed: list[str], moderator: AbstractBaseUser
) -> None:
    """Log what a save of the article's form changed of who may comment and how: comments
    closed or reopened, and its pre-moderation (the article is saved already)."""
    if "comments_open" in changed:
        action = Action.REOPEN if article.comments_open else Action.CLOSE
        _log(action, moderator=moderator, article=article)
    if "premoderation" in changed:
        policy = article.premoderation
        # Empty: the site-wide setting, named as the form's help text names it.
        shown = Premoderation(policy).label if policy else "FORUM_PREMODERATION"
        _log(
            Action.PREMODERATE,
            moderator=moderator,
            article=article,
            target=f"{article}: {shown}"[:300],
        )
