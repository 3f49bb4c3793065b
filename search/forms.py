from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .query import MAX_QUERY_LENGTH, MAX_TERMS, Query


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, strip=True)

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        # Checked here rather than by max_length, so the reader's text stays in the box.
        if len(q) > MAX_QUERY_LENGTH:
            raise ValidationError(
                gettext("Your search is too long: at most %(limit)d characters.")
                % {"limit": MAX_QUERY_LENGTH},
                code="too_long",
            )
        if len(Query.parse(q).terms) > MAX_TERMS:
            raise ValidationError(
                gettext("Your search has too many words: at most %(limit)d.")
                % {"limit": MAX_TERMS},
                code="too_many_terms",
            )
        return q

    def query(self) -> Query | None:
        """The parsed query, or None when there is nothing to search for."""
        if not self.is_valid():
            return None
        query = Query.parse(self.cleaned_data["q"])
        return query if query.terms else None
