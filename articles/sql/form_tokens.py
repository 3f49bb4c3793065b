"""The question every post asks: was this form sent before (``UsedFormToken``)?"""

from collections.abc import Callable

from ..models import UsedFormToken
from .names import quoted_names

_USED = "SELECT {comment} FROM {usedformtoken} WHERE {key} = %s"


def send_used_form_query(cursor, *, form_key: str) -> Callable[[], list[int | None]]:
    """Send the question whether this form was sent before; return what reads the answer: the
    key of the comment it created, in a list (empty when it was not sent before)."""
    # Written out: every post asks it, and the ORM took longer to build it than to send it.
    cursor.execute(_USED.format_map(quoted_names(UsedFormToken, cursor.db)), [form_key])
    return lambda: [row[0] for row in cursor.fetchall()]
