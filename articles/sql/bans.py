"""The query of the ban in force on a reader, which every post asks."""

from collections.abc import Callable

from django.utils import timezone

from ..models import Ban
from .instances import from_row, select_list
from .names import quoted_names

# In force: not expired; the one that lasts longest first (a permanent one before any other).
_ACTIVE_BAN = """\
SELECT {columns} FROM {ban}
WHERE ({ip_hash} = %s AND {ip_hash} <> '' OR {user} = %s)
AND ({expires_at} IS NULL OR {expires_at} > %s)
ORDER BY {expires_at} IS NULL DESC, {expires_at} DESC
LIMIT 1"""


def send_ban_query(cursor, *, user, ip_hash: str) -> Callable[[], Ban | None]:
    """Send ``active_ban``'s query on ``cursor``; return what reads its answer.

    Written out by hand because every post asks it: the ORM took longer to build this query
    than the database takes to answer it.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    connection = cursor.db
    cursor.execute(
        _ACTIVE_BAN.format(columns=select_list(Ban, connection), **quoted_names(Ban, connection)),
        [ip_hash, user_id, connection.ops.adapt_datetimefield_value(timezone.now())],
    )

    def read() -> Ban | None:
        row = cursor.fetchone()
        return None if row is None else from_row(Ban, row, connection)

    return read
