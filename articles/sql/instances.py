"""Hand-written SQL for the statements every post runs, loading and saving whole instances as
the ORM does.

For the hottest paths only: there, building a query took the ORM longer than the database took
to answer it (bench/README.md). Column lists come from the models, and values go through the
fields' own conversions, so these stay in step with the models.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import models
from django.db.models import NOT_PROVIDED
from django.db.models.signals import post_save, pre_save


@dataclass(frozen=True)
class Derived:
    """Field values the database takes from another row as it inserts (``INSERT … SELECT``).

    ``columns`` maps attribute names to SQL expressions over the rows that ``source`` (a ``FROM
    … WHERE …`` clause, with ``params``) finds; when it finds none, nothing is inserted.
    """

    columns: dict[str, str]
    source: str
    params: list = field(default_factory=list)


_InsertKey = tuple[type[models.Model], str, tuple[tuple[str, str], ...], str]
# Each kept, keyed by what it depends on: working them out took longer than the queries they serve.
_select_lists: dict[tuple[type[models.Model], str, str], str] = {}
_inserts: dict[_InsertKey, tuple[str, list[models.Field], list[models.Field]]] = {}


@contextlib.contextmanager
def pipelined(connection) -> Iterator[None]:
    """Send the statements run inside to the database without waiting for each one's answer.

    On PostgreSQL they go in one psycopg pipeline: one round trip for all of them, their results
    readable once the block ends (reading one earlier waits for it, and those before it). Elsewhere
    they simply run one after another. A statement that fails raises here, as Django's error.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


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
    with connection.cursor() as cursor:
        send_insert(cursor, instance)()


def send_insert(
    cursor, instance: models.Model, derived: Derived | None = None
) -> Callable[[], bool]:
    """Send the INSERT of ``insert()`` on ``cursor``, and return what reads its answer and ends
    the save.

    Until that is called the statement's answer is not waited for, so that more statements can
    follow in the same ``pipelined()`` round trip; the cursor must stay open until then. It
    returns whether a row was inserted, which with ``derived`` depends on what its source found;
    the derived fields come back from the database with the primary key. pre_save goes out as
    the statement is sent, before the derived fields are known, and post_save only once a row
    is read back.
    """
    connection = cursor.db
    model = type(instance)
    if instance.pk is not None:
        raise TypeError(f"{model.__name__}: save() an instance that has a key")
    columns = tuple(sorted(derived.columns.items())) if derived else ()
    source = derived.source if derived else ""
    key = (model, connection.vendor, columns, source)
    if key not in _inserts:  # the model's own checks, once
        _inserts[key] = _insert_statement(model, connection, dict(columns), source)
    sql, fields, returning = _inserts[key]
    using = connection.alias
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    cursor.execute(sql, values + (derived.params if derived else []))

    def saved() -> bool:
        returned = cursor.fetchone()
        if returned is None:
            return False
        for returned_field, value in zip(returning, returned, strict=True):
            setattr(instance, returned_field.attname, value)
        instance._state.adding, instance._state.db = False, using
        post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )
        return True

    return saved


def _insert_statement(
    model: type[models.Model], connection, derived: dict[str, str], source: str
) -> tuple[str, list[models.Field], list[models.Field]]:
    """The INSERT for ``send_insert``: its SQL, the fields it is given values for, and those it
    reads back."""
    meta = model._meta
    if meta.parents or any(
        f.generated or f.db_default is not NOT_PROVIDED for f in meta.concrete_fields
    ):
        raise TypeError(f"{model.__name__}: save() a model with parents or database defaults")
    quote = connection.ops.quote_name
    taken = {meta.get_field(name): sql for name, sql in derived.items()}  # names it has
    fields = [f for f in meta.concrete_fields if f not in [*meta.db_returning_fields, *taken]]
    if derived:
        placeholders = [_typed_placeholder(f, connection) for f in fields]
        values = f"SELECT {', '.join([*placeholders, *taken.values()])} {source}"
    else:
        values = f"VALUES ({', '.join(['%s'] * len(fields))})"
    inserted = ", ".join(quote(f.column) for f in [*fields, *taken])
    returning = [*meta.db_returning_fields, *taken]
    return (
        f"INSERT INTO {quote(meta.db_table)} ({inserted}) {values} "
        f"RETURNING {', '.join(quote(f.column) for f in returning)}",
        fields,
        returning,
    )


def _typed_placeholder(field: models.Field, connection) -> str:
    """A parameter in a SELECT list has no column to take its type from, and PostgreSQL would take
    text (or a NULL of text) for it: there it is cast to its column's type. Not to a length or a
    precision, which a cast would cut values to where the column refuses them."""
    if connection.vendor != "postgresql":
        return "%s"
    if isinstance(field, models.DecimalField):
        raise TypeError(f"{field}: a cast would round the value; insert() it instead")
    if isinstance(field, models.CharField):
        return f"CAST(%s AS {connection.ops.cast_char_field_without_max_length})"
    return f"CAST(%s AS {field.cast_db_type(connection)})"
