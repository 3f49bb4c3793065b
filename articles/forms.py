import hashlib
import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .boards import trips
from .models import AUTHOR_NAME_MAX_LENGTH, COMMENT_BODY_MAX_LENGTH, Report, UsedFormToken
from .services import validate_comment_body
from .text import clean_comment_text

FORM_TOKEN_SALT = "articles.comment_form"


def form_token(issued_at: float | None = None) -> str:
    """A signed note of when a form was handed out, unique to that form."""
    issued_at = issued_at if issued_at is not None else time.time()
    return signing.dumps([issued_at, secrets.token_hex(8)], salt=FORM_TOKEN_SALT)


def form_issued_at(token: str) -> float:
    """When the form of this token was handed out; refuse a token that is not ours."""
    try:
        value = signing.loads(token, salt=FORM_TOKEN_SALT)
        # A bare time: a token handed out before tokens were made unique to their form.
        return float(value[0] if isinstance(value, list) else value)
    except (signing.BadSignature, TypeError, ValueError, IndexError) as error:
        raise ValidationError(
            gettext("This form could not be checked. Please post again."), code="form_invalid"
        ) from error


def check_form_token(token: str, *, posting: bool = True) -> str:
    """Refuse a form sent back too fast for a person (when ``posting``: a preview writes
    nothing), too long after it was shown, or forged; return the key that records it as used
    (``articles.posting``)."""
    age = time.time() - form_issued_at(token)
    if posting and age < settings.FORUM_FORM_MIN_SECONDS:
        raise ValidationError(
            gettext("That was fast. Please check your comment and post it again."),
            code="form_too_fast",
        )
    if age > settings.FORUM_FORM_MAX_SECONDS:
        raise ValidationError(
            gettext("This form has expired. Your text is kept: please post it again."),
            code="form_expired",
        )
    return hashlib.sha256(token.encode()).hexdigest()


class TokenForm(forms.Form):
    """A reader's form, carrying when it was handed out: signed, and used once."""

    issued = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("issued", form_token())

    def clean_issued(self) -> str:
        posting = "preview" not in self.data
        self.form_key = check_form_token(self.cleaned_data["issued"], posting=posting)
        return self.cleaned_data["issued"]

    def refresh_token(self) -> None:
        """Give the form shown again (previewed, or with an error) the token it came with, still
        unused: a reader who posts the moment a preview comes back has been on the form since it
        was first shown, and the form is still posted once only. A fresh token instead for one
        that is forged, expired or already used (it would otherwise mint a form that can be
        posted at once)."""
        if not self.is_bound:
            return
        token = self.data.get("issued", "")
        try:
            key = check_form_token(token, posting=False)
        except ValidationError:
            key = None
        if key is None or UsedFormToken.objects.filter(key=key).exists():
            self.data = self.data.copy()
            self.data["issued"] = form_token()


class CommentForm(TokenForm):
    """A new comment, a reply, or an edit: the reader's name and text."""

    author_name = forms.CharField(
        label=_("Name"),
        required=False,
        # Room for a trip secret after the name ("name#secret", articles.boards.trips).
        max_length=AUTHOR_NAME_MAX_LENGTH + 1 + trips.SECRET_MAX_LENGTH,
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

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
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

    def clean_author_name(self) -> str:
        name = clean_comment_text(self.cleaned_data["author_name"]).strip()
        if len(trips.name_part(name)) > AUTHOR_NAME_MAX_LENGTH:
            raise ValidationError(
                gettext("A name can be at most %(limit)d characters long."),
                code="name_too_long",
                params={"limit": AUTHOR_NAME_MAX_LENGTH},
            )
        return name

    def clean_body(self) -> str:
        body = clean_comment_text(self.cleaned_data["body"])
        validate_comment_body(body)
        return body

    @property
    def posting_name(self) -> str:
        if self.user is not None and self.user.is_authenticated:
            return self.user.get_username()
        return self.cleaned_data.get("author_name", "")


class ReportForm(TokenForm):
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
