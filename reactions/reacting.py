"""What a reader's reaction to a comment is subject to, and the reaction itself, in one place.

The rules, in order: the comment there for every reader (a held one, or one under a held one,
is not there: 404; a removed, hidden or deleted one takes no reactions: 403) and its article open
for comments; the reader not banned and within the reactions' rate limits; one reaction per
reader per comment, and at most ``FORUM_REACTIONS_PER_ADDRESS`` anonymous readers behind one
address. A rule that refuses raises ``articles.posting.Refused``, as a post's rules do.

A reaction is no comment-tree write (it never touches ``lft``/``rght``), so it takes no tree
lock: it locks the comment's row instead, which orders it with a moderator's status change of
the same comment and with other readers' reactions to it, and keeps the counts exact.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from articles.abuse import limits
from articles.models import Comment
from articles.posters import Poster
from articles.posting import Refused
from articles.sql import locks
from articles.sql.locks import retrying

from . import sql
from .models import COUNT_FIELDS, Reaction, ReactionKind
from .scores import wilson_lower_bound


@dataclass(frozen=True)
class Reacted:
    counts: dict[str, int]  # each kind's count, after the reaction
    mine: str | None  # the reader's reaction now: None once withdrawn


def _refuse_comment(*, status: str, held_above: bool, comments_open: bool) -> None:
    if status == Comment.Status.PENDING or held_above:
        raise Refused(gettext("This comment does not exist."), code="not_found", status=404)
    if status != Comment.Status.PUBLISHED:
        raise Refused(
            gettext("This comment has been removed; it takes no reactions."),
            code="comment_gone",
            status=403,
        )
    if not comments_open:
        raise Refused(
            gettext("Comments on this article are closed; so are reactions."),
            code="closed",
            status=403,
        )


def _check_reader(poster: Poster) -> None:
    """Refuse a banned reader, or one over a reaction rate limit (the attempt counts anyway)."""
    check = limits.check_poster(user=poster.account, ip_hash=poster.ip_hash, verb="react")
    if (ban := check.ban) is not None:
        if ban.expires_at:
            until = date_format(timezone.localtime(ban.expires_at), "DATETIME_FORMAT")
            message = gettext("You may not react until %(until)s.") % {"until": until}
        else:
            message = gettext("You may no longer react on this site.")
        raise Refused(message, code="banned", status=403)
    if check.too_fast:
        raise Refused(
            gettext("You are reacting too fast. Please wait a little."),
            code="too_fast",
            status=429,
        )


def reaction_toggle(*, comment: Comment, kind: str, poster: Poster) -> Reacted:
    """React to a comment; the same reaction again withdraws it, another one replaces it.

    ``comment`` comes with its article. Raise Refused when the rules say no.
    """
    if kind not in ReactionKind.values:
        raise Refused(gettext("Choose a reaction."), code="invalid")
    comments_open = comment.article.comments_open
    _refuse_comment(status=comment.status, held_above=False, comments_open=comments_open)
    _check_reader(poster)
    with transaction.atomic():
        row = sql.lock_comment(comment.pk, poster)
        if row is None:  # deleted meanwhile
            raise Refused(gettext("This comment does not exist."), code="not_found", status=404)
        # Again, as it stands under the lock: a moderator may have acted meanwhile.
        _refuse_comment(status=row.status, held_above=row.held_above, comments_open=comments_open)
        counts = row.counts
        if row.mine_id is None:
            _refuse_crowded_address(row.same_address, poster)
            Reaction.objects.create(
                comment_id=comment.pk,
                kind=kind,
                user=poster.account,
                poster_key="" if poster.account is not None else poster.key,
                ip_hash=poster.ip_hash,
            )
            counts[kind] += 1
            mine_now: str | None = kind
        elif row.mine_kind == kind:
            Reaction.objects.filter(pk=row.mine_id).delete()
            counts[kind] -= 1
            mine_now = None
        else:
            counts[row.mine_kind] -= 1
            counts[kind] += 1
            Reaction.objects.filter(pk=row.mine_id).update(kind=kind)
            mine_now = kind
        score = wilson_lower_bound(counts[ReactionKind.AGREE], counts[ReactionKind.DISAGREE])
        sql.write_counts(comment.pk, counts, score)
    return Reacted(counts={str(k): v for k, v in counts.items()}, mine=mine_now)


def _refuse_crowded_address(same_address: int, poster: Poster) -> None:
    """Refuse one more anonymous reader's reaction from an address that has given many."""
    if poster.account is None and same_address >= settings.FORUM_REACTIONS_PER_ADDRESS:
        raise Refused(
            gettext(
                "Many readers at your address have reacted to this comment already. "
                "Sign in to react."
            ),
            code="address_full",
            status=429,
        )


@retrying
def reactions_withdraw_all(*, user) -> int:
    """Take back every reaction of an account that is being deleted, as if it had withdrawn each:
    the comments' counts and scores lose them. Return how many there were.

    It changes many comment rows, so it holds their trees' locks first: a reply (which shifts a
    tree's rows under its lock) cannot then interleave with it and deadlock. It runs inside the
    account's deletion, after other tree locks may have been taken: it never waits for one
    (LockConflict: the deletion starts again).
    """
    with transaction.atomic():
        reacted_to = Comment.objects.filter(reactions__user=user)
        locks.hold_trees(reacted_to.values_list("tree_id", flat=True), wait=False)
        taken = list(Reaction.objects.filter(user=user).values_list("pk", "comment_id", "kind"))
        rows = (
            Comment.objects.filter(pk__in={comment_id for _, comment_id, _ in taken})
            .order_by("pk")  # locked in one order, as every other writer locks them
            .select_for_update(no_key=True)
            .values_list("pk", *COUNT_FIELDS.values())
        )
        counts = {pk: dict(zip(COUNT_FIELDS, row, strict=True)) for pk, *row in rows}
        for _pk, comment_id, kind in taken:
            counts[comment_id][kind] -= 1
        for comment_id, by_kind in counts.items():
            score = wilson_lower_bound(by_kind[ReactionKind.AGREE], by_kind[ReactionKind.DISAGREE])
            sql.write_counts(comment_id, by_kind, score)
        Reaction.objects.filter(pk__in=[pk for pk, _, _ in taken]).delete()
    return len(taken)
