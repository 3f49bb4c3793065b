from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReactionsConfig(AppConfig):
    name = "reactions"
    verbose_name = _("reactions")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from .reacting import reactions_withdraw_all

        def withdraw(sender, instance, **kwargs) -> None:
            # However the account is deleted (by its owner, in the admin): its reactions go,
            # and the counts with them, rather than leaving counts no reaction stands behind.
            reactions_withdraw_all(user=instance)

        pre_delete.connect(withdraw, sender=get_user_model(), dispatch_uid="reactions.withdraw")
