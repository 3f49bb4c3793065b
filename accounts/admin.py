from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from articles.sql.locks import retrying

from .forms import LimitedAdminAuthenticationForm

# The admin's log-in counts and limits failed attempts like the site's.
admin.site.login_form = LimitedAdminAuthenticationForm


class AccountAdmin(UserAdmin):
    # Deleting an account anonymises its comments and withdraws its reactions under their trees'
    # locks (accounts.signals, reactions); the admin deletes in a transaction of its own, so a
    # lock that cannot be waited for (a comment moved meanwhile, a tree being written to) can
    # only let go of it and run again from outside (retrying). The changelist deletes selected
    # accounts, logging them before it deletes them: in one transaction, so that an attempt let
    # go of leaves no entry behind.
    def delete_view(self, request, *args, **kwargs):
        return retrying(super().delete_view)(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        changelist = transaction.atomic(super().changelist_view)
        return retrying(changelist)(request, *args, **kwargs)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
