from django.db import migrations, models
from django.db.models import Q

BATCH_SIZE = 1000


def give_posted_comments_their_ids(apps, schema_editor):
    """The comments posted before IDs existed get theirs, as on the day they were posted."""
    from articles.boards.ids import daily_id

    Comment = apps.get_model("articles", "Comment")
    known = Comment.objects.filter(Q(user__isnull=False) | ~Q(ip_hash="")).only(
        "pk", "article_id", "user_id", "ip_hash", "created_at"
    )
    batch = []
    for comment in known.order_by("pk").iterator(chunk_size=BATCH_SIZE):
        comment.daily_id = daily_id(
            article_id=comment.article_id,
            user_id=comment.user_id,
            ip_hash=comment.ip_hash,
            posted_at=comment.created_at,
        )
        batch.append(comment)
        if len(batch) == BATCH_SIZE:
            Comment.objects.bulk_update(batch, ["daily_id"])
            batch = []
    Comment.objects.bulk_update(batch, ["daily_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_moderationlog_premoderation"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="daily_ids",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Show each poster's ID of the day next to their name, and mark the thread "
                    "starter in their own thread (unless FORUM_DAILY_IDS turns them off "
                    "site-wide)."
                ),
                verbose_name="daily poster IDs",
            ),
        ),
        migrations.AddField(
            model_name="comment",
            name="daily_id",
            field=models.CharField(
                blank=True, editable=False, max_length=8, verbose_name="daily ID"
            ),
        ),
        migrations.RunPython(give_posted_comments_their_ids, migrations.RunPython.noop),
    ]
