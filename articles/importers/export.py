"""Writing articles and their comments as WordPress eXtended RSS 1.2, streamed.

Only what a WordPress export of the site would say and nothing private: published articles
(scheduled ones as ``future``; drafts are left out), their comments with status, name, time and
parent. E-mail addresses, IP addresses (the forum keeps only hashes) and poster keys are never
written. A held comment is ``0`` (awaiting approval) as in WordPress; a hidden, removed or deleted
one is ``trash``, WordPress's nearest status, with the forum's own status in a comment meta
(``forum_status``), which ``import_wordpress`` reads back (WordPress keeps it as it is). The
articles' authors are listed as ``wp:author`` (login and byline, no e-mail) before the items.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from ..models import Article, Block, Comment

WP = "http://wordpress.org/export/1.2/"
STATUS_META = "forum_status"  # the comment meta that keeps a hidden, removed or deleted status
_STATUS = {
    Comment.Status.PUBLISHED: "1",
    Comment.Status.PENDING: "0",
    Comment.Status.HIDDEN: "trash",
    Comment.Status.REMOVED: "trash",
    Comment.Status.DELETED: "trash",
}


def cdata(text: str) -> str:
    """Text as CDATA sections: a ``]]>`` inside is split across two of them."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def html_text(text: str) -> str:
    """Plain text as HTML that shows it (and that import_wordpress reads back as the same)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _gmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _rfc822(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def block_html(block: Block) -> str:
    text = html_text(block.text)
    if block.kind == Block.Kind.HEADING:
        return f"<h2>{text}</h2>"
    if block.kind == Block.Kind.SUBHEADING:
        return f"<h3>{text}</h3>"
    if block.kind == Block.Kind.QUOTE:
        return (
            "<blockquote>"
            + "".join(f"<p>{line}</p>" for line in text.split("\n"))
            + "</blockquote>"
        )
    if block.kind in (Block.Kind.LIST, Block.Kind.NUMBERED):
        tag = "ol" if block.kind == Block.Kind.NUMBERED else "ul"
        items = "".join(f"<li>{html_text(item)}</li>" for item in block.items())
        return f"<{tag}>{items}</{tag}>"
    if block.kind == Block.Kind.IMAGE:
        if block.image is None:
            return ""
        alt = escape(block.image.alt, {'"': "&quot;"})
        caption = f"<figcaption>{text}</figcaption>" if text else ""
        return f'<figure><img src="{escape(block.image.src)}" alt="{alt}">{caption}</figure>'
    return f"<p>{text}</p>"


def _element(name: str, value: str, *, raw: bool = False) -> str:
    return f"<{name}>{value if raw else cdata(value)}</{name}>"


def export_wxr(
    articles: Iterable[Article],
    *,
    site_url: str,
    title: str = "",
    language: str = "ja",
    authors: Iterable[AbstractBaseUser] = (),
) -> Iterator[str]:
    """The WXR file in pieces, one article (with its comments) at a time."""
    site_url = site_url.rstrip("/")
    yield '<?xml version="1.0" encoding="UTF-8" ?>\n'
    yield (
        '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:wp="{WP}">\n<channel>\n'
    )
    yield f"<title>{escape(title)}</title>\n<link>{escape(site_url)}</link>\n"
    yield f"<language>{escape(language)}</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
    yield f"<wp:base_site_url>{escape(site_url)}</wp:base_site_url>\n"
    yield f"<wp:base_blog_url>{escape(site_url)}</wp:base_blog_url>\n"
    for author in authors:
        yield _author(author)
    for article in articles:
        yield _item(article, site_url)
    yield "</channel>\n</rss>\n"


def _author(user: AbstractBaseUser) -> str:
    parts = [
        "<wp:author>",
        _element("wp:author_id", str(user.pk), raw=True),
        _element("wp:author_login", user.get_username()),
        _element("wp:author_email", ""),
        _element("wp:author_display_name", user.get_full_name()),
        _element("wp:author_first_name", ""),
        _element("wp:author_last_name", ""),
        "</wp:author>\n",
    ]
    return "".join(parts)


def _item(article: Article, site_url: str) -> str:
    url = site_url + article.get_absolute_url()
    blocks = article.blocks.select_related("image").order_by("position")
    content = "\n".join(block_html(block) for block in blocks)
    status = "future" if article.published_at > timezone.now() else "publish"
    parts = [
        "<item>",
        _element("title", article.title),
        _element("link", escape(url), raw=True),
        _element("pubDate", _rfc822(article.published_at), raw=True),
        _element("dc:creator", article.author.get_username() if article.author else ""),
        f'<guid isPermaLink="false">{escape(url)}</guid>',
        "<description></description>",
        _element("content:encoded", content),
        _element("excerpt:encoded", html_text(article.lead)),
        _element("wp:post_id", str(article.pk), raw=True),
        _element("wp:post_date", _local(article.published_at)),
        _element("wp:post_date_gmt", _gmt(article.published_at)),
        _element("wp:comment_status", "open" if article.comments_open else "closed"),
        _element("wp:ping_status", "closed"),
        # WordPress stores a non-ASCII slug percent-encoded, in lower case.
        _element("wp:post_name", quote(article.slug, safe="-_").lower()),
        _element("wp:status", status),
        _element("wp:post_parent", "0", raw=True),
        _element("wp:menu_order", "0", raw=True),
        _element("wp:post_type", "post"),
        _element("wp:post_password", ""),
        _element("wp:is_sticky", "0", raw=True),
    ]
    if article.section_id:
        section = article.section
        nicename = quote(section.slug, safe="-_").lower()
        parts.append(
            f'<category domain="category" nicename="{escape(nicename)}">'
            f"{cdata(section.name)}</category>"
        )
    # Parents before their replies (WordPress's importer needs them so): in tree order.
    comments = article.comments.order_by("tree_id", "lft").values_list(
        "pk", "parent_id", "author_name", "user__username", "created_at", "body", "status"
    )
    for row in comments.iterator(chunk_size=2000):
        parts.append(_comment(*row))
    parts.append("</item>\n")
    return "\n".join(parts)


def _comment(
    pk: int,
    parent_id: int | None,
    author_name: str,
    username: str | None,
    created_at: datetime,
    body: str,
    status: str,
) -> str:
    name = author_name or username or ""
    return "\n".join(
        [
            "<wp:comment>",
            _element("wp:comment_id", str(pk), raw=True),
            _element("wp:comment_author", name),
            _element("wp:comment_author_email", ""),
            _element("wp:comment_author_url", ""),
            _element("wp:comment_author_IP", ""),
            _element("wp:comment_date", _local(created_at)),
            _element("wp:comment_date_gmt", _gmt(created_at)),
            _element("wp:comment_content", html_text(body)),
            _element("wp:comment_approved", _STATUS[status]),
            _element("wp:comment_type", "comment"),
            _element("wp:comment_parent", str(parent_id or 0), raw=True),
            _element("wp:comment_user_id", "0", raw=True),
            *(
                [
                    "<wp:commentmeta>",
                    _element("wp:meta_key", STATUS_META),
                    _element("wp:meta_value", status),
                    "</wp:commentmeta>",
                ]
                if _STATUS[status] == "trash"
                else []
            ),
            "</wp:comment>",
        ]
    )
