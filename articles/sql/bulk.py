"""Writing many new rows at once, for the importers: on PostgreSQL by ``COPY``.

``bulk_create`` builds one statement per batch and, on PostgreSQL, has psycopg adapt every
column as an array in Python: at 100,000 imported comments that was most of the import's time.
``COPY`` streams the rows instead. It returns no keys, so the keys are taken from the table's
own sequence first (``reserve_ids``), in one round trip, and the rows go in with them, parents
and replies alike. Values are prepared by the fields as ``save()`` prepares them. Elsewhere
(SQLite, which returns the keys of a ``bulk_create``) these fall back to the ORM.
"""

from collections.abc import Sequence

from django.db import connection, models


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` new primary keys from the table's sequence, or None where there is none to
    take them from (then ``bulk_create`` hands them out)."""
    if connection.vendor != "postgresql" or count == 0:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(meta.db_table), meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert(instances: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    """Insert new instances of one model, as ``bulk_create`` would (no signals, no ``save()``).

    On PostgreSQL they must have their keys (``reserve_ids``) and are copied in; elsewhere they
    are handed to ``bulk_create``, which gives them theirs.
    """
    if not instances:
        return
    model = type(instances[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(instances, batch_size=batch_size)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    if any(instance.pk is None for instance in instances):
        raise ValueError(f"{model.__name__}: copied rows need their keys (reserve_ids)")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    connection.ensure_connection()
    # The wrapper's cursor logs statements; COPY is psycopg's own, on the cursor beneath.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        plain = [_plain_type(f) for f in fields]
        for instance in instances:
            row = [f.pre_save(instance, True) for f in fields]
            copy.write_row(
                [
                    v if v is None or type(v) is kind else f.get_db_prep_save(v, connection)
                    for f, kind, v in zip(fields, plain, row, strict=True)
                ]
            )
    for instance in instances:
        instance._state.adding, instance._state.db = False, connection.alias


def _plain_type(field: models.Field) -> type | None:
    """The Python type whose values the field saves unchanged (its preparation is then skipped:
    at 100,000 rows of 20 columns it took seconds), or None."""
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.CharField | models.TextField):
        return str
    if isinstance(field, models.IntegerField | models.AutoField):
        return int  # only an exact int: a bool given to one is prepared (True -> 1)
    return None
