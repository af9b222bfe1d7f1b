from django import forms
from django.utils.translation import gettext_lazy as _

from lib.identifiers import is_valid_pid
from registry.models import Person


class TestLoginForm(forms.Form):
    pid = forms.CharField(
        label=_("Fødselsnummer"),
        max_length=20,
        help_text=_("11 siffer. Kun for test: ingen passord."),
        error_messages={"required": _("Skriv inn fødselsnummeret (11 siffer).")},
    )

    def clean_pid(self) -> str:
        pid = "".join(self.cleaned_data["pid"].split())
        if not pid.isdigit() or len(pid) != 11:
            raise forms.ValidationError(_("Fødselsnummeret må være 11 siffer."))
        if not is_valid_pid(pid):
            raise forms.ValidationError(_("Dette er ikke et gyldig fødselsnummer. Sjekk at du har skrevet det riktig."))
        self.person = Person.objects.filter(pid=pid).first()
        if self.person is None:
            raise forms.ValidationError(_("Vi finner ingen person med dette fødselsnummeret i registeret."))
        return pid
