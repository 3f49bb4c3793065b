from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("search")

    def ready(self) -> None:
        from . import index

        # SQLite has no NFKC: the triggers that keep the index call this Python function, so
        # every connection that writes comments needs it (as Django registers its own functions).
        connection_created.connect(index.register_sqlite_function)
        # SQLite remakes a table to alter it, dropping its triggers: put back what went missing.
        post_migrate.connect(index.ensure_installed, sender=self)
