import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor) -> None:
    from search import index

    index.rebuild(schema_editor.connection)


def uninstall(apps, schema_editor) -> None:
    from search import index

    index.uninstall(schema_editor.connection, indexes=True)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0013_posting_rules"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleText",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_text",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("text", models.TextField()),
            ],
            options={"ordering": ("pk",)},
        ),
        migrations.CreateModel(
            name="CommentText",
            fields=[
                (
                    "comment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_text",
                        serialize=False,
                        to="articles.comment",
                    ),
                ),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "ordering": ("-created_at", "-pk"),
                "indexes": [
                    models.Index(fields=["-created_at"], name="search_commenttext_new_idx")
                ],
            },
        ),
        # Triggers, and on PostgreSQL pg_trgm with its GIN indexes (search.index).
        migrations.RunPython(install, uninstall, elidable=False),
    ]
