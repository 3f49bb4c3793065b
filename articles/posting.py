"""What a reader's post, edit or report is subject to, decided in one place.

Every rule is applied here, once, in this order: the article open for comments, the comment
answered still there, the name not someone else's; then a form sent before answers with the
comment it created; then the reader not banned, not over a rate limit, and whether the comment
shows at once or waits for a moderator. A rule that refuses raises
``Refused``, which says why (in the reader's language), with a code and the HTTP status to answer
with. Views turn a form into a call here and the answer into a response; the writes themselves
are ``articles.services``'.
"""

import functools
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from . import moderation, services
from .abuse import holds, limits, names
from .boards import trips
from .models import AUTHOR_NAME_MAX_LENGTH, Article, Comment, Report, UsedFormToken
from .posters import Poster
from .sql.form_tokens import send_used_form_query
from .sql.locks import retrying


class Refused(Exception):
    """A post, edit or report the rules do not allow, and why."""

    def __init__(self, message: str, *, code: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.field = message, code, status, field


@dataclass(frozen=True)
class Posted:
    comment: Comment
    held: bool  # waits for a moderator's approval
    # For a reply: how many of the article's threads started before its own (None: not known).
    earlier_threads: int | None = None
    # The form had been sent before: this is the comment it created then, nothing new was saved.
    repeated: bool = False


def _refused(error: ValidationError) -> Refused:
    """A write the services refused (the comment answered went meanwhile, say)."""
    return Refused(" ".join(error.messages), code=getattr(error, "code", None) or "invalid")


def comment_may_post(*, article: Article, parent: Comment | None) -> None:
    """Refuse a post the article or the comment answered does not allow (previews ask too)."""
    if not article.comments_open:
        raise Refused(gettext("Comments on this article are closed."), code="closed")
    if parent is not None and not parent.is_published:
        raise Refused(
            gettext("The comment you are replying to has been removed; you cannot reply."),
            code="parent_gone",
        )


def name_may_be_used(*, author_name: str, poster: Poster) -> None:
    """Refuse a name that is an account's or the site staff's, to anyone else."""
    if poster.account is None:
        author_name = trips.name_part(author_name)
    if names.is_reserved_name(author_name, account=poster.account):
        raise Refused(
            gettext("This name is reserved. Please choose another."),
            code="name_reserved",
            field="author_name",
        )


def posted_name(*, author_name: str, poster: Poster) -> str:
    """The name a post is stored under: refused if it is someone else's (its trip secret left
    out), and for an anonymous poster with the trip code its ``#secret`` gives (``boards.trips``).
    """
    name_may_be_used(author_name=author_name, poster=poster)
    if poster.account is not None:  # a signed-in reader posts under their account name
        return author_name
    name = trips.posted_name(author_name)
    if len(name) > AUTHOR_NAME_MAX_LENGTH:
        raise Refused(
            gettext(
                "With its trip code, this name is too long: keep it to %(limit)d characters "
                "before the #."
            )
            % {"limit": AUTHOR_NAME_MAX_LENGTH - len(f" {trips.TRIP_MARK}") - trips.TRIP_LENGTH},
            code="name_too_long",
            field="author_name",
        )
    return name


def _check_poster(poster: Poster, *, verb: str, form_key: str = "") -> Posted | None:
    """Refuse a banned reader, or one over a rate limit (the attempt is counted regardless).

    With ``form_key``, a form sent before answers with the comment it created instead; asked in
    the same round trip, as every post asks it.
    """
    also = functools.partial(send_used_form_query, form_key=form_key) if form_key else None
    check = limits.check_poster(user=poster.account, ip_hash=poster.ip_hash, verb=verb, also=also)
    if check.also:
        return _posted_before(check.also[0])
    if (ban := check.ban) is not None:
        if ban.expires_at:
            until = date_format(timezone.localtime(ban.expires_at), "DATETIME_FORMAT")
            message = gettext("You may not comment until %(until)s.") % {"until": until}
        else:
            message = gettext("You may no longer comment on this site.")
        raise Refused(message, code="banned", status=403)
    if check.too_fast:
        raise Refused(
            gettext("You are posting too fast. Please wait a little; your text is kept."),
            code="too_fast",
            status=429,
        )
    return None


def _held(*, article: Article, body: str, poster: Poster) -> bool:
    return holds.needs_approval(
        article=article,
        body=body,
        user=poster.account,
        poster_key=poster.key,
        ip_hash=poster.ip_hash,
    )


def _already_posted(form_key: str) -> Posted | None:
    """The comment this form created when it was sent before; None if it was not."""
    used = UsedFormToken.objects.filter(key=form_key).values_list("comment_id", flat=True)
    return _posted_before(used[0]) if used else None


def _posted_before(comment_id: int | None) -> Posted:
    """The comment a form sent before created, as its post answers."""
    comment = Comment.objects.select_related("article").filter(pk=comment_id).first()
    if comment is None:  # sent before, and its comment since deleted
        raise Refused(gettext("This form has already been sent."), code="form_used")
    held = comment.status == Comment.Status.PENDING
    return Posted(comment=comment, held=held, repeated=True)


# The share of posts that also forget the old used forms, so the table stays small without a
# scheduled job.
PRUNE_CHANCE = 0.01


def _prune_used_tokens() -> None:
    """Forget forms older than any form still accepted (they are refused as expired anyway)."""
    if random.random() < PRUNE_CHANCE:
        too_old = timezone.now() - timedelta(seconds=settings.FORUM_FORM_MAX_SECONDS)
        UsedFormToken.objects.filter(created_at__lt=too_old).delete()


def comment_post(
    *,
    article: Article,
    parent: Comment | None,
    body: str,
    author_name: str,
    poster: Poster,
    form_key: str = "",
) -> Posted:
    """Post a reader's comment or reply, as the rules allow; raise Refused when they do not.

    ``form_key`` (``forms.check_form_token``) records the form as used: sent again, it answers
    with the comment it already created, whether the first answer reached the reader or not.
    """
    comment_may_post(article=article, parent=parent)
    author_name = posted_name(author_name=author_name, poster=poster)
    if (posted := _check_poster(poster, verb="post", form_key=form_key)) is not None:
        return posted
    held = _held(article=article, body=body, poster=poster)
    try:
        comment, earlier_threads = services.comment_create_placed(
            article=article,
            parent=parent,
            body=body,
            author_name=author_name,
            user=poster.account,
            poster_key=poster.key,
            ip_hash=poster.ip_hash,
            status=Comment.Status.PENDING if held else Comment.Status.PUBLISHED,
            by_staff=poster.is_staff,
            form_key=form_key,
        )
    except ValidationError as error:
        raise _refused(error) from error
    except IntegrityError:
        # The same form, sent twice at once: the other request saved its comment first.
        if form_key and (posted := _already_posted(form_key)) is not None:
            return posted
        raise
    _prune_used_tokens()
    return Posted(comment=comment, held=held, earlier_threads=earlier_threads)


def comment_edit(*, comment: Comment, body: str, author_name: str, poster: Poster) -> Posted:
    """Change a reader's own comment, under the rules a post is under; raise Refused if not.

    The text before is kept for moderators; an edit that a post would have been held for sends
    the comment back to the approval queue.
    """
    comment_may_post(article=comment.article, parent=None)
    # A name sent back as it is keeps its trip code: its ◆ came from a secret before.
    if author_name != comment.author_name:
        author_name = posted_name(author_name=author_name, poster=poster)
    _check_poster(poster, verb="post")
    held = _held(article=comment.article, body=body, poster=poster)
    try:
        comment = _edit_logged(comment=comment, body=body, author_name=author_name, held=held)
    except ValidationError as error:
        raise _refused(error) from error
    return Posted(comment=comment, held=held)


@retrying
def _edit_logged(*, comment: Comment, body: str, author_name: str, held: bool) -> Comment:
    with transaction.atomic():
        comment = services.comment_edit(
            comment=comment,
            body=body,
            author_name=author_name,
            keep_revision=True,
            status=Comment.Status.PENDING if held else None,
        )
        moderation.author_edit_logged(comment=comment)
    return comment


def comment_report(
    *, comment: Comment, reason: Report.Reason, detail: str, poster: Poster
) -> Report:
    """Report a comment to the moderators, once per reader; raise Refused when the rules say no."""
    _check_poster(poster, verb="report")
    report = dict(
        comment=comment,
        reason=reason,
        detail=detail,
        reporter=poster.account,
        reporter_key=poster.key,
        ip_hash=poster.ip_hash,
    )
    try:
        return services.report_create(**report)
    except IntegrityError:
        # The same reader reporting twice at once: the other report is there now, update it.
        return services.report_create(**report)
