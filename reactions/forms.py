from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReactionKind


class ReactionForm(forms.Form):
    """The reaction a tap sends: the button's value."""

    kind = forms.ChoiceField(
        choices=ReactionKind.choices, error_messages={"required": _("Choose a reaction.")}
    )
