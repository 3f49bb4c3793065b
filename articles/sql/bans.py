"""The query of the ban in force on a reader, which every post asks."""

from collections.abc import Callable

from django.utils import timezone

from ..models import Ban
from .instances import from_row, select_list


def send_ban_query(cursor, *, user, ip_hash: str) -> Callable[[], Ban | None]:
    """Send ``active_ban``'s query on ``cursor``; return what reads its answer.

    Written out by hand because every post asks it: the ORM took longer to build this query
    than the database takes to answer it.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    connection = cursor.db
    quote = connection.ops.quote_name
    ip, user_column, expires = (
        quote(Ban._meta.get_field(name).column) for name in ("ip_hash", "user", "expires_at")
    )
    cursor.execute(
        f"SELECT {select_list(Ban, connection)} FROM {quote(Ban._meta.db_table)} "
        f"WHERE ({ip} = %s AND {ip} <> '' OR {user_column} = %s) "
        f"AND ({expires} IS NULL OR {expires} > %s) "
        f"ORDER BY {expires} IS NULL DESC, {expires} DESC LIMIT 1",
        [ip_hash, user_id, connection.ops.adapt_datetimefield_value(timezone.now())],
    )

    def read() -> Ban | None:
        row = cursor.fetchone()
        return None if row is None else from_row(Ban, row, connection)

    return read
