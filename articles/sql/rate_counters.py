"""The upsert that counts a reader's events in the ``RateCounter`` table."""

from collections.abc import Callable
from datetime import datetime

from ..models import RateCounter
from .instances import without_flush_wait
from .names import quoted_names

_COUNT = """\
INSERT INTO {ratecounter} ({key}, {window_start}, {expires_at}, {count}) VALUES {values}
ON CONFLICT ({key}, {window_start}) DO UPDATE SET {count} = {ratecounter}.{count} + 1
RETURNING {key}, {count}"""


def send_rate_count(
    cursor, rows: list[tuple[str, datetime, datetime]]
) -> Callable[[], dict[str, int]]:
    """Add one to the counter of each (key, window start, expiry), creating it at 1; send this on
    ``cursor`` and return what reads the counts after it, by key."""
    connection = cursor.db
    params = []
    for row_key, row_start, row_expiry in rows:
        params += [
            row_key,
            # As the ORM stores them, so that its queries (so_far, pruning) match.
            connection.ops.adapt_datetimefield_value(row_start),
            connection.ops.adapt_datetimefield_value(row_expiry),
        ]
    values = ", ".join(["(%s, %s, %s, 1)"] * len(rows))
    # A count lost in a crash would not matter: its commit need not wait for the disk.
    cursor.execute(
        _COUNT.format(values=values, **quoted_names(RateCounter, connection))
        + without_flush_wait(connection),
        params,
    )

    def read() -> dict[str, int]:
        return {row_key: row_count for row_key, row_count, *_ in cursor.fetchall()}

    return read
