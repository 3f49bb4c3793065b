"""Every write to articles' comments: views, the admin and the importer all call these.

Each function validates first, then runs in one short transaction that holds the lock of every
comment tree it touches (see ``articles.locking``). Instances read before the lock may be stale, so
the tree nodes involved are re-read under it.
"""

from collections import defaultdict
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext
from mptt.exceptions import InvalidMove

from . import locking
from .models import (
    AUTHOR_NAME_MAX_LENGTH,
    COMMENT_BODY_MAX_LENGTH,
    Article,
    Comment,
    ReplyRef,
    Report,
)
from .text import reply_refs


def validate_comment_body(body: str) -> None:
    """Raise ValidationError unless the body can be stored: not empty, not too long."""
    if not body.strip():
        raise ValidationError(gettext("Write something first."), code="body_empty")
    if len(body) > COMMENT_BODY_MAX_LENGTH:
        raise ValidationError(
            gettext(
                "A comment can be at most %(limit)d characters long (this one has %(length)d)."
            ),
            code="body_too_long",
            params={"limit": COMMENT_BODY_MAX_LENGTH, "length": len(body)},
        )


def validate_comment_text(*, body: str, author_name: str) -> None:
    """Raise ValidationError unless the body and the name can be stored."""
    errors: dict[str, ValidationError] = {}
    try:
        validate_comment_body(body)
    except ValidationError as error:
        errors["body"] = error
    if len(author_name) > AUTHOR_NAME_MAX_LENGTH:
        errors["author_name"] = ValidationError(
            gettext("A name can be at most %(limit)d characters long."),
            code="name_too_long",
            params={"limit": AUTHOR_NAME_MAX_LENGTH},
        )
    if errors:
        raise ValidationError(errors)


def _defer_nested_set_checks() -> None:
    """On PostgreSQL, check the nested sets' uniqueness at commit rather than per statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SET CONSTRAINTS comment_unique_tree_lft, comment_unique_tree_rght DEFERRED"
            )


def _lock_comment(comment_id: int) -> Comment:
    """Lock the tree holding this comment and return the comment as it stands under that lock."""
    tree_id = Comment.objects.filter(pk=comment_id).values_list("tree_id", flat=True).first()
    while tree_id is not None:
        locking.lock_trees([tree_id])
        fresh = Comment.objects.filter(pk=comment_id).first()
        if fresh is not None and fresh.tree_id == tree_id:
            return fresh
        # Moved to another tree (or deleted) between the read and the lock: follow it.
        tree_id = fresh.tree_id if fresh is not None else None
    raise ValidationError(gettext("That comment no longer exists."), code="comment_missing")


def _next_comment_number(article: Article) -> int:
    """Hand out the article's next comment number.

    In a transaction of its own, so that the article row is locked only for this instant and the
    tree locks alone order the tree writes; a post that fails afterwards leaves a gap.
    """
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            last_comment_number=F("last_comment_number") + 1
        )
        number = (
            Article.objects.filter(pk=article.pk)
            .values_list("last_comment_number", flat=True)
            .get()
        )
    article.last_comment_number = number
    return number


def _check_same_article(parent: Comment | None, article: Article) -> None:
    if parent is not None and parent.article_id != article.pk:
        raise ValidationError(
            gettext("You can only reply to a comment on the same article."),
            code="parent_other_article",
        )


def _save_reply_refs(comment: Comment, *, new: bool) -> None:
    """Record the earlier comments this one answers with >>N, for their back-links."""
    numbers = [n for n in reply_refs(comment.body) if n < comment.number]
    if not new:
        ReplyRef.objects.filter(source=comment).exclude(target_number__in=numbers).delete()
    if not numbers:
        return
    ReplyRef.objects.bulk_create(
        [ReplyRef(article_id=comment.article_id, source=comment, target_number=n) for n in numbers],
        ignore_conflicts=True,
    )


def comment_create(
    *,
    article: Article,
    parent: Comment | None = None,
    body: str,
    author_name: str = "",
    user: AbstractBaseUser | None = None,
    created_at: datetime | None = None,
    seed_index: int | None = None,
    poster_key: str = "",
    ip_hash: str = "",
    status: Comment.Status = Comment.Status.PUBLISHED,
) -> Comment:
    """Post a comment on the article: a new thread, or the last reply to ``parent``."""
    validate_comment_text(body=body, author_name=author_name)
    _check_same_article(parent, article)
    number = _next_comment_number(article)
    with transaction.atomic():
        if parent is None:
            locking.lock_trees([None])
        else:
            parent = _lock_comment(parent.pk)
            _check_same_article(parent, article)
        comment = Comment(
            article=article,
            parent=parent,
            number=number,
            body=body,
            author_name=author_name,
            user=user,
            created_at=created_at or timezone.now(),
            seed_index=seed_index,
            poster_key=poster_key,
            ip_hash=ip_hash,
            status=status,
        )
        comment.save()
        _save_reply_refs(comment, new=True)
    return comment


def comment_move(*, comment: Comment, parent: Comment | None) -> Comment:
    """Make ``comment`` (with its replies) the last reply to ``parent``, or a thread of its own."""
    with transaction.atomic():
        comment = _lock_comment(comment.pk)
        if parent is None:
            if comment.is_root_node():
                return comment
            locking.lock_trees([None])
        else:
            parent = _lock_comment(parent.pk)
            if parent.article_id != comment.article_id:
                raise ValidationError(
                    gettext("A comment can only be moved within its own article."),
                    code="parent_other_article",
                )
            if parent.pk == comment.parent_id:
                return comment
            # Locking the parent's tree may have waited for a move of this comment.
            comment = _lock_comment(comment.pk)
        try:
            Comment.objects.move_node(comment, parent, "last-child")
        except InvalidMove as error:
            raise ValidationError(
                gettext("A comment cannot be moved under one of its own replies."),
                code="move_into_own_subtree",
            ) from error
    return comment


def comment_edit(*, comment: Comment, body: str, author_name: str) -> Comment:
    """Replace a comment's text and name; its place in the tree stays."""
    validate_comment_text(body=body, author_name=author_name)
    comment.body, comment.author_name = body, author_name
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(body=body, author_name=author_name)
        _save_reply_refs(comment, new=False)
    return comment


def comment_delete(*, comment: Comment) -> int:
    """Delete the comment and every reply under it; return how many comments went."""
    with transaction.atomic():
        comment = _lock_comment(comment.pk)
        _defer_nested_set_checks()  # django-mptt closes the gap before it deletes the rows
        count = comment.get_descendant_count() + 1
        comment.delete()
    return count


def comment_set_status(
    *,
    comment: Comment,
    status: Comment.Status,
    moderator: AbstractBaseUser | None,
    reason: str = "",
) -> Comment:
    """Publish, hide or remove a comment, recording who did it, when and why; replies stay."""
    with transaction.atomic():
        comment = _lock_comment(comment.pk)
        comment.status = status
        comment.moderated_at = timezone.now()
        comment.moderated_by = moderator
        comment.moderation_reason = reason
        comment.save(update_fields=["status", "moderated_at", "moderated_by", "moderation_reason"])
    return comment


def report_create(
    *,
    comment: Comment,
    reason: Report.Reason,
    detail: str = "",
    reporter: AbstractBaseUser | None = None,
    reporter_key: str,
) -> Report:
    """Record a reader's report on a comment; the same reader reporting again updates it."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .filter(comment=comment, reporter_key=reporter_key)
            .first()
        )
        opens = report is None or report.resolved_at is not None
        report = report or Report(comment=comment, reporter_key=reporter_key)
        report.reason, report.detail, report.reporter = reason, detail, reporter
        report.resolved_at = report.resolved_by = None
        report.resolution = ""
        report.save()
        if opens:
            Comment.objects.filter(pk=comment.pk).update(open_reports=F("open_reports") + 1)
    return report


def _tree_fields(node: Comment) -> tuple[int, int, int, int]:
    return (node.tree_id, node.lft, node.rght, node.level)


def comment_trees_rebuild(*, article: Article) -> int:
    """Rebuild the article's comment trees from the parent links; return how many rows changed.

    The parent links are the truth: each comment with no parent is a tree of its own, and replies
    are ordered by number. Used to repair trees that something wrote to without the lock.
    """
    with transaction.atomic():
        tree_ids = set(article.comments.values_list("tree_id", flat=True))
        locking.lock_trees([*tree_ids, None])
        _defer_nested_set_checks()  # rows swap places
        nodes = list(article.comments.order_by("number"))
        before = {node.pk: _tree_fields(node) for node in nodes}
        children: dict[int | None, list[Comment]] = defaultdict(list)
        for node in nodes:
            children[node.parent_id].append(node)
        next_tree_id = (Comment.objects.aggregate(Max("tree_id"))["tree_id__max"] or 0) + 1
        used_tree_ids: set[int] = set()

        for root in children[None]:
            tree_id = root.tree_id
            if tree_id in used_tree_ids:
                tree_id, next_tree_id = next_tree_id, next_tree_id + 1
            used_tree_ids.add(tree_id)
            # Depth-first without recursion: a reply chain can be thousands deep.
            counter = 0
            stack: list[tuple[Comment, int, bool]] = [(root, 0, False)]
            while stack:
                node, level, leaving = stack.pop()
                counter += 1
                if leaving:
                    node.rght = counter
                    continue
                node.tree_id, node.lft, node.level = tree_id, counter, level
                stack.append((node, level, True))
                stack.extend((child, level + 1, False) for child in reversed(children[node.pk]))
        changed = [node for node in nodes if _tree_fields(node) != before[node.pk]]
        Comment.objects.bulk_update(changed, ["tree_id", "lft", "rght", "level"], batch_size=500)
    return len(changed)
