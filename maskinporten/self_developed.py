"""A business's own integration (a "self-developed system", portal: "Egenutviklet system").

An access manager registers it in one step: its system (owned by the business, seen by no one else,
never in the vendor API, never requestable), its token client with the public keys, and its system
access with the packages and rights the person may delegate. The business is both vendor and customer:
the system's vendor, the client's owner and the system access's owner are one organisation, so the
token endpoint's look-up rule (CONTRACT §1) holds unchanged and `consumer` equals `systemuser_org`.

The pieces are the ones every other way in uses: `maskinporten.clients` parses and registers keys,
`registry.services.systems` registers the system, `registry.services.system_users` creates the system
access with the delegation check, `registry.services.lifecycle` deletes it.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from lib.errors import ServiceError
from lib.identifiers import org_identifier
from maskinporten.clients import (
    ClientInputError,
    add_client_key,
    parse_public_key,
    register_client,
    retire_client_key,
)
from maskinporten.models import Client, ClientKey
from registry import access, audit
from registry.models import (
    Organisation,
    Person,
    SystemClient,
    SystemUser,
    SystemUserType,
    SystemUserUsage,
)
from registry.services import lifecycle
from registry.services import systems as system_register
from registry.services.grants import GrantChange, Grants, change_grants, normalize_rights
from registry.services.system_users import check_against_system, create_system_user
from registry.wire import package_urn, wire_right

NAME_MAX = 100
DESCRIPTION_MAX = 300
LANGUAGES = ("nb", "nn", "en")


@dataclass
class OwnIntegration:
    """What the access manager fills in. `rights` are [{"resource", "action"}], `packages` codes."""

    name: dict[str, str]
    public_key: str
    description: dict[str, str] = field(default_factory=dict)
    client_id: str = ""
    packages: list[str] = field(default_factory=list)
    rights: list[dict] = field(default_factory=list)


def _texts(values: dict[str, str], limit: int) -> dict[str, str]:
    return {lang: " ".join(str(values.get(lang) or "").split())[:limit] for lang in LANGUAGES if values.get(lang)}


def _check_manager(by: Person, org: Organisation) -> None:
    if not access.is_access_manager(by, org):
        raise ServiceError("AUTH-00066", "You are not access manager for this organisation", status=403)


@transaction.atomic
def create_own_integration(*, by: Person, org: Organisation, spec: OwnIntegration, ip: str | None = None) -> SystemUser:
    """The system, its client with its first key, and its system access, all or nothing.

    The key is read first, so a private key pasted by mistake is refused before anything else is looked
    at (and never stored: nothing is written when a check fails).
    """
    _check_manager(by, org)
    parse_public_key(spec.public_key)
    name, description = _texts(spec.name, NAME_MAX), _texts(spec.description, DESCRIPTION_MAX)
    if not name.get("nb"):
        raise ClientInputError("name_missing", "The system needs a name (nb)")
    packages, rights = sorted(set(spec.packages)), normalize_rights(spec.rights)
    if not packages and not rights:
        raise ClientInputError("no_grants", "Choose at least one access package or single right")
    actor = audit.person_actor(by)
    client_id = (spec.client_id or "").strip() or str(uuid.uuid4())
    if SystemClient.objects.filter(client_id=client_id).exists():
        # Listed by a system already (perhaps a client of the real Maskinporten): not ours to take.
        raise ClientInputError("client_id_taken", f"Client {client_id} is used by a system already")
    try:
        with transaction.atomic():
            client, _ = register_client(
                owner=org,
                scopes=settings.SELF_DEVELOPED_SCOPES,
                public_key=spec.public_key,
                actor=actor,
                client_id=client_id,
                name=name["nb"],
            )
    except IntegrityError:  # lost a race for the same client id
        raise ClientInputError("client_id_taken", f"Client {client_id} exists already") from None
    system = system_register.register_system(
        spec=system_register.SystemSpec(
            id=f"{org.orgno}_{uuid.uuid4().hex}",
            vendor_orgno=org.orgno,
            name=name,
            description=description,
            rights=[wire_right(r["resource"], r["action"]) for r in rights],
            access_packages=[package_urn(code) for code in packages],
            client_ids=[client.client_id],
            is_visible=False,
            is_self_developed=True,
        ),
        actor=actor,
        ip=ip,
    )
    return create_system_user(
        by=by, party=org, system=system, packages=packages, rights=rights, integration_title=name["nb"], ip=ip
    )


def own_integration_client(system_user: SystemUser) -> Client | None:
    """The token client of a self-developed system's access (None for any other system access)."""
    if not system_user.system.is_self_developed:
        return None
    client_ids = system_user.system.clients.values("client_id")
    return Client.objects.filter(pk__in=client_ids, owner=system_user.owner).first()


def _managed(by: Person, system_user: SystemUser) -> Client:
    _check_manager(by, system_user.owner)
    client = own_integration_client(system_user)
    if client is None or system_user.is_deleted:
        raise access.system_user_not_found()
    return client


@transaction.atomic
def add_key(*, by: Person, system_user: SystemUser, public_key: str, ip: str | None = None) -> ClientKey:
    """Another public key on the integration's client: add the new key, move the program, then remove the old."""
    client = _managed(by, system_user)
    key = add_client_key(client=client, public_key=public_key, actor=audit.person_actor(by))
    audit.on_system_user("systemuser.key_added", system_user, by=by, data={"kid": key.kid}, ip=ip)
    return key


@transaction.atomic
def remove_key(*, by: Person, system_user: SystemUser, key_id: int, ip: str | None = None) -> ClientKey:
    """Retire a key at once. The last key stays: add its successor first, so the program never stops."""
    client = _managed(by, system_user)
    # Lock every live key of the client: two removes of its last two keys at once must not leave none.
    live = list(ClientKey.objects.select_for_update().filter(client=client, retired_at__isnull=True).order_by("pk"))
    key = next((k for k in live if k.pk == key_id), None)
    if key is None:
        raise ClientInputError("key_not_found", "The key is not on this integration (or removed already)")
    if len(live) == 1:
        raise ClientInputError("last_key", "The last key can not be removed; add its successor first")
    if not retire_client_key(key_id=key.pk, actor=audit.person_actor(by)):
        raise ClientInputError("key_not_found", "The key is removed already")
    audit.on_system_user("systemuser.key_removed", system_user, by=by, data={"kid": key.kid}, ip=ip)
    return key


@transaction.atomic
def delete_own_integration(*, by: Person, system_user: SystemUser, ip: str | None = None) -> SystemUser:
    """Delete the system access, and with it the system (which frees the client id) and the client: no
    token is issued for it from the next call on."""
    client = own_integration_client(system_user)
    deleted = lifecycle.delete_system_user(system_user_id=system_user.pk, by=by, ip=ip)
    system_register.delete_system(system=system_user.system, actor=audit.person_actor(by), ip=ip)
    if client is not None and Client.objects.filter(pk=client.pk, is_active=True).update(is_active=False):
        audit.record(
            "client.deactivated",
            actor=audit.person_actor(by),
            actor_person=by,
            object_type="client",
            object_id=client.client_id,
            party_orgno=system_user.owner.orgno,
            ip=ip,
        )
    return deleted


def last_used(system_user: SystemUser, client: Client) -> dict[str, datetime]:
    """When each key of the client last signed a grant that got a token: read from the usage counters
    (one row per hour and key, registry/models/usage.py), so the token endpoint writes nothing extra.
    As far back as usage is kept (RETENTION_USAGE_DAYS). One query on the system user's rows."""
    rows = (
        SystemUserUsage.objects.filter(system_user=system_user, last_client_id=client.pk)
        .exclude(kid="")
        .values("kid")
        .annotate(last=Max("last_at"))
        .order_by()
    )
    return {row["kid"]: row["last"] for row in rows}


def token_recipe(system_user: SystemUser, client: Client, key: ClientKey) -> dict:
    """What the integration's program sends to /token, and a runnable example with PyJWT, for one of its
    keys: signed with RS256 for an RSA key, ES256 for an EC key."""
    kid = key.kid
    token_url = settings.PORTAL_BASE_URL + reverse("maskinporten:token")
    details = [{"type": "urn:altinn:systemuser", "systemuser_org": org_identifier(system_user.owner.orgno)}]
    scope = " ".join(client.scopes)
    values = {
        "CLIENT_ID": client.client_id,
        "KID": kid,
        "TOKEN_URL": token_url,
        "AUDIENCE": settings.TOKEN_ISSUER,
        "SCOPE": scope,
        "ALGORITHM": "ES256" if key.public_jwk.get("kty") == "EC" else "RS256",
    }
    constants = "\n".join(f"{name} = {json.dumps(value)}" for name, value in values.items())
    example = _EXAMPLE.format(constants=constants, details=json.dumps(details, indent=4))
    return {
        "client_id": client.client_id,
        "kid": kid,
        "token_url": token_url,
        "audience": settings.TOKEN_ISSUER,
        "scope": scope,
        "algorithm": values["ALGORITHM"],
        "authorization_details": json.dumps(details, indent=2),
        "example": example,
    }


_EXAMPLE = """# pip install "pyjwt[crypto]"
import json
import time
import urllib.parse
import urllib.request
import uuid

import jwt

{constants}
AUTHORIZATION_DETAILS = {details}

with open("private-key.pem", "rb") as key_file:  # the private key: it never leaves your machine
    private_key = key_file.read()

now = int(time.time())
grant = jwt.encode(
    {{
        "aud": AUDIENCE,
        "iss": CLIENT_ID,
        "scope": SCOPE,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        "authorization_details": AUTHORIZATION_DETAILS,
    }},
    private_key,
    algorithm=ALGORITHM,
    headers={{"kid": KID}},
)
form = {{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": grant}}
request = urllib.request.Request(TOKEN_URL, data=urllib.parse.urlencode(form).encode())
with urllib.request.urlopen(request) as response:
    access_token = json.load(response)["access_token"]
print(access_token)
"""


@transaction.atomic
def add_grants(
    *, by: Person, system_user: SystemUser, packages: list[str], rights: list[dict], ip: str | None = None
) -> GrantChange:
    """More packages or single rights for the integration, with the delegation check: first on its system
    (which lists what its access may hold, as any system does), then on its system access."""
    _managed(by, system_user)
    packages, rights = sorted(set(packages)), normalize_rights(rights)
    if not packages and not rights:
        raise ClientInputError("no_grants", "Choose at least one access package or single right")
    failures = access.delegation_check(by, system_user.owner, packages=packages, rights=rights)
    if failures:
        raise ServiceError(
            "AUTH-00053",
            "You may not delegate: " + ", ".join(f"{x.item} ({x.reason})" for x in failures),
            items=failures,
        )
    system, actor = system_user.system, audit.person_actor(by)
    held_rights = set(system.rights.values_list("resource_id", "action"))
    new_rights = [r for r in rights if (r["resource"], r["action"]) not in held_rights]
    if new_rights:
        keys = sorted(held_rights | {(r["resource"], r["action"]) for r in new_rights})
        wire = [wire_right(resource_id, action) for resource_id, action in keys]
        system_register.replace_rights(system=system, rights=wire, actor=actor, ip=ip)
    held_packages = set(system.packages.values_list("package_id", flat=True))
    if set(packages) - held_packages:
        urns = [package_urn(code) for code in sorted(held_packages | set(packages))]
        system_register.replace_packages(system=system, urns=urns, actor=actor, ip=ip)
    check_against_system(system, packages=packages, rights=rights, user_type=SystemUserType.STANDARD)
    return change_grants(
        system_user,
        add=Grants(packages, rights),
        action="systemuser.grants_added",
        by=by,
        ip=ip,
        refuse_if_unchanged=ClientInputError("nothing_new", "The system access holds all of these already"),
    )
