"""Writing an imported article and its comments: created, or brought up to date, idempotently.

Each article is written in one transaction. Comment trees are written in bulk rather than one
locked insert per comment, under the same locks the services take (``articles.sql.locks``): a new
article's threads are new trees, written under the new-tree lock with tree ids chosen under it,
as django-mptt chooses them; comments added to an existing article are written under the locks
of all its trees and the new-tree lock, and its trees are then rebuilt from the parent links
(``services.comment_trees_rebuild``), so that no reader's post can interleave.

Comments readers posted here have no ``import_ref`` and are never changed by an import.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from .. import services
from ..boards.ids import daily_id
from ..models import (
    ARTICLE_LEAD_MAX_LENGTH,
    AUTHOR_NAME_MAX_LENGTH,
    COMMENT_BODY_MAX_LENGTH,
    Article,
    Block,
    Comment,
    DeletedImport,
    ImageCredit,
    ReplyRef,
)
from ..slugs import SLUG_MAX_LENGTH, slug_from_title, unique_slug
from ..sql import bulk, locks
from ..sql.locks import retrying
from ..text import clean_comment_text, render_stored_body, reply_refs
from .authors_and_sections import AuthorData, SectionData, author_account, section
from .html import Body, image_credit

BATCH_SIZE = 1000


@dataclass
class ArticleData:
    ref: str  # Article.import_ref: where it came from, e.g. "wp:example.com:123"
    title: str
    slug: str = ""  # empty: made from the title
    lead: str = ""
    source_url: str = ""
    published_at: datetime | None = None
    comments_open: bool = True
    public: bool = True  # False: kept as a draft (an imported article that went private)
    body: Body | None = None  # None: the body is not touched (Disqus knows none)
    match_source_url: bool = False  # an article not imported before may be found by its URL
    author: AuthorData | None = None  # None: the byline is not touched
    section: SectionData | None = None  # None: the section is not touched


@dataclass
class CommentData:
    ref: str  # Comment.import_ref, unique per article: "wp:123"
    parent_ref: str | None
    body: str
    author_name: str
    created_at: datetime | None  # None: none could be read, and the article's is given
    status: str  # a Comment.Status value
    ip_hash: str = ""
    sort_key: tuple = ()  # posting order among comments of the same time


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    # (where, what): comments whose parent is missing, kept as threads of their own.
    orphans: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, other: "Summary") -> None:
        self.counts.update(other.counts)
        self.orphans.extend(other.orphans)
        self.notes.extend(other.notes)


def clean_body(text: str, summary: Summary) -> str:
    """Comment text as a posted comment's, cut to the longest that can be stored."""
    text = clean_comment_text(_without_controls(text))
    if len(text) > COMMENT_BODY_MAX_LENGTH:
        summary.counts["comments cut to the length limit"] += 1
        text = text[: COMMENT_BODY_MAX_LENGTH - 1].rstrip() + "…"
    return text


def clean_name(name: str) -> str:
    name = clean_comment_text(_without_controls(name)).strip().replace("\n", " ")
    return name[:AUTHOR_NAME_MAX_LENGTH].strip()


# What XML lets through and a reader could not post: C1 controls (and surrogates, which a
# parser never hands over). The text is kept rather than the comment refused.
_CONTROLS = dict.fromkeys(
    c for c in range(0xA0) if (c < 0x20 and c not in (9, 10, 13)) or c >= 0x7F
)


def _without_controls(text: str) -> str:
    return text.translate(_CONTROLS)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@retrying
def write_article(
    data: ArticleData, comments: list[CommentData], *, dry_run: bool = False
) -> tuple[Article, Summary]:
    """Create or update the article and its imported comments, in one transaction.

    With ``dry_run`` everything is done and then rolled back: the summary says what would be.
    """
    summary = Summary()
    with transaction.atomic():
        article = Article.objects.filter(import_ref=data.ref).first()
        if article is None and data.match_source_url and data.source_url:
            article = Article.objects.filter(source_url=data.source_url).order_by("pk").first()
        created = article is None
        if created:
            article = _create_article(data)
            summary.counts["articles created"] += 1
        comments = _in_posting_order(comments, article)
        if created:
            _insert_new_article_comments(article, comments, summary)
        else:
            changed = _update_comments(article, comments, summary)  # takes the tree locks
            if data.body is not None and _apply_slug_change(article, data):
                summary.counts["articles moved to a new slug"] += 1
                changed = True
            changed |= _update_article(article, data)
            if data.body is not None and _sync_body(article, data, created=False):
                changed = True
            summary.counts["articles updated" if changed else "articles unchanged"] += 1
        if dry_run:
            transaction.set_rollback(True)
    return article, summary


def _in_posting_order(comments: list[CommentData], article: Article) -> list[CommentData]:
    """The comments by time; one without a time of its own is given the article's (kept here
    once the article is made, so the same on every import of the file)."""
    for comment in comments:
        if comment.created_at is None:
            comment.created_at = article.published_at
    return sorted(comments, key=lambda c: (c.created_at, c.sort_key))


def _export_slug(data: ArticleData) -> str:
    """The slug the export gives the article, or "" when it gives none that can be one here."""
    slug = data.slug[:SLUG_MAX_LENGTH].strip("-_")
    try:
        validate_unicode_slug(slug)
    except ValidationError:
        return ""
    return slug


def _slug(data: ArticleData, article: Article) -> str:
    return unique_slug(_export_slug(data) or slug_from_title(data.title), taken=article.slug_taken)


def _apply_slug_change(article: Article, data: ArticleData) -> bool:
    """Move the article to the slug a newer export gives it, through the service that keeps its
    old address (ArticleRedirect) and renders the comments' ``>>N`` links again under the tree
    locks. A slug made here from the title (the export gave none) is left as it is."""
    base = _export_slug(data)
    if not base:
        return False
    wanted = unique_slug(base, taken=article.slug_taken)
    if wanted == article.slug:
        return False
    moved = services.article_slug_change(article=article, slug=wanted)
    article.slug, article.content_version = moved.slug, moved.content_version
    return True


def _article_fields(data: ArticleData) -> dict:
    fields = {
        "title": clip(data.title, 300) or "—",
        "lead": clip(data.lead, ARTICLE_LEAD_MAX_LENGTH),
        "source_url": data.source_url if len(data.source_url) <= 500 else "",
        "published_at": data.published_at or timezone.now(),
        "comments_open": data.comments_open,
        "status": Article.Status.PUBLISHED if data.public else Article.Status.DRAFT,
    }
    if data.author is not None:
        account = author_account(data.author)
        fields["author_id"] = account.pk if account is not None else None
    if data.section is not None:
        found = section(data.section)
        fields["section_id"] = found.pk if found is not None else None
    return fields


def _create_article(data: ArticleData) -> Article:
    """The new article with its blocks and credits.

    Where its key can be taken beforehand (PostgreSQL), the blocks go in before the article's
    row, which their foreign key allows until the commit (Django makes it deferred): the search
    index's trigger on each block then finds no article to index yet, and the article's own
    insert indexes it once, with all its blocks, instead of once per block.
    """
    article = Article(import_ref=data.ref, **_article_fields(data))
    article.slug = _slug(data, article)
    if (reserved := bulk.reserve_ids(Article, 1)) is not None:
        article.pk = reserved[0]
        _sync_body(article, data, created=True)
        article.save(force_insert=True)
    else:
        article.save()
        _sync_body(article, data, created=True)
    return article


def _update_article(article: Article, data: ArticleData) -> bool:
    if data.body is None:
        # The import knows only the thread (Disqus): the article is the site's own, or was made
        # from the thread; it is only linked to the thread, for the next import to find.
        if article.import_ref is None:
            article.import_ref = data.ref
            article.save(update_fields=["import_ref"])
            return True
        return False
    fields = _article_fields(data)
    if data.published_at is None:
        del fields["published_at"]
    changed = [name for name, value in fields.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, fields[name])
    if changed:
        article.save(update_fields=changed)
    return bool(changed)


def _sync_body(article: Article, data: ArticleData, *, created: bool) -> bool:
    """Replace the article's blocks and inline image credits when they differ from the import's."""
    if data.body is None:
        return False
    blocks = [
        Block(article=article, position=n, kind=block.kind, text=block.text)
        for n, block in enumerate(data.body.blocks, 1)
    ]
    credits = []
    for image in data.body.images:
        credit = image_credit(image.caption)
        if credit:
            credits.append(
                ImageCredit(
                    article=article,
                    role=ImageCredit.Role.INLINE,
                    after_paragraph=image.after_block,
                    source=clip(credit, 200),
                    licence="",
                )
            )
    changed = False
    for model, wanted, keys, extra in (
        (Block, blocks, ("position", "kind", "text"), {}),
        (ImageCredit, credits, ("after_paragraph", "source"), {"role": ImageCredit.Role.INLINE}),
    ):
        manager = model.objects.filter(article=article, **extra)
        if not created:
            have = sorted(manager.values_list(*keys), key=repr)
            if have == sorted([tuple(getattr(o, k) for k in keys) for o in wanted], key=repr):
                continue
            manager.delete()
        model.objects.bulk_create(wanted)
        changed = True
    if changed:
        services.article_content_changed(article_id=article.pk)  # bulk writes send no signal
    return changed and not created


def _count_status(summary: Summary, status: str) -> None:
    summary.counts[f"comments {status}"] += 1


def _layout(
    comments: list[CommentData], known: set[str], summary: Summary, where: str
) -> tuple[list[CommentData], dict[str, list[CommentData]]]:
    """The roots (in posting order) and each comment's replies (in posting order).

    A reply whose parent is neither in ``comments`` nor ``known`` (left out as spam, say) starts
    a thread of its own and is reported; so does a comment in a loop of parent links.
    """
    refs = {c.ref for c in comments} | known
    roots: list[CommentData] = []
    children: dict[str, list[CommentData]] = defaultdict(list)
    for comment in comments:
        if comment.parent_ref is None:
            roots.append(comment)
        elif comment.parent_ref not in refs:
            summary.orphans.append(
                f"{where}: {comment.ref} replies to missing {comment.parent_ref}"
            )
            comment.parent_ref = None
            roots.append(comment)
        else:
            children[comment.parent_ref].append(comment)
    # Parent links that loop reach no root: the earliest comment of each loop starts a thread.
    reached: set[str] = set()
    stack = [c.ref for c in roots] + list(known)
    while stack:
        ref = stack.pop()
        if ref not in reached:  # (the readers refuse a repeated id; never loop on one)
            reached.add(ref)
            stack.extend(child.ref for child in children.get(ref, ()))
    for comment in comments:
        if comment.ref in reached:
            continue
        summary.orphans.append(f"{where}: {comment.ref} is in a loop of replies")
        children[comment.parent_ref].remove(comment)
        comment.parent_ref = None
        roots.append(comment)
        stack = [comment.ref]
        while stack:
            ref = stack.pop()
            if ref not in reached:
                reached.add(ref)
                stack.extend(child.ref for child in children.get(ref, ()))
    roots.sort(key=lambda c: (c.created_at, c.sort_key))
    return roots, children


def _new_comment(
    article: Article, data: CommentData, number: int, article_url: str | None = None
) -> Comment:
    return Comment(
        article=article,
        number=number,
        body=data.body,
        body_html=render_stored_body(
            data.body, article_url=article_url or article.get_absolute_url(), number=number
        ),
        author_name=data.author_name,
        created_at=data.created_at,
        ip_hash=data.ip_hash,
        daily_id=daily_id(
            article_id=article.pk, user_id=None, ip_hash=data.ip_hash, posted_at=data.created_at
        ),
        status=data.status,
        import_ref=data.ref,
    )


def _save_refs(comments: list[Comment]) -> None:
    refs = [
        ReplyRef(article_id=c.article_id, source_id=c.pk, target_number=n)
        for c in comments
        for n in reply_refs(c.body)
        if n < c.number
    ]
    ReplyRef.objects.bulk_create(refs, batch_size=BATCH_SIZE, ignore_conflicts=True)


def _insert_new_article_comments(
    article: Article, comments: list[CommentData], summary: Summary
) -> None:
    """A new article's comments: every thread a new tree, its nested sets computed here."""
    if not comments:
        return
    roots, children = _layout(comments, set(), summary, article.slug)
    numbers = {c.ref: n for n, c in enumerate(comments, 1)}
    article_url = article.get_absolute_url()
    locks.lock_trees([None])
    next_tree_id = (Comment.objects.aggregate(Max("tree_id"))["tree_id__max"] or 0) + 1
    # Depth-first without recursion (a reply chain can be thousands deep), then written level by
    # level, each level knowing its parents' ids.
    by_level: dict[int, list[tuple[Comment, str | None]]] = defaultdict(list)
    for tree_id, root in enumerate(roots, next_tree_id):
        counter = 0
        stack: list[tuple[CommentData, int, Comment | None]] = [(root, 0, None)]
        while stack:
            data, level, entered = stack.pop()
            counter += 1
            if entered is not None:
                entered.rght = counter
                continue
            node = _new_comment(article, data, numbers[data.ref], article_url)
            node.tree_id, node.lft, node.level = tree_id, counter, level
            by_level[level].append((node, data.parent_ref))
            stack.append((data, level, node))
            stack.extend((child, level + 1, None) for child in reversed(children[data.ref]))
    ids: dict[str, int] = {}
    saved: list[Comment] = []
    in_order = [item for level in sorted(by_level) for item in by_level[level]]
    if (reserved := bulk.reserve_ids(Comment, len(in_order))) is not None:
        # Every key known beforehand: the whole article goes in one COPY, replies with parents.
        for (node, _parent_ref), pk in zip(in_order, reserved, strict=True):
            node.pk = pk
            ids[node.import_ref] = pk
        for node, parent_ref in in_order:
            node.parent_id = ids[parent_ref] if parent_ref is not None else None
            saved.append(node)
        bulk.insert(saved, batch_size=BATCH_SIZE)
    else:
        for level in sorted(by_level):
            nodes = []
            for node, parent_ref in by_level[level]:
                node.parent_id = ids[parent_ref] if parent_ref is not None else None
                nodes.append(node)
            bulk.insert(nodes, batch_size=BATCH_SIZE)
            ids.update((node.import_ref, node.pk) for node in nodes)
            saved.extend(nodes)
    _save_refs(saved)
    Article.objects.filter(pk=article.pk).update(last_comment_number=len(comments))
    for data in comments:
        _count_status(summary, data.status)


def _update_comments(article: Article, comments: list[CommentData], summary: Summary) -> bool:
    """Bring the article's imported comments in line with the import; add the new ones."""
    locks.hold_trees(article.comments.values_list("tree_id", flat=True), new_tree=True)
    existing = {
        c.import_ref: c
        for c in article.comments.filter(import_ref__isnull=False).only(
            "pk",
            "import_ref",
            "number",
            "body",
            "author_name",
            "created_at",
            "status",
            "moderated_at",
            "tree_id",
            "article_id",
            "ip_hash",
        )
    }
    comments = _left_deleted(article, comments, existing, summary)
    new = [c for c in comments if c.ref not in existing]
    article_url = article.get_absolute_url()
    changed_rows: list[Comment] = []
    statuses_changed = False
    for data in comments:
        comment = existing.get(data.ref)
        if comment is None:
            continue
        fields = {"body": data.body, "author_name": data.author_name, "created_at": data.created_at}
        # A moderator's decision here stands; the export's approval counts until there is one.
        if comment.moderated_at is None:
            fields["status"] = data.status
        if all(getattr(comment, name) == value for name, value in fields.items()):
            summary.counts["comments unchanged"] += 1
            continue
        statuses_changed |= comment.status != fields.get("status", comment.status)
        for name, value in fields.items():
            setattr(comment, name, value)
        # Its daily ID is of the day it was posted, which the import may have corrected.
        comment.daily_id = daily_id(
            article_id=article.pk, user_id=None, ip_hash=comment.ip_hash, posted_at=data.created_at
        )
        comment.body_html = render_stored_body(
            comment.body, article_url=article_url, number=comment.number
        )
        changed_rows.append(comment)
        summary.counts["comments updated"] += 1
    if changed_rows:
        Comment.objects.bulk_update(
            changed_rows,
            ["body", "body_html", "author_name", "created_at", "status", "daily_id"],
            batch_size=BATCH_SIZE,
        )
        ReplyRef.objects.filter(source__in=changed_rows).delete()
        _save_refs(changed_rows)
    if statuses_changed:
        # What readers see of comments already numbered changed, as a moderator's action does:
        # open pages' polls and the page's comment count (page_cache.published_count) follow it.
        Article.objects.filter(pk=article.pk).update(publicity_seq=F("publicity_seq") + 1)
    if new:
        _insert_added_comments(article, new, existing, summary)
    elif changed_rows:
        services._bump_threads({c.tree_id for c in changed_rows})
    return bool(changed_rows or new)


def _left_deleted(
    article: Article, comments: list[CommentData], existing: dict[str, Comment], summary: Summary
) -> list[CommentData]:
    """The import's comments but those deleted here since an import (DeletedImport), and the
    replies under them that are not here either: a moderator's deletion stands."""
    gone = set(DeletedImport.objects.filter(article=article).values_list("import_ref", flat=True))
    if not gone:
        return comments
    replies: dict[str | None, list[CommentData]] = defaultdict(list)
    for data in comments:
        replies[data.parent_ref].append(data)
    stack = list(gone)
    while stack:
        for reply in replies.get(stack.pop(), ()):
            if reply.ref not in gone and reply.ref not in existing:
                gone.add(reply.ref)
                stack.append(reply.ref)
    kept = [data for data in comments if data.ref not in gone]
    if left_out := len(comments) - len(kept):
        summary.counts["comments deleted here, left out"] += left_out
    return kept


def _insert_added_comments(
    article: Article,
    new: list[CommentData],
    existing: dict[str, Comment],
    summary: Summary,
) -> None:
    """New comments on an article that has some: each written as a tree of its own first (under
    the new-tree lock, with ids no one else can take), then the article's trees are rebuilt from
    the parent links, replies after the replies their parent had."""
    _layout(new, set(existing), summary, article.slug)  # settles orphans and loops
    parents = {c.ref: c.parent_ref for c in new}
    last = Article.objects.filter(pk=article.pk).values_list("last_comment_number", flat=True)
    first = last.get() + 1
    next_tree_id = (Comment.objects.aggregate(Max("tree_id"))["tree_id__max"] or 0) + 1
    ids = {ref: c.pk for ref, c in existing.items()}
    nodes: list[Comment] = []
    ids[None] = None
    for offset, data in enumerate(new):
        node = _new_comment(article, data, first + offset)
        node.tree_id, node.lft, node.rght, node.level = next_tree_id + offset, 1, 2, 0
        nodes.append(node)
    # Parents before their replies: written in rounds, each with the ids of the rounds before.
    waiting = nodes
    while waiting:
        ready, waiting = _split(waiting, lambda n: parents[n.import_ref] in ids)
        if not ready:  # _layout() broke every loop: this cannot happen
            raise RuntimeError(f"replies without a way to their thread on {article.slug}")
        for node in ready:
            parent_ref = parents[node.import_ref]
            node.parent_id = ids[parent_ref]
        Comment.objects.bulk_create(ready, batch_size=BATCH_SIZE)
        ids.update((node.import_ref, node.pk) for node in ready)
    _save_refs(nodes)
    last.update(last_comment_number=F("last_comment_number") + len(new))
    services.comment_trees_rebuild(article=article)
    for data in new:
        _count_status(summary, data.status)


def _split(items: list, test) -> tuple[list, list]:
    yes, no = [], []
    for item in items:
        (yes if test(item) else no).append(item)
    return yes, no
