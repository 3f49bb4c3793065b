"""The staff groups, each with only the permissions it needs: moderators moderate comments in the
admin; editors write and publish articles."""

from django.contrib.auth.models import Group, Permission

MODERATORS = "moderators"

MODERATOR_PERMISSIONS = {
    "articles": [
        "view_article",
        "change_article",
        *(
            f"{verb}_{model}"
            for verb in ("view", "add", "change", "delete")
            for model in ("block", "imagecredit", "link", "ban")
        ),
        "view_comment",
        "change_comment",
        "delete_comment",
        "view_reportedcomment",
        "change_reportedcomment",
        "view_pendingcomment",
        "change_pendingcomment",
        "view_report",
        "change_report",
        "view_moderationlog",
    ],
    # To pick the user to ban; not to change accounts.
    "auth": ["view_user"],
}


EDITORS = "editors"

EDITOR_PERMISSIONS = {
    "articles": [
        "view_article",
        "add_article",
        "change_article",
        *(
            f"{verb}_{model}"
            for verb in ("view", "add", "change", "delete")
            for model in ("block", "imagecredit", "link", "image", "section")
        ),
        "view_articleredirect",
    ],
}


def _ensure_group(name: str, wanted: dict[str, list[str]]) -> Group:
    group, _created = Group.objects.get_or_create(name=name)
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codenames in wanted.items()
        for codename in codenames
    ]
    group.permissions.set(permissions)
    return group


def ensure_moderators_group(**kwargs) -> Group:
    """Create the moderators group, or reset its permissions to exactly the ones above."""
    return _ensure_group(MODERATORS, MODERATOR_PERMISSIONS)


def ensure_editors_group(**kwargs) -> Group:
    """Create the editors group, or reset its permissions to exactly the ones above."""
    return _ensure_group(EDITORS, EDITOR_PERMISSIONS)
