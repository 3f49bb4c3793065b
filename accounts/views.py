from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from articles.abuse import addresses, limits
from articles.models import Article, Comment, comment_url

from .deletion import account_delete
from .email_change import email_change_check, email_change_confirm, email_change_request
from .forms import (
    AccountDeleteForm,
    EmailChangeForm,
    LimitedPasswordChangeForm,
    MailingPasswordResetForm,
    SignupForm,
)

PROFILE_PAGE_SIZE = 20


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        ip_hash = addresses.request_ip_hash(request)
        if limits.signup_allowed(ip_hash):
            user = form.save()
            login(request, user)
            messages.success(request, gettext("Welcome! You are signed in."))
            if email := form.cleaned_data["email"]:
                _confirm_signup_address(request, user=user, email=email, ip_hash=ip_hash)
            return redirect(next_url or "articles:article_list")
        form.add_error(
            None,
            ValidationError(
                gettext("Too many sign-ups from your address. Please try again in an hour."),
                code="too_many_signups",
            ),
        )
        status = 429
    return render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=status
    )


def _confirm_signup_address(request: HttpRequest, *, user, email: str, ip_hash: str) -> None:
    """Send the link that makes ``email`` the new account's, whether or not another account
    has it: the answer is the same either way (only the mailbox's owner learns, on following
    the link, that the address is taken)."""
    if not limits.account_mail_allowed(ip_hash=ip_hash, email=email):
        messages.warning(
            request,
            gettext(
                "We could not send a link to %(email)s just now. "
                "Add your address later from your account settings."
            )
            % {"email": email},
        )
        return
    email_change_request(request=request, user=user, email=email)
    messages.info(
        request,
        gettext("We have sent a link to %(email)s. It becomes your address when you follow it.")
        % {"email": email},
    )


@login_required
def settings_hub(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/settings.html")


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, request=request)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        ip_hash = addresses.request_ip_hash(request)
        if limits.account_mail_allowed(ip_hash=ip_hash, email=email):
            email_change_request(request=request, user=request.user, email=email)
            messages.success(
                request,
                gettext(
                    "We have sent a link to %(email)s. Your address changes when you follow it."
                )
                % {"email": email},
            )
            return redirect("accounts:settings")
        form.add_error(
            None,
            ValidationError(
                gettext(
                    "Too many confirmation mails have been asked for lately. "
                    "Please try again in an hour."
                ),
                code="too_many_mails",
            ),
        )
        status = 429
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a new address: shown on GET, changed on POST (a mail scanner only GETs)."""
    try:
        if request.method == "POST":
            email_change_confirm(token=token)
            messages.success(request, gettext("Your e-mail address has been changed."))
            return redirect("accounts:settings" if request.user.is_authenticated else "login")
        email = email_change_check(token=token)
    except ValidationError as error:
        return render(
            request, "accounts/email_confirm.html", {"error": error.messages[0]}, status=400
        )
    return render(request, "accounts/email_confirm.html", {"email": email})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        account_delete(user=user)
        messages.success(request, gettext("Your account has been deleted."))
        return redirect("articles:article_list")
    return render(request, "accounts/delete.html", {"form": form})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """An account's published comments, newest first."""
    account = get_object_or_404(get_user_model(), username=username, is_active=True)
    comments = (
        Comment.objects.public()
        .filter(user=account, article__in=Article.objects.published())
        .select_related("article")
        .only("number", "body", "created_at", "edited_at", "article__slug", "article__title")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(comments, PROFILE_PAGE_SIZE).get_page(request.GET.get("page"))
    staff = account.is_staff or account.is_superuser
    if staff and not page.paginator.count and request.user != account:
        # Bylines hide staff log-in names; only one shown on a public comment is known already.
        raise Http404
    for comment in page:
        comment.url = comment_url(comment.article.get_absolute_url(), comment.number)
    return render(request, "accounts/profile.html", {"account": account, "page": page})


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    form_class = LimitedPasswordChangeForm
    success_url = reverse_lazy("accounts:settings")
    success_message = _("Your password has been changed.")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    form_class = MailingPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    extra_email_context = {"days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600)}
