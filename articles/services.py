"""Every write to articles' comments: views, the admin and the importer all call these.

Each function validates first, then runs in one short transaction that holds the lock of every
comment tree it touches (see ``articles.sql.locks``). Instances read before the lock may be
stale, so the tree nodes involved are re-read under it.
"""

import contextlib
import functools
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from .boards.ids import daily_id
from .events import comment_published
from .models import (
    AUTHOR_NAME_MAX_LENGTH,
    COMMENT_BODY_MAX_LENGTH,
    Article,
    ArticleRedirect,
    Comment,
    CommentRevision,
    DeletedImport,
    ReplyRef,
    Report,
    UsedFormToken,
    new_version,
)
from .sql import comments as comments_sql
from .sql import instances, locks
from .sql.locks import retrying
from .text import clean_comment_text, render_stored_body, reply_refs


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


def _lock_comments(*comment_ids: int, new_tree: bool = False) -> list[Comment]:
    """Lock the trees holding these comments, all at once, and return them as they stand then.

    Taking every lock in one go (in order) keeps two writers needing the same trees from
    deadlocks. A comment moved to another tree between the read and the lock is followed.
    """
    chosen = Comment.objects.filter(pk__in=comment_ids)
    locks.hold_trees(chosen.values_list("tree_id", flat=True), new_tree=new_tree)
    fresh = chosen.in_bulk()
    if len(fresh) < len(set(comment_ids)):
        raise ValidationError(gettext("That comment no longer exists."), code="comment_missing")
    return [fresh[pk] for pk in comment_ids]


def _lock_comment(comment_id: int) -> Comment:
    """Lock the tree holding this comment and return the comment as it stands under that lock."""
    return _lock_comments(comment_id)[0]


def _next_comment_number(article: Article, *, as_reader: bool) -> int:
    """Hand out the article's next comment number; to a reader only while comments are open.

    One statement, outside the tree write's transaction: called outside any transaction (as for a
    reader's post) it commits at once, so the article row is locked only for an instant and the
    tree locks alone order the tree writes. A post that fails afterwards leaves a gap.
    """
    number = comments_sql.take_comment_number(article.pk, even_if_closed=not as_reader)
    if number is None:
        raise ValidationError(
            gettext("Comments on this article are closed."), code="comments_closed"
        )
    article.last_comment_number = number
    return number


def _bump_threads(tree_ids: Iterable[int]) -> None:
    """Give these threads new versions: whatever was cached of them is out of date."""
    tree_ids = set(tree_ids)
    if tree_ids:
        Comment.objects.filter(tree_id__in=tree_ids, lft=1).update(thread_version=new_version())


def _bump_threads_answered(article_id: int, numbers: Iterable[int], *, besides: int) -> None:
    """After commit, new versions for the threads holding these comments (their back-links).

    Not inside the writer's transaction: it holds only its own tree's lock, and taking root rows
    of other trees there could deadlock with a writer in one of them doing the same. A reader in
    the instant before this runs may still see the cached thread without the new back-link.
    """
    numbers = set(numbers)
    if not numbers:
        return

    def bump() -> None:
        trees = Comment.objects.filter(article_id=article_id, number__in=numbers).exclude(
            tree_id=besides
        )
        # One thread per statement (each its own transaction), so that this never holds one
        # first comment's row while waiting for another's, and cannot deadlock with a move.
        for tree_id in sorted(set(trees.values_list("tree_id", flat=True))):
            _bump_threads([tree_id])

    # robust: the post is in; should this fail, the cached copy expires (RENDERED_CACHE_TIMEOUT).
    transaction.on_commit(bump, robust=True)


def _publicity_changed(comment: Comment, *, public_below: bool) -> None:
    """Raise the article's ``publicity_seq``: what readers see of comments already numbered
    changed, which open pages learn from their next poll (``live.arrivals``). With
    ``public_below``, the comment and its replies are stamped with the new value, so that the
    poll sends those that are now public (approved, or no longer under a held comment).

    In the writer's transaction, under its tree lock: a poll sees the new value and the change
    together, or neither.
    """
    articles = Article.objects.filter(pk=comment.article_id)
    articles.update(publicity_seq=F("publicity_seq") + 1)
    if public_below:
        seq = articles.values_list("publicity_seq", flat=True).get()
        Comment.objects.filter(
            tree_id=comment.tree_id, lft__gte=comment.lft, lft__lte=comment.rght
        ).update(public_since_seq=seq)


def _render(comment: Comment) -> None:
    comment.body_html = render_stored_body(
        comment.body, article_url=comment.article.get_absolute_url(), number=comment.number
    )


def _check_same_article(parent: Comment | None, article: Article) -> None:
    if parent is not None and parent.article_id != article.pk:
        raise ValidationError(
            gettext("You can only reply to a comment on the same article."),
            code="parent_other_article",
        )


def _save_reply_refs(comment: Comment, *, new: bool) -> None:
    """Record the earlier comments this one answers with >>N, for their back-links."""
    numbers = _answered(comment)
    article_id = comment.article_id
    refs = [ReplyRef(article_id=article_id, source=comment, target_number=n) for n in numbers]
    if new and len(refs) == 1:
        # The usual case, cannot collide: bulk_create cost more than the insert it made.
        instances.insert(refs[0], connection)
        return
    if not new:
        ReplyRef.objects.filter(source=comment).exclude(target_number__in=numbers).delete()
    ReplyRef.objects.bulk_create(refs, ignore_conflicts=True)


def _answered(comment: Comment) -> list[int]:
    """The numbers of the earlier comments this one answers with >>N."""
    return [n for n in reply_refs(comment.body) if n < comment.number]


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
    by_staff: bool = False,
    form_key: str = "",
) -> Comment:
    """Post a comment on the article: a new thread, or the last reply to ``parent``.

    Readers may only reply to a published comment on an article open for comments; the importer
    (``seed_index`` given) writes what the seed says.
    """
    comment, _ = comment_create_placed(
        article=article,
        parent=parent,
        body=body,
        author_name=author_name,
        user=user,
        created_at=created_at,
        seed_index=seed_index,
        poster_key=poster_key,
        ip_hash=ip_hash,
        status=status,
        by_staff=by_staff,
        form_key=form_key,
    )
    return comment


def comment_create_placed(
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
    by_staff: bool = False,
    form_key: str = "",
) -> tuple[Comment, int | None]:
    """``comment_create``, also saying for a reply how many of the article's threads started
    before its own (read under the lock anyway, it saves the page that shows it a query).

    With ``form_key``, the form that sent it is recorded as used in the same transaction
    (``UsedFormToken``): a second comment from the same form raises IntegrityError.
    """
    body, author_name = clean_comment_text(body), clean_comment_text(author_name).strip()
    validate_comment_text(body=body, author_name=author_name)
    _check_same_article(parent, article)
    created_at = created_at or timezone.now()
    comment = Comment(
        article=article,
        body=body,
        author_name=author_name,
        user=user,
        created_at=created_at,
        seed_index=seed_index,
        poster_key=poster_key,
        ip_hash=ip_hash,
        daily_id=daily_id(
            article_id=article.pk,
            user_id=user.pk if user is not None else None,
            ip_hash=ip_hash,
            posted_at=created_at,
        ),
        status=status,
        by_staff=by_staff,
    )
    as_reader = seed_index is None
    comment.number = _next_comment_number(article, as_reader=as_reader)
    _render(comment)
    return _insert(comment, parent, as_reader=as_reader, form_key=form_key)


@retrying
def _insert(
    comment: Comment, parent: Comment | None, *, as_reader: bool, form_key: str
) -> tuple[Comment, int | None]:
    earlier_threads, held_above = None, False
    with transaction.atomic():
        if parent is None:
            locks.lock_trees([None])
            comment.save()  # django-mptt gives it the next tree id; it has a new thread_version
            _save_reply_refs(comment, new=True)
            if form_key:
                UsedFormToken.objects.create(key=form_key, comment=comment)
        else:
            earlier_threads, held_above = _insert_reply(
                comment, parent, as_reader=as_reader, form_key=form_key
            )
        # A reply under a held comment shows to nobody yet: it is announced once that is approved.
        if as_reader and comment.status == Comment.Status.PUBLISHED and not held_above:
            comment_published.send(sender=Comment, comment=comment, new=True)
    # Answering the parent (the usual >>N) changes only this thread.
    answered = _answered(comment)
    if parent is not None:
        answered = [n for n in answered if n != parent.number]
    _bump_threads_answered(comment.article_id, answered, besides=comment.tree_id)
    return comment, earlier_threads


def _insert_reply(
    comment: Comment, parent: Comment, *, as_reader: bool, form_key: str
) -> tuple[int, bool]:
    """Make ``comment`` the last reply to ``parent``, under its tree's lock; return how many of
    the article's threads started before its own, and whether a comment above it is held.

    The lock, the parent's place, making room, the insert, its usual single >>N reference and the
    record of the form that sent it (``form_key``) go to the database in one round trip
    (``instances.pipelined``): making room and the insert take the parent's place from its row as
    they run, and do nothing unless the parent is still in the locked tree. What the place says
    is looked at afterwards: a parent gone, or removed when a reader replies, refuses the reply
    (the transaction undoes what was written); one moved to another tree meanwhile has that tree
    locked too (without waiting, as it is out of order: see retrying()) and everything is sent
    again.
    """
    comment.parent = parent
    answered = _answered(comment)
    locked = {parent.tree_id}
    wait_for = [parent.tree_id]
    while True:
        # Each statement's cursor stays open until its answer is read; on SQLite an open one
        # would hold its read transaction too.
        with contextlib.ExitStack() as cursors:
            cursor = functools.partial(_open_cursor, cursors)
            with instances.pipelined(connection):
                if wait_for:
                    locks.lock_trees(wait_for)
                    wait_for = []
                place = comments_sql.send_place_query(cursor(), parent)
                open_parent = comments_sql.open_parent(parent)
                room = cursor()
                comments_sql.make_room(room, parent, open_parent)
                inserted = instances.send_insert(cursor(), comment, comments_sql.under(open_parent))
                ref_saved = None
                if len(answered) == 1:  # the usual case, as in _save_reply_refs
                    ref = ReplyRef(article_id=comment.article_id, target_number=answered[0])
                    ref_saved = instances.send_insert(
                        cursor(), ref, comments_sql.by_number(comment, "source_id")
                    )
                token_saved = None
                if form_key:
                    token = UsedFormToken(key=form_key)
                    token_saved = instances.send_insert(
                        cursor(), token, comments_sql.by_number(comment, "comment_id")
                    )
            row = place.fetchone()
            if row is None:
                raise ValidationError(
                    gettext("That comment no longer exists."), code="comment_missing"
                )
            tree_id, status, earlier_threads, held_above = row
            if tree_id == parent.tree_id:
                if as_reader and status != Comment.Status.PUBLISHED:
                    raise ValidationError(
                        gettext(
                            "The comment you are replying to has been removed; you cannot reply."
                        ),
                        code="parent_gone",
                    )
                if room.rowcount < 1 or not inserted():
                    # The place said the parent is there: both must have found it so.
                    raise RuntimeError(f"the reply to comment {parent.pk} was not inserted")
                if ref_saved is not None:
                    ref_saved()
                if token_saved is not None:
                    token_saved()
                break
        # Moved to another tree since it was read; once that tree is locked too, it stays there.
        parent.tree_id = tree_id
        if tree_id not in locked:
            locks.lock_trees([tree_id], wait=False)
            locked.add(tree_id)
    if len(answered) > 1:
        _save_reply_refs(comment, new=True)
    # As django-mptt's save() ends: the values it compares the tree fields with on the next save.
    comment._mptt_saved = True
    Comment._mptt_meta.update_mptt_cached_fields(comment)
    return earlier_threads, bool(held_above)


def _open_cursor(cursors: contextlib.ExitStack):
    return cursors.enter_context(connection.cursor())


def validate_move(*, comment: Comment, parent: Comment | None) -> None:
    """Refuse to make ``comment`` a reply to ``parent`` in another article or under one of its
    own replies (``parent`` None, a thread of its own, is always allowed)."""
    if parent is None:
        return
    if parent.article_id != comment.article_id:
        raise ValidationError(
            gettext("A comment can only be moved within its own article."),
            code="parent_other_article",
        )
    if parent.tree_id == comment.tree_id and comment.lft <= parent.lft < comment.rght:
        raise ValidationError(
            gettext("A comment cannot be moved under one of its own replies."),
            code="move_into_own_subtree",
        )


@retrying
def comment_move(*, comment: Comment, parent: Comment | None) -> Comment:
    """Make ``comment`` (with its replies) the last reply to ``parent``, or a thread of its own.

    Moving a reply to the parent it has, or a thread to the top, leaves it where it is.
    """
    with transaction.atomic():
        if parent is None:
            (comment,) = _lock_comments(comment.pk, new_tree=True)
            if comment.is_root_node():
                return comment
        else:
            comment, parent = _lock_comments(comment.pk, parent.pk)
            # Checked again on the rows as locked: the tree may have changed since the form.
            validate_move(comment=comment, parent=parent)
            if parent.pk == comment.parent_id:
                return comment
        old_tree = comment.tree_id
        was_held_above = _held_above(comment)
        Comment.objects.move_node(comment, parent, "last-child")
        _bump_threads([old_tree, comment.tree_id])
        # Out from under a held comment, or in under one: readers may see it now, or no longer.
        _publicity_changed(comment, public_below=True)
        if was_held_above and not _held_above(comment):
            _announce_shown(comment, with_replies=True)
    return comment


def _held_above(comment: Comment) -> bool:
    return comment.get_ancestors().filter(status=Comment.Status.PENDING).exists()


@retrying
def comment_edit(
    *,
    comment: Comment,
    body: str,
    author_name: str,
    keep_revision: bool = False,
    status: Comment.Status | None = None,
) -> Comment:
    """Replace a comment's text and name; its place in the tree stays.

    With ``keep_revision`` (an author's or a moderator's edit, not an import), the text before
    is kept as a ``CommentRevision`` and the comment is marked edited; ``status`` changes its
    status too (an edit held for approval goes back to the queue).
    """
    body, author_name = clean_comment_text(body), clean_comment_text(author_name).strip()
    validate_comment_text(body=body, author_name=author_name)
    with transaction.atomic():
        # Under the tree lock, so that an edit and a delete of the same comment take turns.
        comment = _lock_comment(comment.pk)
        answered_before = set(reply_refs(comment.body))
        fields = ["body", "body_html", "author_name"]
        if keep_revision:
            CommentRevision.objects.create(
                comment=comment, body=comment.body, author_name=comment.author_name
            )
            comment.edited_at = timezone.now()
            fields.append("edited_at")
        if status is not None and status != comment.status:
            comment.status = status
            fields.append("status")
            _publicity_changed(comment, public_below=status != Comment.Status.PENDING)
        comment.body, comment.author_name = body, author_name
        _render(comment)
        comment.save(update_fields=fields)
        _save_reply_refs(comment, new=False)
        _bump_threads([comment.tree_id])
        _bump_threads_answered(
            comment.article_id,
            answered_before ^ set(reply_refs(comment.body)),
            besides=comment.tree_id,
        )
    return comment


@retrying
def comment_delete(*, comment: Comment) -> int:
    """Delete the comment and every reply under it; return how many comments went."""
    with transaction.atomic():
        comment = _lock_comment(comment.pk)
        comments_sql.defer_nested_set_checks()
        width = comment.rght - comment.lft + 1
        subtree = Comment.objects.filter(
            tree_id=comment.tree_id, lft__gte=comment.lft, lft__lte=comment.rght
        )
        answered = ReplyRef.objects.filter(source__in=subtree).values_list(
            "target_number", flat=True
        )
        _bump_threads_answered(comment.article_id, list(answered), besides=comment.tree_id)
        # Imported ones stay deleted when the same export is imported again.
        imported = subtree.exclude(import_ref=None).values_list("import_ref", flat=True)
        DeletedImport.objects.bulk_create(
            [DeletedImport(article_id=comment.article_id, import_ref=ref) for ref in imported],
            ignore_conflicts=True,
        )
        # The whole subtree in one statement: Django's cascade would go one level per call and
        # overflow the stack on a long reply chain (what django-mptt's delete() does).
        subtree.delete()
        _publicity_changed(comment, public_below=False)
        if comment.parent_id is not None:
            Comment._tree_manager._close_gap(width, comment.rght, comment.tree_id)
            _bump_threads([comment.tree_id])
    return width // 2


@retrying
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
        publishes = status == Comment.Status.PUBLISHED and not comment.is_published
        changed = status != comment.status
        was_held = comment.status == Comment.Status.PENDING
        comment.status = status
        comment.moderated_at = timezone.now()
        comment.moderated_by = moderator
        comment.moderation_reason = reason
        comment.save(update_fields=["status", "moderated_at", "moderated_by", "moderation_reason"])
        _bump_threads([comment.tree_id])
        if changed:
            _publicity_changed(comment, public_below=status != Comment.Status.PENDING)
        if publishes:
            _announce_shown(comment, with_replies=was_held)
    return comment


def _announce_shown(comment: Comment, *, with_replies: bool) -> None:
    """Announce a comment just published, unless a comment above it is held; one approved (or
    moved out from under a held one) also brings out the published replies that were held back
    (those under no other held comment)."""
    last = comment.rght if with_replies else comment.lft
    shown = Comment.objects.public().filter(
        tree_id=comment.tree_id, lft__gte=comment.lft, lft__lte=last
    )
    # With its parent: an anonymous reply to an anonymous comment then costs the receiver nothing.
    for each in shown.select_related("parent").order_by("lft"):
        if each.pk == comment.pk:
            each = comment
        comment_published.send(sender=Comment, comment=each, new=False)


@retrying
def article_slug_change(*, article: Article, slug: str) -> Article:
    """Give the article a new slug; its old address keeps leading to it.

    The comments' stored HTML links ``>>N`` to the article's address: it is rendered again under
    the lock of every tree of the article (and the new-tree lock, so that no thread starts
    meanwhile). A comment posted by a reader who read the old slug just before may still link to
    the old address, which redirects.
    """
    validate_unicode_slug(slug)
    with transaction.atomic():
        # The tree locks before the article's row: a post holds its tree's lock while its insert
        # takes a share lock on the article row (the foreign key), which the slug's update (a
        # unique column) must wait for. Holding every tree lock, no such post is under way.
        trees = Comment.objects.filter(article_id=article.pk).values_list("tree_id", flat=True)
        held = locks.hold_trees(trees, new_tree=True)
        article = Article.objects.select_for_update().get(pk=article.pk)
        if slug == article.slug:
            return article
        if article.slug_taken(slug):
            raise ValidationError(
                gettext("This slug is taken by another article, now or in the past."),
                code="slug_taken",
            )
        old_url = article.get_absolute_url()
        ArticleRedirect.objects.filter(old_slug=slug).delete()  # its own old address, taken back
        ArticleRedirect.objects.create(old_slug=article.slug, article=article)
        article.slug = slug
        article.save(update_fields=["slug"])
        changed = list(
            article.comments.filter(body_html__contains=old_url).only("body", "number", "body_html")
        )
        for comment in changed:
            comment.article = article
            _render(comment)
        Comment.objects.bulk_update(changed, ["body_html"], batch_size=500)
        _bump_threads(tree_id for tree_id in held if tree_id is not None)
    return article


@retrying
def comments_anonymize(*, user: AbstractBaseUser) -> int:
    """Make the account's comments anonymous (名無しさん, no staff badge), before it is deleted;
    return how many there were.

    The comments stay in their threads; their earlier versions lose the name too, and nothing
    left on them leads back to the account (nor lets its browser edit them).
    """
    with transaction.atomic():
        mine = Comment.objects.filter(user=user)
        held = locks.hold_trees(mine.values_list("tree_id", flat=True).distinct())
        CommentRevision.objects.filter(comment__in=mine).update(author_name="")
        count = mine.update(user=None, author_name="", by_staff=False, poster_key="")
        _bump_threads(held)
    return count


def article_content_changed(*, article_id: int) -> None:
    """Give the article a new content version: its paragraphs, credits or links changed."""
    Article.objects.filter(pk=article_id).update(content_version=new_version())


def report_create(
    *,
    comment: Comment,
    reason: Report.Reason,
    detail: str = "",
    reporter: AbstractBaseUser | None = None,
    reporter_key: str,
    ip_hash: str = "",
) -> Report:
    """Record a reader's report on a comment; the same reader reporting again updates it.

    The same reader is the same browser (``reporter_key``), account or address: a reader who
    drops their cookie still counts once (the database's constraints say so too).
    """
    same = Q(reporter_key=reporter_key)
    if reporter is not None:
        same |= Q(reporter=reporter)
    if ip_hash:
        same |= Q(ip_hash=ip_hash)
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(same, comment=comment).first()
        opens = report is None or report.resolved_at is not None
        report = report or Report(comment=comment, reporter_key=reporter_key)
        report.reason, report.detail = reason, detail
        report.reporter = reporter or report.reporter
        report.ip_hash = report.ip_hash or ip_hash
        report.resolved_at = report.resolved_by = None
        report.resolution = ""
        report.save()
        if opens:
            Comment.objects.filter(pk=comment.pk).update(open_reports=F("open_reports") + 1)
    return report


def _tree_fields(node: Comment) -> tuple[int, int, int, int]:
    return (node.tree_id, node.lft, node.rght, node.level)


@retrying
def comment_trees_rebuild(*, article: Article) -> int:
    """Rebuild the article's comment trees from the parent links; return how many rows changed.

    The parent links are the truth: each comment with no parent is a tree of its own. Used to
    repair trees that something wrote to without the lock.
    """
    with transaction.atomic():
        locks.hold_trees(article.comments.values_list("tree_id", flat=True), new_tree=True)
        comments_sql.defer_nested_set_checks()  # rows swap places
        # Siblings keep the order they have, as far as the broken nested sets still tell it.
        nodes = list(article.comments.order_by("tree_id", "lft", "number"))
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
        _bump_threads(node.tree_id for node in nodes)
    return len(changed)
