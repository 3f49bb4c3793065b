"""WordPress posts and comments as the forum's articles and comments.

What WordPress keeps from the public stays out: only published posts and pages become articles
(scheduled ones too, shown from their time on, as the forum schedules articles); drafts, pending
and private posts, password-protected posts (and their comments), attachments, menu items and
other post types are skipped. Spam and trashed comments are left out, and so are pingbacks and
trackbacks, which are not readers' comments; all are counted. A trashed comment that the forum's
own export marked hidden, removed or deleted (``export.STATUS_META``) comes back as such.
"""

from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError

from ..abuse.addresses import ip_hash
from ..models import Comment
from .authors_and_sections import AuthorData, SectionData
from .export import STATUS_META
from .html import body_from_html, plain_text, text_from_html
from .writer import ArticleData, CommentData, Summary, clean_body, clean_name
from .wxr import WxrAuthor, WxrPost, WxrSite

ARTICLE_TYPES = ("post", "page")
PUBLIC_STATUSES = ("publish", "future")
UNCATEGORIZED = "uncategorized"
_COMMENT_STATUS = {"1": Comment.Status.PUBLISHED, "0": Comment.Status.PENDING}
_TRASHED = (Comment.Status.HIDDEN, Comment.Status.REMOVED, Comment.Status.DELETED)


def site_key(site: WxrSite, path: object) -> str:
    """What tells this site's posts from another's: its host (the file's name if none)."""
    url = site.base_blog_url or site.base_site_url or site.link
    host = urlsplit(url).netloc or urlsplit(url).path
    return (host or str(path)).lower()[:100]


def skip_reason(post: WxrPost) -> str | None:
    """Why the post does not become a public article, or None when it does."""
    if post.type not in ARTICLE_TYPES:
        return f"{post.type or 'untyped'} items"
    if post.status not in PUBLIC_STATUSES:
        return f"{post.status or 'unknown status'} posts"
    if post.password:
        return "password-protected posts"
    if post.status == "future" and post.date is None:
        return "scheduled posts without a time"
    if not post.id:
        return "posts without an id"
    return None


def article_ref(site: str, post: WxrPost) -> str:
    return f"wp:{site}:{post.id}"


def article_data(
    post: WxrPost,
    site: str,
    *,
    public: bool = True,
    site_authors: dict[str, WxrAuthor] | None = None,
) -> ArticleData:
    return ArticleData(
        ref=article_ref(site, post),
        title=plain_text(post.title),
        slug=unquote(post.name),
        lead=plain_text(post.excerpt),
        source_url=post.link if post.link.startswith(("http://", "https://")) else "",
        published_at=post.date,
        comments_open=post.comment_status == "open",
        public=public,
        body=body_from_html(post.content),
        author=_author(post, site_authors or {}),
        section=_section(post),
    )


def _author(post: WxrPost, authors: dict[str, WxrAuthor]) -> AuthorData | None:
    """The post's author (``dc:creator``, a login) with the byline the site showed: the channel's
    ``wp:author`` display name. A login with no entry there (WXR 1.0) gets no byline: it would
    show a login name, half of what it takes to log in."""
    login = plain_text(post.creator).strip()
    if not login:
        return None
    entry = authors.get(login)
    name = ""
    if entry is not None:
        full = " ".join(part for part in (entry.first_name, entry.last_name) if part)
        name = entry.display_name if entry.display_name != login else full
    return AuthorData(login=login, name=plain_text(name).strip())


def _section(post: WxrPost) -> SectionData | None:
    """The post's first category, as WordPress lists them; "uncategorized", which WordPress
    gives a post filed under none, is none here too."""
    for nicename, name in post.categories:
        if nicename != UNCATEGORIZED and name:
            return SectionData(slug=nicename, name=plain_text(name))
    return None


def comment_data(post: WxrPost, summary: Summary, where: str) -> list[CommentData]:
    """The post's reader comments, cleaned; the rest counted in ``summary``."""
    kept: list[CommentData] = []
    for item in post.comments:
        if item.type in ("pingback", "trackback"):
            summary.counts[f"{item.type}s left out"] += 1
            continue
        status = _COMMENT_STATUS.get(item.approved)
        if item.approved == "trash" and item.meta.get(STATUS_META) in _TRASHED:
            status = item.meta[STATUS_META]  # a forum's own export: hidden, removed or deleted
        if status is None:
            summary.counts[f"{item.approved or 'unknown'} comments left out"] += 1
            continue
        if not item.id:
            summary.notes.append(f"{where}: a comment without an id was left out")
            continue
        try:
            body = clean_body(text_from_html(item.content), summary)
            name = clean_name(plain_text(item.author))
        except ValidationError:
            body = ""
        if not body:
            summary.notes.append(f"{where}: comment {item.id} has no text and was left out")
            summary.counts["empty comments left out"] += 1
            continue
        parent = item.parent_id if item.parent_id not in ("", "0") else None
        kept.append(
            CommentData(
                ref=f"wp:{item.id}",
                parent_ref=f"wp:{parent}" if parent else None,
                body=body,
                author_name=name,
                created_at=item.date or post.date,  # else the article's (writer)
                status=status,
                ip_hash=ip_hash(item.ip) if item.ip else "",
                sort_key=(_number(item.id),),
            )
        )
    return kept


def _number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
