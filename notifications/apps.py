from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from articles.events import comment_published

        from . import services

        comment_published.connect(services.on_comment_published, dispatch_uid="notifications")
