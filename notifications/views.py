from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .forms import MailPreferenceForm
from .models import MailMode, Notification
from .unsubscribe import user_id_from_token

PER_PAGE = 20


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The reader's notifications, newest first; those shown are read from now on."""
    notifications = (
        Notification.objects.filter(recipient=request.user).shown().select_related("reply__article")
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    unread = {n.pk for n in items if n.read_at is None}
    if unread:
        services.notifications_mark_read(user=request.user, ids=list(unread))
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "items": items, "unread": unread},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("notifications:list")


@login_required
def mail_settings(request: HttpRequest) -> HttpResponse:
    preference = services.mail_preference_for(request.user)
    form = MailPreferenceForm(request.POST or None, initial={"mode": preference.mode})
    if form.is_valid():
        try:
            services.mail_preference_set(
                user=request.user, mode=MailMode(form.cleaned_data["mode"]), language=get_language()
            )
        except ValidationError as error:
            form.add_error("mode", error)
        else:
            messages.success(request, gettext("Your e-mail settings are saved."))
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/mail_settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )


# Mail programs post the one-click unsubscribe (RFC 8058) with no cookie and no CSRF token: the
# signed token in the address is what proves the link came from the site's mail.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners follow links); POST turns notification mail off."""
    user_id = user_id_from_token(token)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.mail_unsubscribe(user_id=user.pk)
        return render(request, "notifications/unsubscribe.html", {"done": True})
    return render(request, "notifications/unsubscribe.html", {"token": token})
