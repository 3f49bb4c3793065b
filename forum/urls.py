from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from articles.forms import LimitedAuthenticationForm
from articles.views import signup

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LimitedAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", signup, name="signup"),
    path("", include("articles.urls")),
]

handler400 = "forum.errors.bad_request"
handler403 = "forum.errors.permission_denied"
handler404 = "forum.errors.page_not_found"
handler500 = "forum.errors.server_error"
