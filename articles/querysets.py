from django.db import models
from django.utils import timezone
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet


def published(prefix: str = "") -> models.Q:
    """Articles out by now; ``prefix`` reaches them through a relation ("article__")."""
    return models.Q(**{f"{prefix}published_at__lte": timezone.now()})


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        return self.filter(published())

    def with_comment_count(self) -> "ArticleQuerySet":
        return self.annotate(
            comment_count=models.Count("comments", filter=models.Q(comments__status="published"))
        )


class CommentQuerySet(TreeQuerySet):
    def visible(self) -> "CommentQuerySet":
        return self.filter(status="published")


CommentManager = TreeManager.from_queryset(CommentQuerySet)
