from django.db import models

from articles.models import Article, Comment


class CommentText(models.Model):
    """A published comment's text as searches see it (NFKC, lower case), kept by triggers.

    Its own table rather than an index on the comments table: every reply rewrites lft/rght of
    many comments, and a trigram index there would take new entries for each of them.
    """

    comment = models.OneToOneField(
        Comment, on_delete=models.DO_NOTHING, primary_key=True, related_name="search_text"
    )
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("-created_at",), name="search_commenttext_new_idx")]

    def __str__(self) -> str:
        return self.text[:60]


class ArticleText(models.Model):
    """An article's title, lead and body as searches see them (NFKC, lower case); see above."""

    article = models.OneToOneField(
        Article, on_delete=models.DO_NOTHING, primary_key=True, related_name="search_text"
    )
    text = models.TextField()

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.text[:60]
