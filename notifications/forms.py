from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MailMode


class MailPreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("E-mail me about replies"), choices=MailMode.choices, widget=forms.RadioSelect
    )
