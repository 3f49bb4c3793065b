"""The ban in force on a reader: by account, or by the hash of their address."""

from django.db import connections

from ..models import Ban
from ..sql.bans import send_ban_query


def active_ban(*, user, ip_hash: str) -> Ban | None:
    """The ban in force on this user or address that lasts longest (for good before any other)."""
    connection = connections[Ban.objects.db]
    with connection.cursor() as cursor:
        return send_ban_query(cursor, user=user, ip_hash=ip_hash)()
