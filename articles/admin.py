"""The moderation desk: articles, comments in their threads, reports, held comments, bans, the log.

Every change to a comment goes through ``articles.moderation`` (and so through the services and
the tree lock), and is recorded in the moderation log.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from reactions.models import COUNT_FIELDS

from . import moderation, publishing, services
from .models import (
    Article,
    ArticleRedirect,
    Ban,
    Block,
    Comment,
    CommentRevision,
    Image,
    ImageCredit,
    Link,
    ModerationLog,
    PendingComment,
    Report,
    ReportedComment,
    Section,
)
from .slugs import slug_from_title, unique_slug
from .sql.locks import retrying

admin.site.site_header = _("Forum moderation")
admin.site.site_title = _("Forum moderation")

Action = ModerationLog.Action


# Articles ---------------------------------------------------------------------------------------


class BlockForm(forms.ModelForm):
    # Where the row stands in the form; static/js/admin-blocks.js keeps it as the rows move.
    # It also carries the labels of the script's buttons, in the admin's language.
    order = forms.IntegerField(
        widget=forms.HiddenInput(attrs={"data-up": _("Move up"), "data-down": _("Move down")}),
        required=False,
    )

    class Meta:
        model = Block
        fields = ("kind", "text", "image")
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def has_changed(self) -> bool:
        # The script numbers every row, the blank one the admin adds too: a new row given only
        # its place, with nothing typed in it, is still blank, and left out rather than refused
        # for having no text.
        untouched = self.instance.pk is None and set(self.changed_data) <= {"order"}
        if untouched and not self.data.get(self.add_prefix("text")):
            return False
        return super().has_changed()

    def clean(self) -> dict:
        data = super().clean()
        kind, image, text = data.get("kind"), data.get("image"), data.get("text", "").strip()
        if kind == Block.Kind.IMAGE and image is None:
            self.add_error("image", ValidationError(gettext("Choose the image."), code="required"))
        if kind and kind != Block.Kind.IMAGE:
            if image is not None:
                self.add_error(
                    "image",
                    ValidationError(
                        gettext("Only an image block shows an image."), code="image_not_allowed"
                    ),
                )
            if not text:
                self.add_error("text", ValidationError(gettext("Write the text."), code="required"))
        return data


class BlockInline(admin.TabularInline):
    model = Block
    form = BlockForm
    extra = 1
    # Searched by alt text, source or subject: a news site's images soon run into thousands.
    autocomplete_fields = ("image",)
    ordering = ("position",)
    classes = ("blocks",)

    class Media:
        js = ("js/admin-blocks.js",)
        css = {"all": ("css/admin-blocks.css",)}


class ImageCreditInline(admin.TabularInline):
    model = ImageCredit
    extra = 0
    ordering = ("role", "after_paragraph")


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    ordering = ("kind", "position")


class ArticleRedirectInline(admin.TabularInline):
    model = ArticleRedirect
    fields = ("old_slug", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("old addresses (they redirect here)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ArticleAdminForm(forms.ModelForm):
    source_url = forms.URLField(
        label=_("source URL"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Article
        fields = (
            "title",
            "slug",
            "lead",
            "featured_image",
            "section",
            "author",
            "status",
            "published_at",
            "comments_open",
            "premoderation",
            "daily_ids",
            "source_url",
        )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not slug:
            if self.instance.pk:
                raise ValidationError(
                    gettext("An article that has an address keeps one."), code="required"
                )
            title = self.cleaned_data.get("title", "")
            return unique_slug(slug_from_title(title), taken=self.instance.slug_taken)
        if self.instance.slug_taken(slug):
            raise ValidationError(
                gettext("This slug is taken by another article, now or in the past."),
                code="slug_taken",
            )
        return slug


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "state",
        "published_at",
        "section",
        "author",
        "comments_open",
        "premoderation",
        "comment_count",
        "page",
    )
    list_filter = ("status", "section", "comments_open", "premoderation", "published_at")
    list_select_related = ("section", "author")
    date_hierarchy = "published_at"
    search_fields = ("title",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "lead", "featured_image", "section", "author")}),
        (_("Publication"), {"fields": ("status", "published_at")}),
        (
            _("Comments and source"),
            {"fields": ("comments_open", "premoderation", "daily_ids", "source_url")},
        ),
    )
    inlines = (BlockInline, ImageCreditInline, LinkInline, ArticleRedirectInline)
    autocomplete_fields = ("featured_image",)
    actions = ("close_comments", "reopen_comments")

    def get_readonly_fields(self, request, obj=None):
        # Links in stored comment HTML and on other sites point at it.
        if obj is not None and obj.comments.exists():
            return ("slug",)
        return ()

    def get_changeform_initial_data(self, request) -> dict:
        return {
            "status": Article.Status.DRAFT,
            "author": request.user.pk,
            **super().get_changeform_initial_data(request),
        }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The admin runs these pages in a transaction of its own; a slug change takes tree locks and
    # may have to let go of them and run again from outside it (retrying).
    def changeform_view(self, request, *args, **kwargs):
        return retrying(super().changeform_view)(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        new_slug = obj.slug
        if change and "slug" in form.changed_data:
            obj.slug = form.initial["slug"]  # changed below, with its redirect
        super().save_model(request, obj, form, change)
        if obj.slug != new_slug and change:
            services.article_slug_change(article=obj, slug=new_slug)
            obj.slug = new_slug
        if change:
            moderation.article_form_logged(
                article=obj, changed=form.changed_data, moderator=request.user
            )

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Block:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        kept = [f for f in formset.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if f not in formset.deleted_forms]
        kept.sort(
            key=lambda f: (f.cleaned_data.get("order") is None, f.cleaned_data.get("order") or 0)
        )
        publishing.article_blocks_save(
            article=form.instance,
            blocks=[f.instance for f in kept],
            deleted=formset.deleted_objects,
        )

    @admin.display(description=_("status"), ordering="status")
    def state(self, article: Article) -> str:
        if article.status == Article.Status.PUBLISHED and not article.is_public():
            return gettext("scheduled")
        return article.get_status_display()

    @admin.display(description=_("comments"), ordering="last_comment_number")
    def comment_count(self, article: Article) -> int:
        return article.last_comment_number

    @admin.display(description=_("page"))
    def page(self, article: Article) -> str:
        label = gettext("View") if article.is_public() else gettext("Preview")
        return format_html('<a href="{}">{}</a>', article.get_absolute_url(), label)

    def _set_open(self, request: HttpRequest, queryset: QuerySet, is_open: bool) -> None:
        for article in queryset:
            moderation.article_comments_open(
                article=article, is_open=is_open, moderator=request.user
            )
        action = Action.REOPEN if is_open else Action.CLOSE
        self.message_user(
            request,
            ngettext(
                "%(count)d article: %(action)s.", "%(count)d articles: %(action)s.", len(queryset)
            )
            % {"count": len(queryset), "action": action.label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Close comments"), permissions=["change"])
    def close_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_open(request, queryset, False)

    @admin.action(description=_("Reopen comments"), permissions=["change"])
    def reopen_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_open(request, queryset, True)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("preview", "alt", "source", "licence", "width", "height", "uploaded_at")
    search_fields = ("alt", "source", "subject")
    fields = ("file", "alt", "source", "licence", "subject")

    @admin.display(description=_("image"))
    def preview(self, image: Image) -> str:
        return format_html(
            '<img src="{}" alt="" width="80" height="{}" loading="lazy">',
            image.thumbnail_src,
            max(1, round(image.height * 80 / image.width)) if image.width else 80,
        )

    def save_model(self, request: HttpRequest, obj: Image, form, change: bool) -> None:
        publishing.image_save(image=obj, file_changed="file" in form.changed_data)


# Comments ---------------------------------------------------------------------------------------


class CommentActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    days = forms.IntegerField(
        label=_("Ban for days (empty: for good)"), required=False, min_value=1, max_value=3650
    )


class CommentAdminForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("parent", "author_name", "body")

    def clean_parent(self) -> Comment | None:
        parent = self.cleaned_data["parent"]
        services.validate_move(comment=self.instance, parent=parent)
        return parent


class ReportedFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return (("yes", _("with open reports")), ("no", _("without")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(open_reports__gt=0)
        if self.value() == "no":
            return queryset.filter(open_reports=0)
        return queryset


class ReportInline(admin.TabularInline):
    model = Report
    fields = ("reason", "detail", "created_at", "resolved_at", "resolved_by", "resolution")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    """The comment's text before each edit, newest first."""

    model = CommentRevision
    fields = ("replaced_at", "author_name", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# How much of a comment the lists show, and of its article's title.
EXCERPT_LENGTH = 200
ARTICLE_TITLE_LENGTH = 24


def _reaction_counts(comment: Comment) -> str:
    """Its reaction counts, if it has any, for the comment's line in the lists: in the comment's
    own column, as a column of their own took the width its text is read in."""
    counts = [(kind.label, getattr(comment, field)) for kind, field in COUNT_FIELDS.items()]
    if not any(count for _, count in counts):
        return ""
    parts = format_html_join(" · ", "{} {}", counts)
    return format_html(' · <span class="reaction-counts">{}</span>', parts)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    form = CommentAdminForm
    # The comment first (its number, name and text), the article short: moderators read comments.
    list_display = ("comment_text", "short_article", "status", "open_reports")
    list_display_links = ("comment_text",)
    # Newest first, by the primary key: posting order, and an index every database has.
    ordering = ("-pk",)
    list_filter = ("status", ReportedFilter, "article", "created_at")
    # A daily ID finds that poster's comments of the day in its article.
    search_fields = ("body", "author_name", "=daily_id")
    list_per_page = 100
    list_select_related = ("article",)
    # A million comments: no COUNT(*) of the whole table on every page.
    show_full_result_count = False
    raw_id_fields = ("parent",)
    moderation_fields = (
        "created_at",
        "edited_at",
        "status",
        "moderated_by",
        "moderated_at",
        "moderation_reason",
        "open_reports",
    )
    reaction_fields = ("agree_count", "insightful_count", "disagree_count", "best_score")
    readonly_fields = (
        "article",
        "number",
        "user",
        "daily_id",
        *moderation_fields,
        *reaction_fields,
    )
    fieldsets = (
        (
            None,
            {"fields": ("article", "number", "parent", "author_name", "user", "daily_id", "body")},
        ),
        (_("Moderation"), {"fields": moderation_fields}),
        (_("Reactions"), {"fields": reaction_fields}),
    )
    inlines = (ReportInline, RevisionInline)
    action_form = CommentActionForm
    actions = (
        "hide",
        "remove",
        "restore",
        "approve",
        "dismiss_reports",
        "ban_posters",
        "delete_selected",
    )
    change_form_template = "admin/articles/comment/change_form.html"
    change_list_template = "admin/articles/comment/change_list.html"

    @admin.display(description=_("name"), ordering="author_name")
    def author(self, comment: Comment) -> str:
        return comment.shown_name

    @admin.display(description=_("comment"), ordering="pk")
    def comment_text(self, comment: Comment) -> str:
        excerpt = " / ".join(line.strip() for line in comment.body.splitlines() if line.strip())
        return format_html(
            '<span class="comment-head"><strong>#{}</strong> {} · <time>{}</time>{}</span>'
            '<span class="comment-excerpt">{}</span>',
            comment.number,
            self.author(comment),
            date_format(timezone.localtime(comment.created_at), "SHORT_DATETIME_FORMAT"),
            _reaction_counts(comment),
            Truncator(excerpt).chars(EXCERPT_LENGTH),
        )

    @admin.display(description=_("article"), ordering="article")
    def short_article(self, comment: Comment) -> str:
        title = comment.article.title
        return format_html(
            '<span class="short-article" title="{}">{}</span>',
            title,
            Truncator(title).chars(ARTICLE_TITLE_LENGTH),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # comments come from readers and the importer

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name="{}_{}_moderate".format(*info),
            ),
            *super().get_urls(),
        ]

    # The list's actions that the change page offers too, as buttons.
    change_page_actions = ("hide", "remove", "restore", "approve", "dismiss_reports", "ban_posters")

    def moderate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Run one of the list's actions on this comment, from its change page."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        return require_POST(self._moderate_one)(request, object_id)

    def _moderate_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        comment = get_object_or_404(self.get_queryset(request), pk=object_id)
        name = request.POST.get("moderation_action", "")
        if name not in self.change_page_actions:
            raise PermissionDenied
        # The form sends "reason" and "days" as the list's action form does.
        getattr(self, name)(request, Comment.objects.filter(pk=comment.pk))
        change_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[comment.pk],
        )
        return HttpResponseRedirect(change_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        comment = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if comment is not None and self.has_change_permission(request, comment):
            extra_context["moderation_actions"] = [
                (name, self.get_action(name)[2]) for name in self.change_page_actions
            ]
            extra_context["moderate_url"] = reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_moderate",
                args=[comment.pk],
            )
        if comment is not None:
            thread = [*comment.get_ancestors(), *comment.get_descendants(include_self=True)]
            base = reverse("admin:articles_comment_changelist")
            extra_context["thread"] = [
                # Indented up to 20 levels (admin-thread.css); deeper ones line up at 20.
                (node, min(node.level, 20), f"{base}{node.pk}/change/", node.pk == comment.pk)
                for node in thread
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    # The admin runs these pages in a transaction of its own; a tree write that meets a lock out
    # of order can only let go of its locks and run again from outside it (retrying).
    def changeform_view(self, request, *args, **kwargs):
        return retrying(super().changeform_view)(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return retrying(super().delete_view)(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Comment, form, change: bool) -> None:
        # Never obj.save(): django-mptt would move the node without the tree lock.
        reason = gettext("edited in the admin")
        if "parent" in form.changed_data:
            moderation.comment_reparent(
                comment=obj,
                parent=form.cleaned_data["parent"],
                moderator=request.user,
                reason=reason,
            )
        if {"body", "author_name"} & set(form.changed_data):
            moderation.comment_correct(
                comment=obj,
                body=form.cleaned_data["body"],
                author_name=form.cleaned_data["author_name"],
                moderator=request.user,
                reason=reason,
            )

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        moderation.comment_subtree_delete(comment=obj, moderator=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Outermost first; a reply may already have gone with its parent's subtree.
        for comment in queryset.order_by("level"):
            if Comment.objects.filter(pk=comment.pk).exists():
                moderation.comment_subtree_delete(comment=comment, moderator=request.user)

    def _moderate(self, request: HttpRequest, queryset: QuerySet, action: Action) -> None:
        reason = request.POST.get("reason", "")
        for comment in queryset:
            moderation.comment_moderate(
                comment=comment, action=action, moderator=request.user, reason=reason
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d comment: %(action)s.", "%(count)d comments: %(action)s.", len(queryset)
            )
            % {"count": len(queryset), "action": action.label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Hide (only moderators see them)"), permissions=["change"])
    def hide(self, request, queryset):
        self._moderate(request, queryset, Action.HIDE)

    @admin.action(
        description=_("Remove (a placeholder stays; replies stay)"), permissions=["change"]
    )
    def remove(self, request, queryset):
        self._moderate(request, queryset, Action.REMOVE)

    @admin.action(description=_("Restore"), permissions=["change"])
    def restore(self, request, queryset):
        self._moderate(request, queryset, Action.RESTORE)

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset.filter(status=Comment.Status.PENDING), Action.APPROVE)

    @admin.action(description=_("Dismiss their reports"), permissions=["change"])
    def dismiss_reports(self, request, queryset):
        reason = request.POST.get("reason", "")
        for comment in queryset:
            moderation.reports_dismiss(comment=comment, moderator=request.user, reason=reason)
        self.message_user(
            request,
            ngettext(
                "%(count)d comment: %(action)s.", "%(count)d comments: %(action)s.", len(queryset)
            )
            % {"count": len(queryset), "action": Action.DISMISS.label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Ban their posters"), permissions=["change"])
    def ban_posters(self, request, queryset):
        reason = request.POST.get("reason", "")
        days = request.POST.get("days", "")
        until = timezone.now() + timedelta(days=int(days)) if days.isdigit() else None
        if not reason:
            self.message_user(request, gettext("Give a reason for the ban."), messages.ERROR)
            return
        banned = 0
        for comment in queryset:
            try:
                moderation.poster_ban(
                    comment=comment, moderator=request.user, reason=reason, until=until
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                banned += 1
        if banned:
            if until is None:
                message = ngettext(
                    "Banned the poster of %(count)d comment for good.",
                    "Banned the posters of %(count)d comments for good.",
                    banned,
                ) % {"count": banned}
            else:
                message = ngettext(
                    "Banned the poster of %(count)d comment for %(days)d days.",
                    "Banned the posters of %(count)d comments for %(days)d days.",
                    banned,
                ) % {"count": banned, "days": int(days)}
            self.message_user(request, message, messages.SUCCESS)


@admin.register(ReportedComment)
class ReportedCommentAdmin(CommentAdmin):
    """The reported queue: comments with open reports, most reported first."""

    list_display = ("comment_text", "open_reports", "short_article", "status")
    list_filter = ("status", "article")
    actions = ("dismiss_reports", "hide", "remove", "ban_posters")
    ordering = ("-open_reports", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(open_reports__gt=0)


@admin.register(PendingComment)
class PendingCommentAdmin(CommentAdmin):
    """The approval queue: held comments, oldest first."""

    list_display = ("comment_text", "short_article")
    list_filter = ("article",)
    actions = ("approve", "remove", "ban_posters")
    ordering = ("created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Comment.Status.PENDING)


# Bans and the log -------------------------------------------------------------------------------


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_by", "created_at", "expires_at", "in_force")
    list_filter = ("created_at", "expires_at")
    list_select_related = ("user", "created_by")
    raw_id_fields = ("user",)
    fields = ("user", "ip_hash", "reason", "expires_at")

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, ban: Ban) -> bool:
        return ban.expires_at is None or ban.expires_at > timezone.now()

    def save_model(self, request, obj, form, change) -> None:
        moderation.ban_save(ban=obj, moderator=request.user)


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    """Every moderation action, newest first; read-only."""

    list_display = ("created_at", "moderator", "action", "target", "reason", "text_before")
    list_filter = ("action", "moderator", "created_at")
    list_select_related = ("moderator", "revision")
    search_fields = ("target", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("text before"))
    def text_before(self, entry: ModerationLog) -> str:
        if entry.revision is None:
            return ""
        return Truncator(entry.revision.body).chars(200)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "comment", "reason", "resolved_at", "resolved_by", "resolution")
    list_filter = ("reason", "resolved_at")
    list_select_related = ("comment", "resolved_by")
    raw_id_fields = ("comment",)
    readonly_fields = (
        "comment",
        "reason",
        "detail",
        "created_at",
        "resolved_at",
        "resolved_by",
        "resolution",
    )
    exclude = ("reporter",)

    def has_add_permission(self, request) -> bool:
        return False
