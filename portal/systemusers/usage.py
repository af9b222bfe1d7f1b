"""A system access's use as the business sees it: when it was last used, how much, and the last refused
attempts with the reason in words (registry.usage counts them)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import usage
from registry.models import RefusalReason, SystemUser, TokenRefusal

REFUSAL_WORDS = {
    RefusalReason.UNKNOWN_EXTERNAL_REF: gettext_lazy(
        "Leverandøren ba om tilgang med den eksterne referansen «%(detail)s», men virksomheten har ingen "
        "systemtilgang for systemet med den referansen."
    ),
    RefusalReason.SYSTEM_USER_DELETED: gettext_lazy(
        "Leverandøren ba om tilgang gjennom en systemtilgang som er slettet."
    ),
    RefusalReason.NO_SYSTEM_USER: gettext_lazy(
        "Leverandøren ba om tilgang, men virksomheten har ingen systemtilgang for systemet."
    ),
    RefusalReason.CLIENT_NOT_ON_SYSTEM: gettext_lazy(
        "Leverandøren brukte en klient som ikke er registrert på systemet."
    ),
    RefusalReason.UNKNOWN_ORGANISATION: gettext_lazy(
        "Leverandøren ba om tilgang for en virksomhet som ikke er kjent her."
    ),
    RefusalReason.REPLAYED: gettext_lazy(
        "Leverandørens program sendte den samme forespørselen om tilgang to ganger; den andre ble avvist."
    ),
}


def refusal_text(refusal: TokenRefusal) -> str:
    words = REFUSAL_WORDS.get(refusal.reason)
    if words is None:  # a check of the vendor's own request: its technical reason is all there is
        text = _("Leverandørens forespørsel om tilgang ble avvist: %(description)s")
        return text % {"description": refusal.description}
    return str(words) % {"detail": refusal.detail}


def usage_context(system_user: SystemUser) -> dict:
    """Three queries, whatever the traffic (registry.usage.usage_of)."""
    used = usage.usage_of(system_user)
    return {"usage": used, "refusals": [(r, refusal_text(r)) for r in used.refusals]}
