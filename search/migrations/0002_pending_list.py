from django.db import migrations


def keep_pending_list(apps, schema_editor) -> None:
    from search import index

    index.keep_pending_list(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    # Storage parameters of the trigram index and its table, on PostgreSQL (search.index).
    operations = [
        migrations.RunPython(keep_pending_list, migrations.RunPython.noop, elidable=False),
    ]
