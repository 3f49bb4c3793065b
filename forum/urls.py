from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import TemplateView

from articles.sitemaps import SITEMAPS

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    # Asked for by browsers and feed readers that do not read the page's <link rel="icon">; not
    # a permanent redirect: the icon's address changes with its content.
    path("favicon.ico", lambda request: redirect(static_url("img/favicon.svg")), name="favicon"),
    path("search/", include("search.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("live.urls")),
    path("", include("reactions.urls")),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    # Uploaded images in development (`make run`); in production the web server serves MEDIA_ROOT.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "forum.errors.bad_request"
handler403 = "forum.errors.permission_denied"
handler404 = "forum.errors.page_not_found"
handler500 = "forum.errors.server_error"
