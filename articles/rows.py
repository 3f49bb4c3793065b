"""Hand-written SQL for the statements every post runs, loading and saving whole instances as
the ORM does.

For the hottest paths only: there, building a query took the ORM longer than the database took
to answer it (bench/README.md). Column lists come from the models, and values go through the
fields' own conversions, so these stay in step with the models.
"""

from django.db import models
from django.db.models import NOT_PROVIDED
from django.db.models.signals import post_save, pre_save

# Each kept, keyed by what it depends on: working them out took longer than the queries they serve.
_select_lists: dict[tuple[type[models.Model], str, str], str] = {}
_inserts: dict[tuple[type[models.Model], str], tuple[str, list[models.Field]]] = {}


def select_list(model: type[models.Model], connection, alias: str = "") -> str:
    """The model's columns, quoted, for a hand-written SELECT that loads whole instances."""
    key = (model, connection.vendor, alias)
    if key not in _select_lists:
        prefix = f"{alias}." if alias else ""
        _select_lists[key] = ", ".join(
            f"{prefix}{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields
        )
    return _select_lists[key]


def from_row(model: type[models.Model], values, connection) -> models.Model:
    """An instance from its concrete columns' values (as ``select_list`` lists them), converted
    as the ORM converts them."""
    fields = model._meta.concrete_fields
    # Kept on the connection itself: some converters are its methods, so they last as long as it.
    by_model = connection.__dict__.setdefault("_row_converters", {})
    if model not in by_model:
        by_model[model] = [
            (
                field.get_col(model._meta.db_table),
                connection.ops.get_db_converters(field.get_col(model._meta.db_table))
                + field.get_db_converters(connection),
            )
            for field in fields
        ]
    converted = []
    for value, (column, converters) in zip(values, by_model[model], strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def without_flush_wait(connection) -> str:
    """Columns to add to the RETURNING list of a write whose loss in a crash would not matter.

    Run on its own (autocommit), the write then commits without waiting for PostgreSQL to flush
    it to disk: synchronous_commit counts as it stands when a transaction commits. Any durable
    commit after it flushes it too, the write-ahead log being one sequence. Nothing inside a
    transaction, whose other writes must stay durable, nor on other databases.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return ""
    return ", set_config('synchronous_commit', 'off', true)"


def insert(instance: models.Model, connection) -> None:
    """Save a new instance as ``instance.save()`` would, in a statement written out.

    The fields' values are prepared as save() prepares them, the pre_save and post_save signals
    go out, and the instance comes back saved, with its primary key. Left out is what save()
    decides first (insert or update, related instances saved meanwhile, fields the database
    fills in), so models and instances that need it are refused.
    """
    model = type(instance)
    meta = model._meta
    if instance.pk is not None:
        raise TypeError(f"{model.__name__}: save() an instance that has a key")
    key = (model, connection.vendor)
    if key not in _inserts:  # the model's own checks, once
        if meta.parents or any(
            f.generated or f.db_default is not NOT_PROVIDED for f in meta.concrete_fields
        ):
            raise TypeError(f"{model.__name__}: save() a model with parents or database defaults")
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if f not in meta.db_returning_fields]
        _inserts[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"RETURNING {', '.join(quote(f.column) for f in meta.db_returning_fields)}",
            fields,
        )
    sql, fields = _inserts[key]
    using = connection.alias
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        returned = cursor.fetchone()
    for field, value in zip(meta.db_returning_fields, returned, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding, instance._state.db = False, using
    post_save.send(
        sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using
    )
