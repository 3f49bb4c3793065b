from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/settings/", views.settings_hub, name="settings"),
    path("accounts/email/", views.email_change, name="email_change"),
    path("accounts/email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path("accounts/delete/", views.delete, name="delete"),
    path("users/<str:username>/", views.profile, name="profile"),
]
