"""The demo dataset: synthetic parties, two vendors with systems, system users and pending requests.

Every number is fixed (valid mod-11; persons are synthetic with +80 on the month), so docs/demo.md
can cite them. Loading is idempotent: the register part goes through the register importer (only
what differs is written), and each system, system user and request is created only when missing, so
what people did in the portal (approved, deleted) is left alone. One thing follows the address the
portal serves (PORTAL_BASE_URL, which `make run` sets from ADDR): the demo systems' local redirect URL
and the pending demo requests' redirect URL (`local_redirect`).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from approvals.models import Request, RequestKind, RequestStatus
from registry import importers
from registry.models import (
    Organisation,
    Person,
    RegisteredSystem,
    SystemChangeLog,
    SystemClient,
    SystemPackage,
    SystemRight,
    SystemUser,
    SystemUserType,
)
from registry.services.clients import add_clients
from registry.services.system_users import create_system_user

ACTOR = "command:load_demo"

# Organisations -----------------------------------------------------------------------------------
BAKERIET = "311000004"  # the customer company
BAKERIET_TORGET = "311000292"  # its subunit (parent: BAKERIET)
REGNSKAP = "311000012"  # the accounting firm
REVISJON = "311000020"  # the auditor firm
FAKTURA = "311000039"  # vendor 1
LONN = "311000047"  # vendor 2

# Persons (synthetic national identity numbers) ---------------------------------------------------
KARI = "12837540109"  # general manager (DAGL) of Bakeriet
OLA = "23898840220"  # employee of Bakeriet, no access-manager rights
REGINE = "05917040380"  # general manager of the accounting firm
KRISTIAN = "17868240482"  # client administrator at the accounting firm
ROLF = "30816540689"  # general manager of the auditor firm
FRIDA = "08887940690"  # general manager of vendor 1
LEIF = "14829040744"  # general manager of vendor 2
STINE = "21847240854"  # chair of the board (LEDE) of twelve client companies
PER = "02928540971"  # a person with no roles at all

# The accounting firm's clients (REGN), the first ten also audited by the auditor firm (REVI).
CLIENTS = [
    ("311000055", "Fjordkaffe AS", "AS"),
    ("311000063", "Havbris Fiskeutstyr AS", "AS"),
    ("311000071", "Lunde Snekkeri AS", "AS"),
    ("311000098", "Nordlys Frisør Ingrid Berg", "ENK"),
    ("311000101", "Solsiden Tannlegesenter AS", "AS"),
    ("311000128", "Bryggen Blomster AS", "AS"),
    ("311000136", "Fjellstua Kro AS", "AS"),
    ("311000144", "Granli Gartneri AS", "AS"),
    ("311000152", "Kystlinjen Transport AS", "AS"),
    ("311000160", "Elvebakken Elektro AS", "AS"),
    ("311000179", "Tindefjell Sport AS", "AS"),
    ("311000187", "Vestvind Regnskapskontor Lie ANS", "ANS"),
    ("311000195", "Sagbruket Tre AS", "AS"),
    ("311000209", "Måkeskjær Sjømat AS", "AS"),
    ("311000217", "Åsen Gårdsmat Ola Haugen", "ENK"),
    ("311000225", "Skogly Barnehage SA", "SA"),
    ("311000233", "Nordkapp Reiseliv AS", "AS"),
    ("311000241", "Bølgen Bad og Rør AS", "AS"),
    ("311000268", "Lysgården Borettslag", "BRL"),
    ("311000276", "Strandveien Eiendom AS", "AS"),
    ("311000284", "Fjordgløtt Kafé AS", "AS"),
    ("311000306", "Bakkeløkka Maskin AS", "AS"),
    ("311000314", "Rypefjord Bygg AS", "AS"),
    ("311000322", "Kvernhuset Design AS", "AS"),
    ("311000330", "Torvet Optikk AS", "AS"),
    ("311000349", "Aurora Data AS", "AS"),
    ("311000357", "Sjøbua Marina AS", "AS"),
    ("311000365", "Havnelageret Logistikk AS", "AS"),
]
AUDITED = [orgno for orgno, _, _ in CLIENTS[:10]]
CHAIRED = [orgno for orgno, _, _ in CLIENTS[:12]]

# Systems, their client ids, system users and requests (fixed ids, so links stay the same) --------
FAKTURA_SYSTEM = f"{FAKTURA}_fakturaprogrammet"
FAKTURA_AGENT_SYSTEM = f"{FAKTURA}_regnskapsbyraa"
LONN_SYSTEM = f"{LONN}_lonnsmaskinen"
LONN_AGENT_SYSTEM = f"{LONN}_lonnsbyraa"
CLIENT_IDS = {
    FAKTURA_SYSTEM: "8a0b2f47-5c1e-4e43-9d8e-1f3a6c0d2e01",
    FAKTURA_AGENT_SYSTEM: "8a0b2f47-5c1e-4e43-9d8e-1f3a6c0d2e02",
    LONN_SYSTEM: "3c9d7e12-0b6a-4f85-a2c4-7e5d9b1f4a01",
    LONN_AGENT_SYSTEM: "3c9d7e12-0b6a-4f85-a2c4-7e5d9b1f4a02",
}
BAKERIET_LONN_USER = uuid.UUID("5d1e9a3c-7b2f-4c8e-9a1d-000000000001")
REGNSKAP_AGENT_USER = uuid.UUID("5d1e9a3c-7b2f-4c8e-9a1d-000000000002")
REQUEST_BAKERIET = uuid.UUID("7f3c2b1a-9e8d-4c6b-a5f4-000000000001")
REQUEST_REGNSKAP_AGENT = uuid.UUID("7f3c2b1a-9e8d-4c6b-a5f4-000000000002")


def local_redirect() -> str:
    """Where the demo's requests send the person after a decision: the portal's own overview, at the
    address it serves. It is a page that exists in every mode, and the portal tells the outcome there
    (portal.approvals.pages.after_decision); a vendor's page would be elsewhere (the systems' https
    example URLs show that shape). Plain http counts only on a loopback address outside production
    (lib/redirect_urls.py); anywhere else the person stays on the approval page, which tells the outcome."""
    return f"{settings.PORTAL_BASE_URL}/systemuser/"


def register_document() -> dict:
    """The demo parties in import_register format (CONTRACT §5)."""
    organisations = [
        {"orgno": BAKERIET, "name": "Bakeriet Nordmann AS", "form": "AS", "email": "post@bakeriet.example"},
        {
            "orgno": BAKERIET_TORGET,
            "name": "Bakeriet Nordmann AS avd. Torget",
            "form": "BEDR",
            "parent": BAKERIET,
            "email": "torget@bakeriet.example",
        },
        {
            "orgno": REGNSKAP,
            "name": "Tall og Tekst Regnskap AS",
            "form": "AS",
            "email": "post@tallogtekst.example, klienter@tallogtekst.example",
        },
        {"orgno": REVISJON, "name": "Revisjon Nord AS", "form": "AS", "email": "post@revisjonnord.example"},
        {"orgno": FAKTURA, "name": "Fakturaprogrammet AS", "form": "AS", "email": "kunde@fakturaprogrammet.example"},
        {"orgno": LONN, "name": "Lønnsmaskinen AS", "form": "AS", "email": "support@lonnsmaskinen.example"},
    ]
    organisations += [
        {"orgno": orgno, "name": name, "form": form, "email": f"post@{orgno}.example"} for orgno, name, form in CLIENTS
    ]
    persons = [
        {"pid": pid, "name": name, "email": email}
        for pid, name, email in [
            (KARI, "Kari Nordmann", "kari@bakeriet.example"),
            (OLA, "Ola Ansatt", "ola@bakeriet.example"),
            (REGINE, "Regine Regnskap", "regine@tallogtekst.example"),
            (KRISTIAN, "Kristian Klient", "kristian@tallogtekst.example"),
            (ROLF, "Rolf Revisor", "rolf@revisjonnord.example"),
            (FRIDA, "Frida Faktura", "frida@fakturaprogrammet.example"),
            (LEIF, "Leif Lønning", "leif@lonnsmaskinen.example"),
            (STINE, "Stine Styreleder", "stine@styreverv.example"),
            (PER, "Per Utenfor", "per@utenfor.example"),
        ]
    ]
    roles = [
        {"code": "DAGL", "holder": KARI, "of": BAKERIET},
        {"code": "DAGL", "holder": REGINE, "of": REGNSKAP},
        {"code": "DAGL", "holder": ROLF, "of": REVISJON},
        {"code": "DAGL", "holder": FRIDA, "of": FAKTURA},
        {"code": "DAGL", "holder": LEIF, "of": LONN},
        {"code": "REGN", "holder": REGNSKAP, "of": BAKERIET},
        {"code": "REVI", "holder": REVISJON, "of": BAKERIET},
    ]
    roles += [{"code": "REGN", "holder": REGNSKAP, "of": orgno} for orgno, _, _ in CLIENTS]
    roles += [{"code": "REVI", "holder": REVISJON, "of": orgno} for orgno in AUDITED]
    roles += [{"code": "LEDE", "holder": STINE, "of": orgno} for orgno in CHAIRED]
    delegations = [
        {"package": "lonn", "from": BAKERIET, "to": OLA},
        {"package": "klientadministrator", "from": REGNSKAP, "to": KRISTIAN},
        {"package": "regnskapsforer-med-signeringsrettighet", "from": REGNSKAP, "to": KRISTIAN},
    ]
    return {"organisations": organisations, "persons": persons, "roles": roles, "delegations": delegations}


@dataclass(frozen=True)
class DemoSystem:
    system_id: str
    vendor: str
    name: dict[str, str]
    description: dict[str, str]
    rights: tuple[tuple[str, str], ...]
    packages: tuple[str, ...]
    vendor_redirect_urls: tuple[str, ...]  # the vendor's own pages; local_redirect() is allowed too
    visible: bool = True


SYSTEMS = [
    DemoSystem(
        FAKTURA_SYSTEM,
        FAKTURA,
        {"nb": "Fakturaprogrammet", "nn": "Fakturaprogrammet", "en": "Invoicing Program"},
        {
            "nb": "Fakturering, mva-melding og oversikt over skattekrav for små bedrifter.",
            "nn": "Fakturering, mva-melding og oversikt over skattekrav for små verksemder.",
            "en": "Invoicing, VAT returns and tax claims for small businesses.",
        },
        (("ske-krav-og-betalinger", "read"), ("ske-mva-melding", "read"), ("ske-mva-melding", "write")),
        ("merverdiavgift", "skatt-naering"),
        ("https://fakturaprogrammet.example/systemtilgang/ferdig",),
    ),
    DemoSystem(
        FAKTURA_AGENT_SYSTEM,
        FAKTURA,
        {"nb": "Fakturaprogrammet Byrå", "nn": "Fakturaprogrammet Byrå", "en": "Invoicing Program for Firms"},
        {
            "nb": "For regnskapsbyråer: mva og årsregnskap for alle klientene i ett program.",
            "nn": "For rekneskapsbyrå: mva og årsrekneskap for alle klientane i eitt program.",
            "en": "For accounting firms: VAT and annual accounts for every client in one program.",
        },
        (),
        ("regnskapsforer-med-signeringsrettighet", "regnskapsforer-uten-signeringsrettighet"),
        ("https://fakturaprogrammet.example/byraa/ferdig",),
        # Client packages are delegable but not assignable, so the system cannot be listed publicly.
        visible=False,
    ),
    DemoSystem(
        LONN_SYSTEM,
        LONN,
        {"nb": "Lønnsmaskinen", "nn": "Lønsmaskinen", "en": "The Payroll Machine"},
        {
            "nb": "Lønn, a-melding og inntektsmelding.",
            "nn": "Løn, a-melding og inntektsmelding.",
            "en": "Payroll, A-message and income reports.",
        },
        (("ske-innrapportering-a-melding", "read"), ("ske-innrapportering-a-melding", "write")),
        ("a-ordning", "lonn"),
        ("https://lonnsmaskinen.example/systemtilgang",),
    ),
    DemoSystem(
        LONN_AGENT_SYSTEM,
        LONN,
        {"nb": "Lønnsmaskinen Byrå", "nn": "Lønsmaskinen Byrå", "en": "The Payroll Machine for Firms"},
        {
            "nb": "Lønn for regnskapsbyråenes klienter.",
            "nn": "Løn for klientane til rekneskapsbyrå.",
            "en": "Payroll for accounting firms' clients.",
        },
        (),
        ("regnskapsforer-lonn",),
        ("https://lonnsmaskinen.example/byraa",),
        visible=False,
    ),
]


def _ensure_system(spec: DemoSystem) -> RegisteredSystem:
    system = RegisteredSystem.objects.filter(system_id=spec.system_id).first()
    if system is not None:
        _follow_the_address(system)
        return system
    system = RegisteredSystem.objects.create(
        system_id=spec.system_id,
        vendor=Organisation.objects.get(orgno=spec.vendor),
        name=spec.name,
        description=spec.description,
        allowed_redirect_urls=[local_redirect(), *spec.vendor_redirect_urls],
        is_visible=spec.visible,
    )
    SystemRight.objects.bulk_create([SystemRight(system=system, resource_id=r, action=a) for r, a in spec.rights])
    SystemPackage.objects.bulk_create([SystemPackage(system=system, package_id=p) for p in spec.packages])
    SystemClient.objects.create(system=system, client_id=CLIENT_IDS[spec.system_id])
    SystemChangeLog.objects.create(
        system=system, changed_by=ACTOR, change_type="created", data={"source": "demo dataset"}
    )
    return system


def _follow_the_address(system: RegisteredSystem) -> None:
    """Loaded before while the portal served another address: the local redirect URL follows it."""
    local, before = local_redirect(), system.allowed_redirect_urls
    if local in before:
        return
    system.allowed_redirect_urls = [local, *(url for url in before if not url.startswith("http://"))]
    system.save(update_fields=["allowed_redirect_urls", "updated"])
    SystemChangeLog.objects.create(
        system=system,
        changed_by=ACTOR,
        change_type="updated",
        data={"allowedRedirectUrls": {"old": before, "new": system.allowed_redirect_urls}},
    )


def _missing(system_user_id: uuid.UUID, owner: str, system: RegisteredSystem) -> bool:
    """Neither the demo system user nor another live one for its (owner, system, externalRef)."""
    if SystemUser.objects.filter(pk=system_user_id).exists():
        return False
    return not SystemUser.objects.live().filter(owner__orgno=owner, system=system, external_ref=owner).exists()


def _ensure_system_users(systems: dict[str, RegisteredSystem]) -> None:
    def org(orgno: str) -> Organisation:
        return Organisation.objects.get(orgno=orgno)

    def person(pid: str) -> Person:
        return Person.objects.get(pid=pid)

    if _missing(BAKERIET_LONN_USER, BAKERIET, systems[LONN_SYSTEM]):
        create_system_user(
            by=person(KARI),
            party=org(BAKERIET),
            system=systems[LONN_SYSTEM],
            packages=["a-ordning"],
            rights=[{"resource": "ske-innrapportering-a-melding", "action": "write"}],
            integration_title="Lønnsmaskinen for Bakeriet",
            system_user_id=BAKERIET_LONN_USER,
        )
    if _missing(REGNSKAP_AGENT_USER, REGNSKAP, systems[FAKTURA_AGENT_SYSTEM]):
        agent = create_system_user(
            by=person(REGINE),
            party=org(REGNSKAP),
            system=systems[FAKTURA_AGENT_SYSTEM],
            packages=["regnskapsforer-med-signeringsrettighet"],
            rights=[],
            integration_title="Klientene til Tall og Tekst Regnskap",
            user_type=SystemUserType.AGENT,
            system_user_id=REGNSKAP_AGENT_USER,
        )
        # Through the service, as Kristian (the firm's client administrator) would in the portal, so the
        # details page's history tells who added them.
        add_clients(
            system_user_id=agent.pk,
            orgnos=[orgno for orgno, _, _ in CLIENTS[:3]],
            by=person(KRISTIAN),
            party=org(REGNSKAP),
        )


def _request_missing(request_id: uuid.UUID, kind: str, party: str, system: RegisteredSystem) -> bool:
    """Neither the demo request nor another open one for its (kind, party, system, externalRef)."""
    if Request.objects.filter(pk=request_id).exists():
        return False
    open_requests = Request.objects.live().filter(status=RequestStatus.NEW, kind=kind, system=system)
    return not open_requests.filter(party__orgno=party, external_ref=party).exists()


def _ensure_requests(systems: dict[str, RegisteredSystem]) -> None:
    # Pending since an earlier load at another address: sent back to the address the portal serves now.
    pending = Request.objects.filter(pk__in=[REQUEST_BAKERIET, REQUEST_REGNSKAP_AGENT], status=RequestStatus.NEW)
    pending.exclude(redirect_url=local_redirect()).update(redirect_url=local_redirect())
    if _request_missing(REQUEST_BAKERIET, RequestKind.STANDARD, BAKERIET, systems[FAKTURA_SYSTEM]):
        Request.objects.create(
            id=REQUEST_BAKERIET,
            kind=RequestKind.STANDARD,
            system=systems[FAKTURA_SYSTEM],
            party=Organisation.objects.get(orgno=BAKERIET),
            external_ref=BAKERIET,
            integration_title="Fakturaprogrammet for Bakeriet",
            rights=[
                {"resource": "ske-krav-og-betalinger", "action": "read"},
                {"resource": "ske-mva-melding", "action": "write"},
            ],
            access_packages=["merverdiavgift"],
            redirect_url=local_redirect(),
        )
    if _request_missing(REQUEST_REGNSKAP_AGENT, RequestKind.AGENT, REGNSKAP, systems[LONN_AGENT_SYSTEM]):
        Request.objects.create(
            id=REQUEST_REGNSKAP_AGENT,
            kind=RequestKind.AGENT,
            system=systems[LONN_AGENT_SYSTEM],
            party=Organisation.objects.get(orgno=REGNSKAP),
            external_ref=REGNSKAP,
            integration_title="Klientene til Tall og Tekst Regnskap",
            access_packages=["regnskapsforer-lonn"],
            redirect_url=local_redirect(),
        )


@transaction.atomic
def load_demo() -> importers.Summary:
    """Load (or top up) the demo dataset. Returns what the register part changed."""
    summary = importers.import_register(register_document(), actor=ACTOR)
    systems = {spec.system_id: _ensure_system(spec) for spec in SYSTEMS}
    _ensure_system_users(systems)
    _ensure_requests(systems)
    return summary


@dataclass(frozen=True)
class Persona:
    pid: str
    name: str
    acts_for: str
    can: str


PERSONAS = [
    Persona(KARI, "Kari Nordmann", "Bakeriet Nordmann AS (daglig leder), so also its subunit avd. Torget",
            "access manager: approves/rejects requests, creates and deletes system accesses"),
    Persona(OLA, "Ola Ansatt", "Bakeriet Nordmann AS (employee, package lonn)",
            "sees the organisation, may not approve: can only escalate a request to the access managers"),
    Persona(REGINE, "Regine Regnskap", "Tall og Tekst Regnskap AS (daglig leder)",
            "access manager of the accounting firm: approves agent requests, creates agent system accesses"),
    Persona(KRISTIAN, "Kristian Klient", "Tall og Tekst Regnskap AS (klientadministrator)",
            "client administrator: adds/removes the firm's 29 clients (REGN) on agent system accesses"),
    Persona(ROLF, "Rolf Revisor", "Revisjon Nord AS (daglig leder)",
            "access manager of the auditor firm, which is auditor (REVI) for 11 companies"),
    Persona(FRIDA, "Frida Faktura", "Fakturaprogrammet AS (daglig leder, vendor)",
            "vendor's general manager: the vendor's own (self-developed) system accesses"),
    Persona(LEIF, "Leif Lønning", "Lønnsmaskinen AS (daglig leder, vendor)", "as Frida, for the second vendor"),
    Persona(STINE, "Stine Styreleder", "12 client companies (styreleder)",
            "many organisations to choose from (search on the act-for page); access manager in each"),
    Persona(PER, "Per Utenfor", "nothing", "no roles: every organisation is refused"),
]  # fmt: skip


def describe() -> str:
    """The personas, systems and pending requests as text (printed by load_demo)."""
    base = settings.PORTAL_BASE_URL
    lines = [f"Demo personas — log in at {base}/login/test/ with the national identity number:", ""]
    lines += [f"  {p.pid}  {p.name:<17} {p.acts_for}\n               {p.can}" for p in PERSONAS]
    lines += ["", "Vendors and their systems (Maskinporten client id):"]
    for spec in SYSTEMS:
        vendor = "Fakturaprogrammet AS" if spec.vendor == FAKTURA else "Lønnsmaskinen AS"
        kind = "agent (clients)" if not spec.visible else "standard"
        lines.append(f"  {spec.system_id:<34} {vendor} ({spec.vendor}), {kind}, client id {CLIENT_IDS[spec.system_id]}")
    lines += [
        "",
        "Pending vendor requests (log in as the access manager first):",
        f"  Bakeriet Nordmann AS:      {base}/systemuser/request?id={REQUEST_BAKERIET}",
        f"  Tall og Tekst Regnskap AS: {base}/systemuser/agentrequest?id={REQUEST_REGNSKAP_AGENT}",
    ]
    return "\n".join(lines)
