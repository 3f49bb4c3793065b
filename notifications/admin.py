from django.contrib import admin

from .models import MailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "reply", "created_at", "read_at", "mailed_at")
    list_select_related = ("recipient", "reply")
    raw_id_fields = ("recipient", "reply")
    readonly_fields = ("created_at", "read_at", "mailed_at")


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "mode", "language")
    list_filter = ("mode",)
    raw_id_fields = ("user",)
