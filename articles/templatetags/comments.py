from django import template
from django.utils.safestring import SafeString

from ..threads import Row, render_rows

register = template.Library()


@register.simple_tag
def comment_rows(rows: list[Row], article_url: str) -> SafeString:
    """The comment tree as nested lists: one tag for the whole tree, not one per comment."""
    return render_rows(rows, article_url=article_url)
