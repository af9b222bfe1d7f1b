"""The portal's words, each once: actions on a service, why a person may not delegate something, what
happened to a system access, why a vendor's token request was refused, why an organisation is a client,
why a person may act for an organisation, and what a refused operation means. The firm's clients are
"klienter" everywhere, Altinn's word (as in the package klientadministrator).

Every page (system access pages and the approval pages at the vendor's confirmUrl) takes its words
from here, so one action or one error code reads the same wherever it is shown.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.errors import ServiceError
from registry.models import RefusalReason, TokenRefusal

# What a right lets the system do on a service; "" (every action in the service's policy) has its own word.
ACTIONS = {
    "read": gettext_lazy("lese"),
    "write": gettext_lazy("skrive"),
    "sign": gettext_lazy("signere"),
    "access": gettext_lazy("bruke"),
    "delete": gettext_lazy("slette"),
    "confirm": gettext_lazy("bekrefte"),
}
EVERY_ACTION = gettext_lazy("alt tjenesten tillater")

# Why the person may not give a package or right away (registry.access.DelegationFailure.reason).
REASONS = {
    "not_held": gettext_lazy("du har den ikke selv for virksomheten"),
    "not_delegable": gettext_lazy("du har den, men har ikke lov til å gi den videre"),
}

EVENTS = {
    "systemuser.created": gettext_lazy("Systemtilgangen ble opprettet"),
    "systemuser.deleted": gettext_lazy("Systemtilgangen ble slettet"),
    "systemuser.package_revoked": gettext_lazy("Tilgangspakke fjernet"),
    "systemuser.right_revoked": gettext_lazy("Enkeltrettighet fjernet"),
    "systemuser.client_added": gettext_lazy("Klient lagt til"),
    "systemuser.client_removed": gettext_lazy("Klient fjernet"),
    "changerequest.approved": gettext_lazy("Endring av rettigheter godkjent"),
    "changerequest.rejected": gettext_lazy("Endring av rettigheter avvist"),
    "systemuser.key_added": gettext_lazy("Nøkkel lagt til"),
    "systemuser.key_removed": gettext_lazy("Nøkkel fjernet"),
    "systemuser.grants_added": gettext_lazy("Rettigheter lagt til"),
}

# A self-developed system's refused input (maskinporten.clients.ClientInputError.reason) in words.
OWN_INTEGRATION_INPUT = {
    "private_key": gettext_lazy(
        "Dette er en privat nøkkel. Lim inn bare den offentlige nøkkelen – den private skal aldri ut av "
        "maskinen der integrasjonen kjører. Vi har ikke lagret det du limte inn. Lag et nytt nøkkelpar "
        "hvis den private nøkkelen kan ha blitt delt med andre."
    ),
    "malformed": gettext_lazy(
        "Vi kan ikke lese nøkkelen. Lim inn en offentlig nøkkel i PEM-format (-----BEGIN PUBLIC KEY-----)"
        " eller som JWK."
    ),
    "unsupported": gettext_lazy(
        "Denne nøkkeltypen kan ikke brukes. Lag en RSA-nøkkel på minst 2048 bit (grantet signeres med RS256, "
        "RS384 eller RS512) eller en EC-nøkkel på kurven P-256 (grantet signeres med ES256)."
    ),
    "too_short": gettext_lazy("RSA-nøkkelen er for kort. Den må være på minst 2048 bit."),
    "key_in_use": gettext_lazy("Denne nøkkelen er allerede registrert. Lag en egen nøkkel for hver integrasjon."),
    "kid_taken": gettext_lazy(
        "Integrasjonen har allerede en nøkkel med denne kid-en. Gi den nye nøkkelen en annen kid."
    ),
    "kid_malformed": gettext_lazy("Kid-en kan bare ha bokstaver, tall og . _ : @ + / = - (høyst 200 tegn)."),
    "client_id_taken": gettext_lazy(
        "Klient-id-en er allerede i bruk. Velg en annen, eller la feltet stå tomt, så lager vi en."
    ),
    "client_id_malformed": gettext_lazy(
        "Klient-id-en kan bare ha bokstaver, tall og . _ : @ + / = - (høyst 200 tegn)."
    ),
    "name_missing": gettext_lazy("Gi systemet et navn."),
    "no_grants": gettext_lazy("Velg minst én tilgangspakke eller enkeltrettighet."),
    "last_key": gettext_lazy(
        "Dette er den siste nøkkelen. Legg til en ny nøkkel først, så integrasjonen ikke stopper."
    ),
    "key_not_found": gettext_lazy("Nøkkelen er allerede fjernet."),
    "nothing_new": gettext_lazy("Systemtilgangen har allerede alt du valgte. Ingenting er endret."),
}

# Why a known client was refused a token for the organisation (registry.usage), for the business.
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
        "Leverandøren brukte en Maskinporten-klient som ikke er registrert på systemet."
    ),
    RefusalReason.UNKNOWN_ORGANISATION: gettext_lazy(
        "Leverandøren ba om tilgang for en virksomhet som ikke er kjent her."
    ),
    RefusalReason.REPLAYED: gettext_lazy(
        "Leverandørens program sendte den samme forespørselen om tilgang to ganger; den andre ble avvist."
    ),
}


# Why an organisation is a client of the firm: the role it gave (ER code).
ROLES = {
    "REGN": gettext_lazy("regnskapsfører"),
    "REVI": gettext_lazy("revisor"),
    "FFØR": gettext_lazy("forretningsfører"),
}
# The firm on its own agent system access (registry.access.OWN_ORGANISATION), where a client names its role.
OWN_ORGANISATION = gettext_lazy("virksomheten selv")
# A client whose packages came by delegation from the client, not through an ER role (role code "").
DELEGATED_BY_CLIENT = gettext_lazy("tilgangspakkene er gitt av klienten")


def client_role_word(code: str, own: str = "SELF") -> str:
    """Why an organisation is a client, for one role code: "regnskapsfører (REGN)", the firm itself
    (`own`, registry.access.OWN_ORGANISATION), or "" (given by the client) in words."""
    if not code:
        return str(DELEGATED_BY_CLIENT)
    if code == own:
        return str(OWN_ORGANISATION)
    return f"{ROLES[code]} ({code})" if code in ROLES else code


def action_word(action: str | None) -> str:
    """An action in words ("lese"); no action (or "*") is every action the service allows."""
    if not action or action == "*":
        return str(EVERY_ACTION)
    return str(ACTIONS.get(action, action))


def reason_word(reason: str) -> str:
    return str(REASONS.get(reason, reason))


def event_word(action: str) -> str:
    return str(EVENTS.get(action, action))


def refusal_text(refusal: TokenRefusal) -> str:
    """A refusal in words; one of the vendor's own request (no word for it) with its technical reason."""
    words = REFUSAL_WORDS.get(refusal.reason)
    if words is None:  # a check of the vendor's own request: its technical reason is all there is
        text = _("Leverandørens forespørsel om tilgang ble avvist: %(description)s")
        return text % {"description": refusal.description}
    return str(words) % {"detail": refusal.detail}


def error_text(error: ServiceError, names: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """A refused operation as a clear message for the person, plus one line per failed item (`names`
    turns package codes and "<resource>:<action>" into what the person knows them by)."""
    names = names or {}
    code = error.code
    if code == "AUTH-00004":
        return _("Virksomheten har allerede en systemtilgang for dette systemet. Du finner den i oversikten."), []
    if code == "AUTH-00053":
        lines = [f"{names.get(x.item, x.item)}: {reason_word(x.reason)}" for x in error.items]
        return _(
            "Du kan ikke gjøre dette, fordi du ikke kan gi bort alt systemet trenger. "
            "Be noen som har disse tilgangene og kan delegere dem, om å gjøre det:"
        ), lines
    if code == "AUTH-00066":
        return _("Du må være tilgangsstyrer eller hovedadministrator for virksomheten for å gjøre dette."), []
    if code == "AUTH-00016":
        return _(
            "Du må ha tilgangspakken «Klientadministrator» for virksomheten for å legge til eller fjerne klienter."
        ), []
    if code == "AUTH-00079":
        lines = [str(item) for item in error.items]
        return _("Disse er ikke klienter av virksomheten, så systemtilgangen kan ikke jobbe for dem:"), lines
    if code == "AUTH-00080":
        lines = [
            _("%(name)s (%(orgno)s) mangler: %(missing)s")
            % {
                "name": item["name"],
                "orgno": item["orgno"],
                "missing": ", ".join(names.get(missing, missing) for missing in item["missing"]),
            }
            for item in error.items
        ]
        return _(
            "Disse klientene har ikke gitt virksomheten alle tilgangspakkene systemtilgangen krever, "
            "så de kan ikke legges til:"
        ), lines
    if code == "AUTH-00011":
        return _("Systemet finnes ikke lenger i systemregisteret."), []
    if code == "AUTH-00013":
        return _("Forespørselen er allerede behandlet."), []
    if code == "AUTH-00015":
        return _("Systemtilgangen finnes ikke. Den kan allerede være slettet."), []
    if code == "AUTH-00058":
        return _("En systemtilgang for klienter kan bare ha tilgangspakker, ikke enkeltrettigheter."), []
    if code in {"AUTH-00001", "AUTH-00063", "AUTH-00064", "AUTH-00065"}:
        lines = [names.get(str(item), str(item)) for item in error.items]
        return _("Systemtilgangen har ikke, eller kan ikke få, dette:"), lines
    # The service's detail is English (written for the vendor API and the logs): never shown here.
    return _("Det gikk ikke. Prøv igjen, eller kontakt brukerstøtte og oppgi feilkoden %(code)s.") % {"code": code}, []


def client_missing(name: str, *, code: str, missing: list[str], names: dict[str, str], itself: bool) -> str:
    """Why an organisation cannot be added as a client, in words: "Klienten har ikke gitt dere
    Regnskapsfører lønn" (AUTH-00080), or that the firm holds nothing for it at all (AUTH-00079)."""
    if code == "AUTH-00079":
        return _("Er ikke klient av virksomheten: virksomheten har ingen roller eller tilgangspakker for den.")
    packages = ", ".join(str(names.get(code, code)) for code in missing)
    if itself:
        return _("Virksomheten kan ikke selv ha %(packages)s.") % {"packages": packages}
    return _("Klienten har ikke gitt dere %(packages)s.") % {"packages": packages}


def client_fix(missing: list[str], roles: dict[str, list[str]], names: dict[str, str]) -> str:
    """What would make the client qualify: it gives the firm the packages in Altinn, or registers the
    firm in the role (REGN, REVI, FFØR) that gives them (`roles`: package → ER codes)."""
    packages = ", ".join(f"«{names.get(code, code)}»" for code in missing)
    giving = sorted({role for code in missing for role in roles.get(code, ())})
    if giving:
        in_words = " / ".join(f"{ROLES[r]} ({r})" if r in ROLES else r for r in giving)
        return _(
            "Klienten kan gi dere %(packages)s i Altinn, eller registrere dere som %(roles)s i Enhetsregisteret."
        ) % {"packages": packages, "roles": in_words}
    return _("Klienten kan gi dere %(packages)s i Altinn.") % {"packages": packages}


def acting_basis_words(bases) -> str:
    """Why a person may act for an organisation (registry.access.acting_bases), in words: "Daglig leder",
    "Tilgangspakken «Lønn»", "Daglig leder i hovedenheten", joined."""
    words = []
    for basis in bases:
        what = (
            basis.role.name if basis.role is not None else _("Tilgangspakken «%(name)s»") % {"name": basis.package.name}
        )
        words.append(_("%(what)s i hovedenheten") % {"what": what} if basis.via_main_unit else what)
    return ", ".join(dict.fromkeys(words))
