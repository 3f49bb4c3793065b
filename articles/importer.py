"""Writing parsed seeds to the database: create, or update to match, idempotently."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Article, Comment, ImageCredit, Link, Paragraph
from .seeds import Seed, SeedComment, SeedError

# Seeds carry no times: comments are spaced this far apart, the last one at the first import.
COMMENT_INTERVAL = timedelta(minutes=1)


@dataclass
class ImportReport:
    article: Article
    created: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)


def _limit(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def _too_long(what: str, value: str, limit: int) -> str | None:
    if len(value) <= limit:
        return None
    return f"the {what} has {len(value)} characters; at most {limit} fit"


def check_seed(seed: Seed) -> None:
    """Raise SeedError unless every part of the seed fits the model it is written to.

    Checked here, before anything is written, because SQLite stores an overlong value without
    complaint and PostgreSQL fails with no file or line.
    """
    try:
        validate_unicode_slug(seed.slug)
    except ValidationError as error:
        raise SeedError(
            seed.path, None, f"the file name gives the slug {seed.slug!r}, which is not a slug"
        ) from error
    for what, value, limit in (
        ("slug", seed.slug, _limit(Article, "slug")),
        ("import reference", seed.ref, _limit(Article, "import_ref")),
    ):
        if problem := _too_long(f"file name's {what}", value, limit):
            raise SeedError(seed.path, None, problem)

    def check(origin: str, what: str, value: str, limit: int) -> None:
        if problem := _too_long(what, value, limit):
            raise SeedError(seed.path, seed.origins.get(origin), problem)

    check("lead", "lead", seed.lead, _limit(Article, "lead"))
    check("title", "heading", seed.title, _limit(Article, "title"))
    for kind, titles in (("reference", seed.references), ("related", seed.related)):
        for n, title in enumerate(titles, 1):
            check(f"{kind} {n}", f"{kind} title", title, _limit(Link, "title"))
    credits = [(f"credit {n}", item.credit) for n, item in enumerate(seed.inline_credits, 1)]
    if seed.featured_credit:
        credits.append(("featured", seed.featured_credit))
    for origin, credit in credits:
        for name in ("source", "licence", "subject"):
            check(
                origin, f"image credit's {name}", getattr(credit, name), _limit(ImageCredit, name)
            )
    for item in seed.comments:
        try:
            services.validate_comment_body(item.body)
        except ValidationError as error:
            raise SeedError(seed.path, item.first_line, " ".join(error.messages)) from error


def seed_import(seed: Seed) -> ImportReport:
    """Create the seed's article and comments, or bring existing ones in line with the seed.

    Runs in one transaction: on any error nothing of this seed is written.
    """
    check_seed(seed)
    with transaction.atomic():
        clash = Article.objects.filter(slug=seed.slug).exclude(import_ref=seed.ref).first()
        if clash is not None:
            raise SeedError(seed.path, None, f"the slug {seed.slug!r} is taken by {clash.title!r}")
        fields = {"slug": seed.slug, "title": seed.title, "lead": seed.lead}
        article = Article.objects.filter(import_ref=seed.ref).first()
        report = ImportReport(article=article)
        if article is None:
            report.article = article = Article.objects.create(
                import_ref=seed.ref,
                published_at=timezone.now() - COMMENT_INTERVAL * (len(seed.comments) + 1),
                **fields,
            )
            report.created = True
        else:
            changed = [name for name, value in fields.items() if getattr(article, name) != value]
            if changed:
                for name in changed:
                    setattr(article, name, fields[name])
                article.save(update_fields=changed)
                report.changes.append("article: " + ", ".join(changed))
        _sync_content(seed, article, report)
        _sync_comments(seed, article, report)
    return report


def _sync_content(seed: Seed, article: Article, report: ImportReport) -> None:
    """Replace the paragraphs, credits and links when they differ from the seed's."""
    paragraphs = [Paragraph(position=n, text=text) for n, text in enumerate(seed.paragraphs, 1)]
    credits = [
        ImageCredit(
            role=ImageCredit.Role.INLINE,
            after_paragraph=item.after_paragraph,
            source=item.credit.source,
            licence=item.credit.licence,
            subject=item.credit.subject,
        )
        for item in seed.inline_credits
    ]
    if seed.featured_credit:
        credit = seed.featured_credit
        credits.append(
            ImageCredit(
                role=ImageCredit.Role.FEATURED,
                source=credit.source,
                licence=credit.licence,
                subject=credit.subject,
            )
        )
    links = [
        Link(kind=Link.Kind.REFERENCE, position=n, title=title)
        for n, title in enumerate(seed.references, 1)
    ] + [
        Link(kind=Link.Kind.RELATED, position=n, title=title)
        for n, title in enumerate(seed.related, 1)
    ]

    for model, wanted, keys, label in (
        (Paragraph, paragraphs, ("position", "text"), "paragraphs"),
        (
            ImageCredit,
            credits,
            ("role", "after_paragraph", "source", "licence", "subject"),
            "credits",
        ),
        (Link, links, ("kind", "position", "title", "url"), "links"),
    ):
        manager = model.objects.filter(article=article)
        have = sorted(manager.values_list(*keys), key=repr)
        if have == sorted([tuple(getattr(obj, key) for key in keys) for obj in wanted], key=repr):
            continue
        manager.delete()
        for obj in wanted:
            obj.article = article
        model.objects.bulk_create(wanted)
        services.article_content_changed(article_id=article.pk)  # bulk_create sends none
        if not report.created:
            report.changes.append(label)


def _sync_comment(
    item: SeedComment,
    article: Article,
    comment: Comment | None,
    parent: Comment | None,
    report: ImportReport,
) -> Comment:
    if comment is None:
        comment = services.comment_create(
            article=article,
            parent=parent,
            body=item.body,
            created_at=article.published_at + COMMENT_INTERVAL * item.index,
            seed_index=item.index,
        )
        if not report.created:
            report.changes.append(f"comment {item.index}: added")
        return comment
    if comment.body != item.body:
        services.comment_edit(comment=comment, body=item.body, author_name=comment.author_name)
        report.changes.append(f"comment {item.index}: text")
    if comment.parent_id != (parent.pk if parent else None):
        comment = services.comment_move(comment=comment, parent=parent)
        report.changes.append(f"comment {item.index}: moved")
    return comment


def _sync_comments(seed: Seed, article: Article, report: ImportReport) -> None:
    """Create, edit, move or delete the article's imported comments to match the seed."""
    existing = {c.seed_index: c for c in article.comments.filter(seed_index__isnull=False)}
    by_index: dict[int, Comment] = {}
    for item in seed.comments:
        parent = by_index[item.reply_to] if item.reply_to else None
        try:
            comment = _sync_comment(item, article, existing.get(item.index), parent, report)
        except ValidationError as error:
            raise SeedError(seed.path, item.first_line, " ".join(error.messages)) from error
        by_index[item.index] = comment

    for index in sorted(set(existing) - set(by_index), reverse=True):
        comment = Comment.objects.filter(pk=existing[index].pk).first()
        if comment is None:
            continue  # went with an earlier one's subtree
        readers = comment.get_descendants().filter(seed_index__isnull=True).count()
        if readers:
            raise SeedError(
                seed.path,
                None,
                f"comment {index} is no longer in the seed but has {readers} replies from "
                "readers; remove it in the admin instead",
            )
        services.comment_delete(comment=comment)
        report.changes.append(f"comment {index}: deleted")
