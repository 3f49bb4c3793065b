from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreationForm,
)
from django.core.exceptions import ValidationError
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.abuse import addresses, limits, names
from forum.mail import enqueue_mail

EMAIL_HELP = _(
    "Optional. Needed for e-mail notifications and to reset a forgotten password; "
    "never shown to anyone. We send it a link: it becomes your address when you follow it."
)


def email_taken(email: str, *, besides=None) -> bool:
    """Whether another account has this address, in any case."""
    accounts = get_user_model().objects.filter(email__iexact=email)
    if besides is not None:
        accounts = accounts.exclude(pk=besides.pk)
    return accounts.exists()


def validate_email_free(email: str, *, besides=None) -> None:
    if email and email_taken(email, besides=besides):
        raise ValidationError(
            gettext("This address belongs to another account."), code="email_taken"
        )


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=EMAIL_HELP,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        # Not the address: it becomes the account's only once a link sent to it is followed, so
        # that sign-up never tells anyone whether an address already has an account.
        fields = ("username",)

    def clean_username(self) -> str:
        username = super().clean_username()
        # Else an account would take a staff name for itself, and post under it.
        if names.is_staff_name(username):
            raise ValidationError(
                gettext("This name is reserved. Please choose another."), code="name_reserved"
            )
        return username

    def clean_email(self) -> str:
        return get_user_model().objects.normalize_email(self.cleaned_data["email"])


class LoginLimitMixin:
    """Refuse to check passwords for an address that has failed to log in too often lately."""

    def clean(self):
        if self.request is not None and limits.login_blocked(
            addresses.request_ip_hash(self.request)
        ):
            raise ValidationError(
                gettext("Too many failed log-ins from your address. Try again in 15 minutes."),
                code="too_many_logins",
            )
        return super().clean()


class LimitedAuthenticationForm(LoginLimitMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(LoginLimitMixin, AdminAuthenticationForm):
    pass


class MailingPasswordResetForm(PasswordResetForm):
    """Django's password reset, its mail sent through the forum's mail queue, within the limits
    of account mails (``limits.account_mail_allowed``)."""

    def save(self, *args, request=None, **kwargs) -> None:
        ip_hash = addresses.request_ip_hash(request) if request is not None else None
        # Over a limit nothing is sent, and the reader is told the same as ever: the answer must
        # not say whether the address has an account, nor whether a limit was hit.
        if limits.account_mail_allowed(ip_hash=ip_hash, email=self.cleaned_data["email"]):
            super().save(*args, request=request, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        html = None
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
        enqueue_mail(
            to=to_email,
            subject=subject,
            text=loader.render_to_string(email_template_name, context),
            html=html,
        )


class PasswordCheckMixin:
    """A form that asks for the account's current password before it changes anything.

    Wrong passwords count as failed log-ins from the address, and are refused like them when
    there were too many: a stolen session must not become a way to guess the password.
    """

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        check_current_password(request=self.request, user=self.user, password=password)
        return password


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, its old password checked like ``PasswordCheckMixin``'s."""

    def __init__(self, user, *args, request, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        check_current_password(request=self.request, user=self.user, password=password)
        return password


def check_current_password(*, request, user, password: str) -> None:
    """Raise ValidationError unless ``password`` is the account's and its address may still try."""
    ip_hash = addresses.request_ip_hash(request)
    if limits.login_blocked(ip_hash):
        raise ValidationError(
            gettext("Too many failed log-ins from your address. Try again in 15 minutes."),
            code="too_many_logins",
        )
    if not user.check_password(password):
        limits.login_failed(ip_hash)
        raise ValidationError(
            gettext("Your password was entered incorrectly."), code="password_incorrect"
        )


class EmailChangeForm(PasswordCheckMixin, forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_(
            "We send a link to this address; it takes the place of the old one once you follow it."
        ),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user

    def clean_email(self) -> str:
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"])
        if email.lower() == self.user.email.lower():
            raise ValidationError(gettext("This is already your address."), code="email_unchanged")
        # Whether another account has it is checked when the link is followed, by the mailbox's
        # owner: said here, any account could ask the form about every address.
        return email


class AccountDeleteForm(PasswordCheckMixin, forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you."),
    )

    def __init__(self, *args, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user
