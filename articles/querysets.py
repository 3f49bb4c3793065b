from django.db import models
from django.utils import timezone
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        return self.filter(published_at__lte=timezone.now())

    def with_comment_count(self) -> "ArticleQuerySet":
        return self.annotate(
            comment_count=models.Count("comments", filter=models.Q(comments__status="published"))
        )


class CommentQuerySet(TreeQuerySet):
    def visible(self) -> "CommentQuerySet":
        return self.filter(status="published")


CommentManager = TreeManager.from_queryset(CommentQuerySet)
