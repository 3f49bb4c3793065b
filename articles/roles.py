"""The moderators group: staff who moderate in the admin, with only the permissions they need."""

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


def ensure_moderators_group(**kwargs) -> Group:
    """Create the moderators group, or reset its permissions to exactly the ones above."""
    group, _created = Group.objects.get_or_create(name=MODERATORS)
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codenames in MODERATOR_PERMISSIONS.items()
        for codename in codenames
    ]
    group.permissions.set(permissions)
    return group
