"""On PostgreSQL, make the rows a reply shifts cheaper to rewrite.

Every reply rewrites lft/rght of the rows after it in its thread. PostgreSQL writes each of those
as a new row version, with a new entry in every index of the table, so:

- The unique (tree_id, rght) constraint goes. Writers that skip the tree lock give two rows the
  same lft as surely as the same rght, and (tree_id, lft) stays unique (and deferrable), with
  the lft < rght check beside it.
- Comment text was meant to be kept out of line (TOAST, uncompressed) once a row passes 128
  bytes, so that a shifted row copies a pointer rather than its body and HTML (but see below).

Measured on a 69-comment thread of the benchmark: a shift of the whole thread took 1.5 ms, and
1.2 ms with both changes.

Found later: PostgreSQL only starts moving values out of line once a row passes about 2 KB,
whatever toast_tuple_target says, so most comments (a few hundred characters) stay in the row
and a shift still copies their text. A narrower tree table would be the fix (bench/README.md).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE articles_comment DROP CONSTRAINT comment_unique_tree_rght")
    schema_editor.execute("ALTER TABLE articles_comment SET (toast_tuple_target = 128)")
    schema_editor.execute(
        "ALTER TABLE articles_comment ALTER COLUMN body SET STORAGE EXTERNAL, "
        "ALTER COLUMN body_html SET STORAGE EXTERNAL"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE articles_comment ALTER COLUMN body SET STORAGE EXTENDED, "
        "ALTER COLUMN body_html SET STORAGE EXTENDED"
    )
    schema_editor.execute("ALTER TABLE articles_comment RESET (toast_tuple_target)")
    schema_editor.execute(
        "ALTER TABLE articles_comment ADD CONSTRAINT comment_unique_tree_rght "
        "UNIQUE (tree_id, rght) DEFERRABLE INITIALLY IMMEDIATE"
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_thread_version")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
