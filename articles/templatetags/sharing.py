"""What pages tell feed readers, search engines and link previews: absolute URLs and the locale."""

from django import template
from django.utils.translation import get_language

register = template.Library()

# Open Graph names locales language_TERRITORY; the site is Japanese first.
OG_LOCALES = {"ja": "ja_JP", "en": "en_US"}


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, path: str) -> str:
    """The path (or a URL already absolute, as a storage may give) as an absolute URI; the path
    as it is on a page rendered without its request (forum.errors' plain pages)."""
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@register.simple_tag
def og_locale() -> str:
    return OG_LOCALES.get(get_language() or "ja", "ja_JP")
