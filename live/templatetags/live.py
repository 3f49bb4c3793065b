"""The article page's part of "new comments as they arrive": the bar live.js fills in."""

from django import template
from django.conf import settings
from django.core.paginator import Page
from django.utils.translation import gettext, ngettext

from articles.models import Article

register = template.Library()


@register.inclusion_tag("live/_bar.html")
def new_comments_bar(article: Article, page: Page, order: str, show_all: bool) -> dict:
    """Where the page stands (the article's counter, the order, which page) and the words the
    script shows, translated here: a page carries them, so no catalogue request is needed.

    The script fills "%(count)s" in; it takes the singular form for 1 and the plural for any
    other count, the rule of both languages the site speaks (Japanese has one form).
    """
    return {
        "article": article,
        "after": article.last_comment_number,
        "order": order,
        "show_all": show_all,
        "first_page": show_all or not page.has_previous(),
        "last_page": show_all or not page.has_next(),
        "interval": settings.FORUM_LIVE_POLL_SECONDS,
        "one": ngettext("%(count)s new comment", "%(count)s new comments", 1),
        "other": ngettext("%(count)s new comment", "%(count)s new comments", 2),
        "shown": ngettext("%(count)s new comment shown", "%(count)s new comments shown", 1),
        "shown_other": ngettext("%(count)s new comment shown", "%(count)s new comments shown", 2),
        # The toggles of a comment's replies, which a new reply gives one (or a new count).
        **_both("hide", "Hide %(counter)s reply", "Hide %(counter)s replies"),
        **_both("show", "Show %(counter)s hidden reply", "Show %(counter)s hidden replies"),
        "badge": gettext("New"),
        "replies": gettext("Replies:"),
        "elsewhere": gettext("New comments on other pages:"),
    }


def _both(name: str, singular: str, plural: str) -> dict[str, str]:
    """``name`` and ``name_other``: the words for one and for more, with the script's
    "%(count)s" for articles.threads.rows' "%(counter)s" (the same catalogue entry)."""
    return {
        key: ngettext(singular, plural, count).replace("%(counter)s", "%(count)s")
        for key, count in ((name, 1), (f"{name}_other", 2))
    }
