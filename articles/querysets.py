from django.db import models
from django.utils import timezone
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """What readers see: published articles whose time has come (not drafts, not scheduled)."""
        return self.filter(status=self.model.Status.PUBLISHED, published_at__lte=timezone.now())

    def with_comment_count(self) -> "ArticleQuerySet":
        published = self.model._meta.get_field("comments").related_model.Status.PUBLISHED
        return self.annotate(
            comment_count=models.Count("comments", filter=models.Q(comments__status=published))
        )


class CommentQuerySet(TreeQuerySet):
    def visible(self) -> "CommentQuerySet":
        """What every reader sees: published comments."""
        return self.filter(status=self.model.Status.PUBLISHED)

    def public(self) -> "CommentQuerySet":
        """What anyone may read, outside the page: published, and under no held comment.

        A held comment's author may reply to it; until it is approved, readers see neither it
        nor anything under it (threads.Viewer.skips), so feeds and structured data must not.
        """
        return self.visible().exclude(models.Exists(self.model._default_manager.held_above()))

    def held_above(self, comment: str = "") -> "CommentQuerySet":
        """The held comments above the outer query's comment, for ``Exists``; ``comment`` is
        the path to it from the outer query's model (``"reply__"`` from a notification)."""
        return self.filter(
            tree_id=models.OuterRef(f"{comment}tree_id"),
            lft__lt=models.OuterRef(f"{comment}lft"),
            rght__gt=models.OuterRef(f"{comment}rght"),
            status="pending",
        )


class CommentManager(TreeManager.from_queryset(CommentQuerySet)):
    def get_with_article(self, *, slug: str, number: int) -> models.Model | None:
        """Comment ``number`` of the published article ``slug``, with its article; or None.

        What ``select_related("article")`` would load, in a query written out: every post runs
        it, and the ORM took longer to build that query (about 0.5 ms) than the database took to
        answer it.
        """
        # Imported here: the SQL module needs the models, which need this module.
        from .sql.comments import comment_with_article

        return comment_with_article(slug=slug, number=number, using=self.db)
