import random

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from mptt.models import MPTTModel, TreeForeignKey

from .boards.trips import shown_name
from .images import validate_image_file
from .querysets import ArticleQuerySet, CommentManager
from .slugs import slug_from_title, unique_slug

# One setting for the form, the request body limit and the database (see forum/settings.py).
COMMENT_BODY_MAX_LENGTH = settings.FORUM_COMMENT_MAX_LENGTH
AUTHOR_NAME_MAX_LENGTH = 50
# A lead is the paragraph under the headline that says what the article is about: a few sentences
# (the seeds' are about 100 characters). Long enough for any real one, short enough that a
# paragraph of body text pasted into it by mistake is refused.
ARTICLE_LEAD_MAX_LENGTH = 1000


class Premoderation(models.TextChoices):
    """Which new comments wait for a moderator's approval before readers see them."""

    OFF = "off", _("none")
    FIRST = "first", _("a new poster's first comment")
    LINKS = "links", _("comments with links")
    ALL = "all", _("all comments")


def new_version() -> int:
    """A fresh random value: a key built from it can never meet a cache entry of another state.

    Random rather than counted, because ids and counters start again where rows were deleted
    (SQLite reuses the highest rowid) and a counted version of a new thread would meet an old one.
    """
    return random.getrandbits(62)


# The name the migrations and bench/run.py know it by.
new_thread_version = new_version


class Section(models.Model):
    """A section of the site (カテゴリー: 国際, 軍事…), with a page listing its articles."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "name")
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:section_detail", kwargs={"slug": self.slug})


class Image(models.Model):
    """An uploaded image with its credit, and the resized WebP copies made of it."""

    file = models.ImageField(
        _("file"),
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
        validators=[validate_image_file],
        help_text=_("JPEG, PNG, GIF or WebP, at most 15 MB."),
    )
    alt = models.CharField(
        _("alternative text"),
        max_length=300,
        help_text=_("What the image shows, for readers who cannot see it."),
    )
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    source = models.CharField(_("source"), max_length=200)
    licence = models.CharField(_("licence"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    # {"480": "images/…/name-480.webp", …}: the copies articles.images made, by width. The width
    # and height are the upright image's (as its copies show it).
    renditions = models.JSONField(default=dict, blank=True, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ("-uploaded_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=~models.Q(alt=""), name="image_alt_not_empty"),
        ]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.alt[:60]

    @property
    def src(self) -> str:
        """The largest copy (the original only while it has none)."""
        copies = self._copies()
        return self.file.storage.url(copies[-1][1]) if copies else self.file.url

    @property
    def thumbnail_src(self) -> str:
        """The smallest copy."""
        copies = self._copies()
        return self.file.storage.url(copies[0][1]) if copies else self.file.url

    @property
    def srcset(self) -> str:
        """The copies by width, for the ``srcset`` attribute."""
        storage = self.file.storage
        return ", ".join(f"{storage.url(name)} {width}w" for width, name in self._copies())

    def _copies(self) -> list[tuple[int, str]]:
        return sorted((int(width), name) for width, name in self.renditions.items())


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", pgettext_lazy("article status", "published")


class Article(models.Model):
    Status = ArticleStatus

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        allow_unicode=True,
        blank=True,
        help_text=_(
            "The article's address. Empty: made from the title. It cannot change once the "
            "article has comments."
        ),
    )
    lead = models.TextField(_("lead"), blank=True, max_length=ARTICLE_LEAD_MAX_LENGTH)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PUBLISHED)
    published_at = models.DateTimeField(
        _("published"),
        default=timezone.now,
        db_index=True,
        help_text=_("A time in the future schedules the article: readers see it from then on."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        limit_choices_to={"is_staff": True},
        verbose_name=_("author"),
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("section"),
    )
    featured_image = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("featured image"),
    )
    comments_open = models.BooleanField(_("comments open"), default=True)
    premoderation = models.CharField(
        _("pre-moderation"),
        max_length=10,
        choices=Premoderation,
        blank=True,
        help_text=_("Empty: the site-wide setting (FORUM_PREMODERATION)."),
    )
    daily_ids = models.BooleanField(
        _("daily poster IDs"),
        default=True,
        help_text=_(
            "Show each poster's ID of the day next to their name, and mark the thread starter "
            "in their own thread (unless FORUM_DAILY_IDS turns them off site-wide)."
        ),
    )
    # The highest comment number handed out; each new comment takes the next one, so numbers are
    # unique and in posting order (a post that fails after taking its number leaves a gap).
    last_comment_number = models.PositiveIntegerField(default=0, editable=False)
    # Raised, in the same transaction, whenever a comment already numbered becomes public or stops
    # being so (approved, hidden, removed, deleted, moved): open pages poll for what changed since
    # the value they hold (live.arrivals), which the comment numbers alone cannot tell.
    publicity_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # Set on articles loaded by import_seeds: the seed's file name without its extension.
    import_ref = models.CharField(
        _("import reference"), max_length=200, unique=True, null=True, blank=True, editable=False
    )
    # Changes with every write to what the article page shows of the article itself (its fields,
    # paragraphs, image credits and links), so that its rendered HTML can be cached under it.
    content_version = models.BigIntegerField(default=new_version, editable=False)

    objects = ArticleQuerySet.as_manager()

    # Written by their own code only, each with update() or update_fields, never by a form: a
    # full save() of an instance read before one of those writes would set them back.
    WRITTEN_APART = ("last_comment_number", "publicity_seq", "import_ref")

    class Meta:
        ordering = ("-published_at", "-pk")
        constraints = [
            # An empty slug gives the article no address, and every list linking to it fails.
            models.CheckConstraint(condition=~models.Q(slug=""), name="article_slug_not_empty"),
            models.CheckConstraint(
                condition=models.Q(status__in=ArticleStatus.values), name="article_status_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("lead"), ARTICLE_LEAD_MAX_LENGTH),
                name="article_lead_max_length",
            ),
        ]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(slug_from_title(self.title), taken=self.slug_taken)
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not self._state.adding and not kwargs.get("force_insert"):
            # The counters set back, the next post would take a number already taken; the
            # import reference set back, the next import would make the article again.
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.WRITTEN_APART
            ]
            kwargs["update_fields"] = update_fields
        if update_fields is None or update_fields:  # Django skips a save of no fields
            self.content_version = new_version()
        if update_fields:
            kwargs["update_fields"] = {*update_fields, "content_version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("articles:article_detail", kwargs={"slug": self.slug})

    @property
    def byline(self) -> str:
        """The author's name as readers see it: the full name, never the login name (which is
        half of what it takes to log in to the admin); empty when there is none."""
        return self.author.get_full_name() if self.author_id else ""

    def is_public(self) -> bool:
        """Whether readers see it: published, and its time has come."""
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    def slug_taken(self, slug: str) -> bool:
        """Whether another article has this slug now, or had it (an old address of another)."""
        return (
            Article.objects.filter(slug=slug).exclude(pk=self.pk).exists()
            or ArticleRedirect.objects.filter(old_slug=slug).exclude(article_id=self.pk).exists()
        )


class ArticleRedirect(models.Model):
    """An address an article had before its slug changed: links to it still lead to the article."""

    old_slug = models.SlugField(_("old slug"), max_length=100, unique=True, allow_unicode=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="redirects", verbose_name=_("article")
    )
    created_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ("article", "-created_at")
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.article.slug}"


class BlockKind(models.TextChoices):
    PARAGRAPH = "paragraph", _("paragraph")
    HEADING = "heading", _("heading")
    SUBHEADING = "subheading", _("subheading")
    QUOTE = "quote", _("quote")
    LIST = "list", _("list (one item a line)")
    NUMBERED = "numbered", _("numbered list (one item a line)")
    IMAGE = "image", _("image")


class Block(models.Model):
    """One block of an article's body, in order: a paragraph, heading, quote, list or image."""

    Kind = BlockKind

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="blocks", verbose_name=_("article")
    )
    # Kept 1…N by articles.publishing, never typed.
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PARAGRAPH)
    # The paragraph, heading or quote; a list's items one a line; an image's caption.
    text = models.TextField(_("text"), blank=True)
    image = models.ForeignKey(
        Image,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blocks",
        verbose_name=_("image"),
    )

    class Meta:
        ordering = ("article", "position")
        constraints = [
            models.UniqueConstraint(fields=("article", "position"), name="block_unique_position"),
            models.CheckConstraint(
                condition=models.Q(kind__in=BlockKind.values),
                name="block_kind_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="image", image__isnull=False)
                    | (~models.Q(kind="image") & models.Q(image__isnull=True) & ~models.Q(text=""))
                ),
                name="block_has_content",
            ),
        ]
        verbose_name = _("block")
        verbose_name_plural = _("blocks")

    def __str__(self) -> str:
        return self.text[:60] or str(self.image)

    def items(self) -> list[str]:
        """A list block's items."""
        return [line.strip() for line in self.text.splitlines() if line.strip()]


class ImageCreditRole(models.TextChoices):
    INLINE = "inline", _("image in the body")
    FEATURED = "featured", _("featured image")


class ImageCredit(models.Model):
    Role = ImageCreditRole

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="image_credits", verbose_name=_("article")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.INLINE)
    # An inline image stands after the block with this position (0: before the first one).
    after_paragraph = models.PositiveIntegerField(_("after paragraph"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200)
    # Empty for a credit an import found in an image's caption, which named no licence.
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)

    class Meta:
        ordering = ("article", "role", "after_paragraph", "pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=ImageCreditRole.values),
                name="imagecredit_role_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="inline", after_paragraph__isnull=False)
                    | models.Q(role="featured", after_paragraph__isnull=True)
                ),
                name="imagecredit_inline_has_place",
            ),
            models.UniqueConstraint(
                fields=("article",),
                condition=models.Q(role="featured"),
                name="imagecredit_one_featured_per_article",
            ),
        ]
        verbose_name = _("image credit")
        verbose_name_plural = _("image credits")

    def __str__(self) -> str:
        return " ".join(part for part in (self.source, "/", self.licence, self.subject) if part)


class LinkKind(models.TextChoices):
    REFERENCE = "reference", _("reference")
    RELATED = "related", _("related article")


class Link(models.Model):
    Kind = LinkKind

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="links", verbose_name=_("article")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("URL"), max_length=500, blank=True)

    class Meta:
        ordering = ("article", "kind", "position")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LinkKind.values), name="link_kind_valid"
            ),
            models.UniqueConstraint(
                fields=("article", "kind", "position"), name="link_unique_position"
            ),
        ]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self) -> str:
        return self.title


class CommentStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("comment status", "published")
    HIDDEN = "hidden", _("hidden")
    REMOVED = "removed", _("removed")
    DELETED = "deleted", _("deleted by its author")
    PENDING = "pending", _("awaiting approval")


class Comment(MPTTModel):
    """A comment on an article; each top-level comment is the root of its own tree.

    Tree writes must go through ``articles.services``: django-mptt takes no locks, and concurrent
    writes to one tree would corrupt its nested sets.
    """

    Status = CommentStatus

    # Indexes are few on purpose: every reply rewrites lft/rght of many rows of its tree, and each
    # such row gets a new entry in every index of the table. Leading columns of the composite
    # and partial indexes below serve the lookups instead.
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="comments",
        db_index=False,
        verbose_name=_("article"),
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("reply to"),
        db_index=False,  # comment_parent_idx below: replies only
    )
    number = models.PositiveIntegerField(_("number"))
    body = models.TextField(_("body"), max_length=COMMENT_BODY_MAX_LENGTH)
    # The body rendered once, when it is written (articles.text.render_comment_body), rather than
    # on every view of every page.
    body_html = models.TextField(blank=True, editable=False)
    author_name = models.CharField(_("name"), max_length=AUTHOR_NAME_MAX_LENGTH, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("user"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    # When its author last changed its text or name (the text before is kept: CommentRevision).
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    # Posted from a staff account: shown with a badge, as staff names are reserved for them.
    by_staff = models.BooleanField(_("by staff"), default=False, editable=False)
    # The article's publicity_seq when this comment (or one above it) last became public after
    # it was posted; 0 while it has not.
    public_since_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # A keyed hash of the random id kept in the poster's browser: how an anonymous author is
    # recognised (to edit or delete for a while) without storing anything that identifies them.
    poster_key = models.CharField(_("poster key"), max_length=64, blank=True, editable=False)
    # A keyed hash of the poster's IP address (the address itself is never stored), for bans.
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True, editable=False)
    # The poster's daily ID (日替わりID, articles.boards.ids), fixed when it is posted; empty for
    # a comment imported without an address.
    daily_id = models.CharField(_("daily ID"), max_length=8, blank=True, editable=False)
    open_reports = models.PositiveIntegerField(_("open reports"), default=0, editable=False)
    # Set on comments loaded by import_seeds: the comment's place (1…N) in its seed, which
    # re-imports match on.
    seed_index = models.PositiveIntegerField(_("place in the seed"), null=True, editable=False)
    # Set on comments brought in by import_wordpress or import_disqus: their id there
    # ("wp:123", "disqus:456"), which later imports match on. Comments posted here have none
    # (NULL, which the partial unique constraint below leaves out).
    import_ref = models.CharField(  # noqa: DJ001
        _("import reference"), max_length=100, null=True, blank=True, editable=False
    )

    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PUBLISHED)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
        db_index=False,
    )
    moderation_reason = models.CharField(_("reason"), max_length=500, blank=True)

    # On a thread's first comment: changes with every write that changes how the thread shows
    # (articles.services sets it), so that its rendered HTML can be cached under it.
    thread_version = models.BigIntegerField(default=new_version, editable=False)

    # Readers' reactions (the reactions app keeps who chose what), counted here so that a page
    # reads them with the comments; and the lower bound of the Wilson score interval of agree
    # against disagree, by which the "best" order ranks threads (on every reacted comment, so
    # that a reply moved out as a thread of its own keeps its score).
    agree_count = models.PositiveIntegerField(_("agree"), default=0, editable=False)
    insightful_count = models.PositiveIntegerField(_("insightful"), default=0, editable=False)
    disagree_count = models.PositiveIntegerField(_("disagree"), default=0, editable=False)
    best_score = models.FloatField(_("best score"), default=0.0, editable=False)

    # Declared here only to leave out django-mptt's index on tree_id alone: the (tree_id, lft)
    # index below serves every lookup by tree.
    tree_id = models.PositiveIntegerField(db_index=False, editable=False)

    objects = CommentManager()

    class MPTTMeta:
        order_insertion_by: list[str] = []

    class Meta:
        ordering = ("tree_id", "lft")
        indexes = [
            # django-mptt declares this index in a way makemigrations does not see.
            models.Index(fields=("tree_id", "lft"), name="comment_tree_lft_idx"),
            # An article's threads, in order: only top-level comments have entries.
            models.Index(
                fields=("article", "number"),
                condition=models.Q(parent__isnull=True),
                name="comment_roots_idx",
            ),
            # A comment's replies. Partial, so that it cannot serve "the roots of an article"
            # (parent_id IS NULL): with planner statistics (ANALYZE, PRAGMA optimize) SQLite took
            # a plain parent_id index for that, reading every root in the database, instead of
            # comment_roots_idx (tests/test_query_plans.py).
            # An article's threads, best first ("best" order): top-level comments only.
            models.Index(
                fields=("article", "-best_score", "number"),
                condition=models.Q(parent__isnull=True),
                name="comment_best_idx",
            ),
            models.Index(
                fields=("parent",),
                condition=models.Q(parent__isnull=False),
                name="comment_parent_idx",
            ),
            models.Index(
                fields=("user",), condition=models.Q(user__isnull=False), name="comment_user_idx"
            ),
            models.Index(
                fields=("-open_reports",),
                condition=models.Q(open_reports__gt=0),
                name="comment_reported_idx",
            ),
            models.Index(
                fields=("created_at",),
                condition=models.Q(status="pending"),
                name="comment_pending_idx",
            ),
            # Comments made public after they were posted, for the live polls: few rows.
            models.Index(
                fields=("article", "public_since_seq"),
                condition=models.Q(public_since_seq__gt=0),
                name="comment_public_since_idx",
            ),
            # Comments with a reaction, whose counts a page fills into its cached threads: a
            # query over them reads these few rows, not every comment of the article.
            models.Index(
                fields=("article", "tree_id"),
                condition=models.Q(agree_count__gt=0)
                | models.Q(insightful_count__gt=0)
                | models.Q(disagree_count__gt=0),
                name="comment_reacted_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=("article", "number"), name="comment_unique_number"),
            models.UniqueConstraint(
                fields=("article", "seed_index"),
                condition=models.Q(seed_index__isnull=False),
                name="comment_unique_seed_index",
            ),
            models.UniqueConstraint(
                fields=("article", "import_ref"),
                condition=models.Q(import_ref__isnull=False),
                name="comment_unique_import_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CommentStatus.values),
                name="comment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(lft__lt=models.F("rght")), name="comment_lft_lt_rght"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), COMMENT_BODY_MAX_LENGTH),
                name="comment_body_max_length",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length("body"), 0), name="comment_body_not_empty"
            ),
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"#{self.number} {self.body[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("articles:comment_detail", args=[self.article.slug, self.number])

    @property
    def shown_name(self) -> str:
        """The name readers see: 名無しさん for none (articles.boards.trips.shown_name)."""
        return shown_name(self.author_name)

    @property
    def is_published(self) -> bool:
        """Whether every reader sees it (not hidden, removed, deleted or awaiting approval)."""
        return self.status == self.Status.PUBLISHED


def comment_url(article_url: str, number: int) -> str:
    """Comment ``number``'s page, as ``Comment.get_absolute_url`` gives it, from its article's
    address: pages link many comments, and reversing the URL for each would be slow."""
    return f"{article_url}c/{number}/"


class ReplyRef(models.Model):
    """A ``>>N`` in a comment: lets comment N list the comments that answer it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reply_refs")
    target_number = models.PositiveIntegerField()

    class Meta:
        ordering = ("article", "target_number", "source")
        indexes = [models.Index(fields=("article", "target_number"), name="replyref_target_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=("source", "target_number"), name="replyref_unique_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} >>{self.target_number}"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("spam or advertising")
    ABUSE = "abuse", _("abuse or harassment")
    OFF_TOPIC = "off_topic", _("off topic")
    OTHER = "other", _("something else")


class Report(models.Model):
    """A reader's report that a comment breaks the rules."""

    Reason = ReportReason

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="reports", verbose_name=_("comment")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason)
    detail = models.CharField(_("details"), max_length=500, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reporter"),
    )
    reporter_key = models.CharField(_("reporter key"), max_length=64, editable=False)
    # A keyed hash of the reporter's address: one address counts once, whatever its cookies.
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(_("resolution"), max_length=100, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason__in=ReportReason.values),
                name="report_reason_valid",
            ),
            # One report per comment and reader, known by their browser, their account or their
            # address; reporting again after it was resolved reopens it.
            models.UniqueConstraint(
                fields=("comment", "reporter_key"), name="report_once_per_reporter"
            ),
            models.UniqueConstraint(
                fields=("comment", "reporter"),
                condition=models.Q(reporter__isnull=False),
                name="report_once_per_account",
            ),
            models.UniqueConstraint(
                fields=("comment", "ip_hash"),
                condition=~models.Q(ip_hash=""),
                name="report_once_per_address",
            ),
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.comment}"


class CommentRevision(models.Model):
    """A comment's text and name as they were before one of its author's edits."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(_("body"))
    author_name = models.CharField(_("name"), max_length=AUTHOR_NAME_MAX_LENGTH, blank=True)
    # When this text was replaced.
    replaced_at = models.DateTimeField(_("replaced at"), default=timezone.now)

    class Meta:
        ordering = ("comment", "-replaced_at", "-pk")
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")

    def __str__(self) -> str:
        return f"{self.comment} @ {self.replaced_at:%Y-%m-%d %H:%M}"


class ReportedComment(Comment):
    """Comments with open reports: the moderators' queue, most reported first."""

    class Meta:
        proxy = True
        verbose_name = _("reported comment")
        verbose_name_plural = _("reported comments")


class PendingComment(Comment):
    """Comments held for approval."""

    class Meta:
        proxy = True
        verbose_name = _("comment awaiting approval")
        verbose_name_plural = _("comments awaiting approval")


class Ban(models.Model):
    """A poster who may not comment: a user, or an anonymous poster by a keyed hash of their IP."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("banned at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("banned by"),
        editable=False,
    )
    expires_at = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("Empty: for good.")
    )

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, ip_hash="")
                    | models.Q(user__isnull=True) & ~models.Q(ip_hash="")
                ),
                name="ban_user_or_ip",
            ),
        ]
        verbose_name = _("ban")
        verbose_name_plural = _("bans")

    def __str__(self) -> str:
        who = str(self.user) if self.user_id else f"IP {self.ip_hash[:10]}…"
        return f"{who}: {self.reason}"


class ModerationLog(models.Model):
    """Every moderation action: who, when, what, on which comment, and why."""

    class Action(models.TextChoices):
        HIDE = "hide", _("hid")
        REMOVE = "remove", _("removed")
        RESTORE = "restore", _("restored")
        APPROVE = "approve", _("approved")
        DELETE = "delete", _("deleted with its replies")
        MOVE = "move", _("moved")
        EDIT = "edit", _("edited")
        BAN = "ban", _("banned")
        DISMISS = "dismiss", _("dismissed reports")
        CLOSE = "close", _("closed comments")
        REOPEN = "reopen", _("reopened comments")
        PREMODERATE = "premod", _("changed pre-moderation")

    action = models.CharField(_("action"), max_length=10, choices=Action)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("moderator"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comment"),
    )
    # What it was about, kept when the comment itself is gone: "#12 on <article>".
    target = models.CharField(_("target"), max_length=300)
    # An edit's: the comment's text and name before it.
    revision = models.ForeignKey(
        "CommentRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("text before"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        action = self.get_action_display()
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.moderator}: {action} {self.target}"


class DeletedImport(models.Model):
    """An imported comment deleted here, by a moderator or with a comment above it: an import of
    the same export later leaves it out (and the replies under it) instead of bringing it back."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    import_ref = models.CharField(max_length=100)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("article", "import_ref"), name="deletedimport_unique_ref"
            ),
        ]

    def __str__(self) -> str:
        return self.import_ref


class UsedFormToken(models.Model):
    """A comment form already sent, and the comment it created: a form is posted only once.

    Kept for as long as a form token is accepted (``FORUM_FORM_MAX_SECONDS``), then pruned.
    """

    # The SHA-256 of the signed token, in hex.
    key = models.CharField(max_length=64, unique=True)
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"{self.key[:12]}… → {self.comment_id}"


class RateCounter(models.Model):
    """Posts counted per poster and time window, shared by every app server through the database."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("key", "window_start")
        constraints = [
            models.UniqueConstraint(fields=("key", "window_start"), name="ratecounter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"
