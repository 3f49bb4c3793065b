from django.contrib import admin

from .forms import LimitedAdminAuthenticationForm

# The admin's log-in counts and limits failed attempts like the site's.
admin.site.login_form = LimitedAdminAuthenticationForm
