"""Registering token clients and their public keys, and retiring keys. Used by the admin and `create_client`."""

import json
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from lib.errors import ServiceError
from lib.tokens.keys import jwk_thumbprint, public_jwk_of
from maskinporten.assertion import KID_PATTERN
from maskinporten.grants import SCOPE_TOKEN
from maskinporten.models import Client, ClientKey
from registry import audit
from registry.models import Organisation

MIN_KEY_BITS = 2048
EC_CURVE = "P-256"  # the one curve for ES256 (RFC 7518 §3.4)
_PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}
_JWK_READERS = {"RSA": (RSAAlgorithm, ("n", "e")), "EC": (ECAlgorithm, ("crv", "x", "y"))}
_SUPPORTED = f"Only RSA keys of at least {MIN_KEY_BITS} bits and EC keys on P-256 are supported"


class ClientInputError(ServiceError):
    """Refused client or key input. `detail` is English (admin, command, logs); `reason` names the rule,
    so the portal can say it in the person's language."""

    def __init__(self, reason: str, detail: str):
        super().__init__("STD-00000", detail)
        self.reason = reason


def _invalid(detail: str, reason: str = "invalid") -> ClientInputError:
    return ClientInputError(reason, detail)


def parse_public_key(text: str) -> tuple[dict, str | None]:
    """(public JWK, the kid the JWK names or None) from a PEM SubjectPublicKeyInfo, a JWK or a JWKS with one
    key: RSA of at least MIN_KEY_BITS ({kty, n, e}) or EC on P-256 ({kty, crv, x, y}, for ES256 grants).
    Private keys are refused: we must never hold a client's private key."""
    text = (text or "").strip()
    kid = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise _invalid("The key is neither PEM nor valid JSON", "malformed") from None
        if isinstance(data, dict) and isinstance(data.get("keys"), list):
            if len(data["keys"]) != 1:
                raise _invalid("A JWKS must hold exactly one key here", "malformed")
            data = data["keys"][0]
        if isinstance(data, dict) and _PRIVATE_JWK_MEMBERS & set(data):
            raise _invalid("This is a private key; register the public key only", "private_key")
        if not isinstance(data, dict) or data.get("kty") not in _JWK_READERS:
            raise _invalid(_SUPPORTED, "unsupported")
        if data["kty"] == "EC" and data.get("crv") != EC_CURVE:
            raise _invalid(_SUPPORTED, "unsupported")
        kid = data.get("kid") if isinstance(data.get("kid"), str) else None
        reader, members = _JWK_READERS[data["kty"]]
        try:
            key = reader.from_jwk({"kty": data["kty"], **{name: data.get(name) for name in members}})
        except Exception:  # noqa: BLE001 - PyJWT raises several types for a bad JWK
            raise _invalid(f"The JWK is not a valid {data['kty']} public key", "malformed") from None
    else:
        if "PRIVATE KEY" in text:
            raise _invalid("This is a private key; register the public key only", "private_key")
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError):
            raise _invalid("The key is not a PEM SubjectPublicKeyInfo public key", "malformed") from None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise _invalid(_SUPPORTED, "unsupported")
    elif not isinstance(key, rsa.RSAPublicKey):
        raise _invalid(_SUPPORTED, "unsupported")
    elif key.key_size < MIN_KEY_BITS:
        raise _invalid(f"RSA keys must have at least {MIN_KEY_BITS} bits", "too_short")
    return public_jwk_of(key), kid


def same_key(jwk: dict) -> dict:
    """The look-up of a public key among the registered ones (ClientKey.public_jwk), by its key members."""
    if jwk["kty"] == "EC":
        return {"public_jwk__kty": "EC", "public_jwk__x": jwk["x"], "public_jwk__y": jwk["y"]}
    return {"public_jwk__n": jwk["n"], "public_jwk__e": jwk["e"]}


def check_scopes(scopes: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    bad = [s for s in cleaned if not SCOPE_TOKEN.fullmatch(s)]
    if bad:
        raise _invalid("Scopes may not contain spaces, quotes or backslashes: " + ", ".join(bad), "scope")
    return cleaned


@transaction.atomic
def register_client(
    *,
    owner: Organisation,
    scopes: list[str],
    public_key: str,
    actor: str,
    client_id: str | None = None,
    name: str = "",
    kid: str | None = None,
) -> tuple[Client, ClientKey]:
    """A new token client owned by `owner`, with its first public key."""
    client_id = (client_id or str(uuid.uuid4())).strip()
    if not KID_PATTERN.fullmatch(client_id):
        raise _invalid("The client id may only contain letters, digits and . _ : @ + / = -", "client_id_malformed")
    if Client.objects.filter(pk=client_id).exists():
        raise _invalid(f"Client {client_id} exists already", "client_id_taken")
    client = Client.objects.create(client_id=client_id, owner=owner, name=name, scopes=check_scopes(scopes))
    audit.record(
        "client.registered",
        actor=actor,
        object_type="client",
        object_id=client_id,
        party_orgno=owner.orgno,
        data={"scopes": client.scopes},
    )
    return client, add_client_key(client=client, public_key=public_key, kid=kid, actor=actor)


@transaction.atomic
def add_client_key(*, client: Client, public_key: str, actor: str, kid: str | None = None) -> ClientKey:
    """Register another public key on a client (key rotation: add the new one, then retire the old one)."""
    jwk, named_kid = parse_public_key(public_key)
    kid = (kid or named_kid or jwk_thumbprint(jwk)).strip()
    if not KID_PATTERN.fullmatch(kid):
        raise _invalid("The kid may only contain letters, digits and . _ : @ + / = - (at most 200)", "kid_malformed")
    # One key, one client: a key registered twice would let whoever holds it sign for both.
    _one_registration_at_a_time(jwk)
    if ClientKey.objects.filter(**same_key(jwk)).exists():
        raise _invalid("This public key is registered already (on this or another client)", "key_in_use")
    try:
        with transaction.atomic():
            key = ClientKey.objects.create(client=client, kid=kid, public_jwk={**jwk, "kid": kid})
    except IntegrityError:
        raise _invalid(f"The client has a key with kid {kid} already", "kid_taken") from None
    audit.record("client.key_added", actor=actor, object_type="client", object_id=client.client_id, data={"kid": kid})
    return key


def _one_registration_at_a_time(jwk: dict) -> None:
    """Wait until another registration of the same key commits, so that the check after this sees it: no
    row to lock exists yet, so the lock is on the key's thumbprint (a PostgreSQL advisory lock held to the
    end of the transaction; SQLite writes one transaction at a time anyway)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [jwk_thumbprint(jwk)])


@transaction.atomic
def retire_client_key(*, key_id: int, actor: str) -> bool:
    """Retire a key at once: grants signed with it are refused from now on. False if it was retired already."""
    retired = ClientKey.objects.filter(pk=key_id, retired_at__isnull=True).update(retired_at=timezone.now())
    if retired:
        key = ClientKey.objects.select_related("client").get(pk=key_id)
        audit.record(
            "client.key_retired",
            actor=actor,
            object_type="client",
            object_id=key.client_id,
            data={"kid": key.kid},
        )
    return bool(retired)
