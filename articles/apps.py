from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Articles and comments")

    def ready(self) -> None:
        from . import roles, signals  # noqa: F401 - connects the signal handlers

        # After every migrate, once the permissions exist.
        post_migrate.connect(roles.ensure_moderators_group, sender=self)
        post_migrate.connect(roles.ensure_editors_group, sender=self)
