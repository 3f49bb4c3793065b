from django.db.models.signals import pre_delete

from articles import services


def anonymize_comments(sender, instance, **kwargs) -> None:
    """However an account is deleted (by its owner, in the admin), its comments stay, anonymous.

    Without this, deleting the row would only unlink them (SET_NULL), leaving its name on them.
    """
    services.comments_anonymize(user=instance)


def connect() -> None:
    from django.contrib.auth import get_user_model

    pre_delete.connect(anonymize_comments, sender=get_user_model(), dispatch_uid=__name__)
