"""On PostgreSQL, guard the nested sets: no two comments of one tree share a lft or a rght.

Deferrable (checked at the end of each statement, or at commit when a transaction defers them)
because django-mptt shifts many rows in one UPDATE and they pass through each other's values.
SQLite has no deferrable unique constraints, and its writers are serialised anyway.
"""

from django.db import migrations

CONSTRAINTS = (
    ("comment_unique_tree_lft", "tree_id, lft"),
    ("comment_unique_tree_rght", "tree_id, rght"),
)


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE articles_comment ADD CONSTRAINT {name} "
            f"UNIQUE ({columns}) DEFERRABLE INITIALLY IMMEDIATE"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _columns in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE articles_comment DROP CONSTRAINT {name}")


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, drop_constraints, elidable=False)]
