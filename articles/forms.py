from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import abuse
from .abuse import check_form_token, form_token
from .models import AUTHOR_NAME_MAX_LENGTH, COMMENT_BODY_MAX_LENGTH, Report
from .services import validate_comment_body
from .text import clean_comment_text


class CommentForm(forms.Form):
    """A new comment, a reply, or an edit: the reader's name and text."""

    author_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=AUTHOR_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "placeholder": _("Anonymous")}),
    )
    body = forms.CharField(
        label=_("Comment"),
        # Checked in clean_body, so that an overlong text comes back whole with a clear message.
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": COMMENT_BODY_MAX_LENGTH}),
        error_messages={"required": _("Write something first.")},
    )

    # A trap for bots: people never see this field (the stylesheet hides it) and leave it empty.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # When the form was handed out, signed: a post sent back too fast or too late is refused.
    issued = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not self.is_bound:
            self.initial.setdefault("issued", form_token())
        for field in self.fields.values():
            # clean_comment_text refuses NUL with the message it gives every control character.
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]
        if user is not None and user.is_authenticated:
            # A signed-in reader posts under their account name.
            del self.fields["author_name"]

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise ValidationError(gettext("Your comment could not be posted."), code="honeypot")
        return ""

    def clean_issued(self) -> str:
        check_form_token(self.cleaned_data["issued"])
        return self.cleaned_data["issued"]

    def refresh_token(self) -> None:
        """Hand out a fresh timestamp when the form is shown again."""
        if self.is_bound:
            self.data = self.data.copy()
            self.data["issued"] = form_token()

    def clean_author_name(self) -> str:
        return clean_comment_text(self.cleaned_data["author_name"]).strip()

    def clean_body(self) -> str:
        body = clean_comment_text(self.cleaned_data["body"])
        validate_comment_body(body)
        return body

    @property
    def posting_name(self) -> str:
        if self.user is not None and self.user.is_authenticated:
            return self.user.get_username()
        return self.cleaned_data.get("author_name", "")


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this comment?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_detail(self) -> str:
        return clean_comment_text(self.cleaned_data["detail"])


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


class LoginLimitMixin:
    """Refuse to check passwords for an address that has failed to log in too often lately."""

    def clean(self):
        if self.request is not None and abuse.login_blocked(abuse.request_ip_hash(self.request)):
            raise ValidationError(
                gettext("Too many failed log-ins from your address. Try again in 15 minutes."),
                code="too_many_logins",
            )
        return super().clean()


class LimitedAuthenticationForm(LoginLimitMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(LoginLimitMixin, AdminAuthenticationForm):
    pass
