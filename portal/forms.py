from django import forms
from django.utils.translation import gettext_lazy as _

from registry.identifiers import is_valid_pid


class TestLoginForm(forms.Form):
    pid = forms.CharField(
        label=_("Fødselsnummer"),
        max_length=11,
        min_length=11,
        help_text=_("11 siffer. Kun for test: ingen passord."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_pid(self) -> str:
        pid = self.cleaned_data["pid"].strip()
        if not is_valid_pid(pid):
            raise forms.ValidationError(_("Dette er ikke et gyldig fødselsnummer."))
        return pid
