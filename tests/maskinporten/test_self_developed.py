"""A business's own integration (self-developed system): created in one step by an access manager,
gets system-user tokens from /token, the PDP decides on its grants, and it stops at once when deleted."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings

from lib.errors import ServiceError
from lib.tokens.keys import jwk_thumbprint, public_jwk_of
from maskinporten.clients import ClientInputError
from maskinporten.models import Client, ClientKey
from maskinporten.self_developed import (
    OwnIntegration,
    add_key,
    create_own_integration,
    delete_own_integration,
    last_used,
    own_integration_client,
    remove_key,
)
from registry.models import AuditEvent, RegisteredSystem, SystemUser
from tests import factories as f
from tests.maskinporten.helpers import (
    RFC7517_EC,
    RFC7517_EC_THUMBPRINT,
    GrantSetup,
    bearer_for,
    sign_grant,
    systemuser_details,
)

KRAV = "ske-krav-og-betalinger"
SCOPE = settings.SELF_DEVELOPED_SCOPES[0]


_own_key = None


def own_key():
    """The integration's key: not the one every other test client holds (a key serves one client)."""
    global _own_key
    if _own_key is None:
        _own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _own_key


def pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def spec(**overrides) -> OwnIntegration:
    values = {
        "name": {"nb": "Vår lønnskobling"},
        "description": {"nb": "Henter krav hver natt"},
        "public_key": pem(own_key()),
        "client_id": "bakeriet-integrasjon",
        "rights": [{"resource": KRAV, "action": "read"}],
    }
    return OwnIntegration(**(values | overrides))


@pytest.fixture
def own(manager, customer):
    return create_own_integration(by=manager, org=customer, spec=spec())


def get_token(http, system_user, *, kid=None, key=None, client=None):
    client = client or own_integration_client(system_user)
    kid = kid or client.keys.get().kid
    key = key or own_key()
    grant = sign_grant(
        client.client_id,
        kid,
        audience=settings.TOKEN_ISSUER,
        scope=SCOPE,
        authorization_details=systemuser_details(system_user.owner.orgno),
        private_key=key,
    )
    return GrantSetup.post(http, grant)


def pdp_decision(http, system_user, action="read", resource=KRAV):
    def attrs(*pairs):
        return {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}

    body = {
        "Request": {
            "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", str(system_user.pk)))],
            "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", action))],
            "Resource": [
                attrs(
                    ("urn:altinn:resource", resource),
                    ("urn:altinn:organization:identifier-no", system_user.owner.orgno),
                )
            ],
        }
    }
    auth = bearer_for(f.make_org("Skatteetaten"), "altinn:authorization/authorize")
    response = http.post(
        "/authorization/api/v1/authorize", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 200, response.content
    return response.json()["Response"][0]["Decision"]


def test_it_creates_the_system_its_client_and_its_system_access_at_once(own, customer):
    system = own.system
    assert system.is_self_developed and not system.is_visible and system.vendor == customer
    assert own.owner == customer and own.integration_title == "Vår lønnskobling"
    assert [(r.resource_id, r.action) for r in own.rights.all()] == [(KRAV, "read")]
    client = Client.objects.get(pk="bakeriet-integrasjon")
    assert client.owner == customer and client.scopes == settings.SELF_DEVELOPED_SCOPES
    assert list(system.clients.values_list("client_id", flat=True)) == ["bakeriet-integrasjon"]
    # Without a kid in the key, the kid is the key's RFC 7638 thumbprint.
    assert client.keys.get().kid == jwk_thumbprint(public_jwk_of(own_key().public_key()))
    assert AuditEvent.objects.filter(action="systemuser.created", object_id=str(own.pk)).exists()


def test_a_generated_client_id_when_none_is_chosen(manager, customer):
    system_user = create_own_integration(by=manager, org=customer, spec=spec(client_id=""))
    assert own_integration_client(system_user).client_id


def test_it_gets_a_system_user_token_and_the_pdp_permits_its_grant(client, own, customer):
    response = get_token(client, own)
    assert response.status_code == 200, response.content
    claims = json.loads(
        __import__("base64").urlsafe_b64decode(response.json()["access_token"].split(".")[1] + "==").decode()
    )
    # The business is vendor and customer at once.
    assert claims["consumer"]["ID"] == f"0192:{customer.orgno}"
    assert claims["authorization_details"][0]["systemuser_org"]["ID"] == f"0192:{customer.orgno}"
    assert claims["authorization_details"][0]["systemuser_id"] == [str(own.pk)]
    assert pdp_decision(client, own) == "Permit"
    assert (
        pdp_decision(client, own, action="write") == "NotApplicable" or pdp_decision(client, own, "write") != "Permit"
    )


def test_after_deletion_no_token_and_no_permit(client, own, manager):
    client_row = own_integration_client(own)
    assert get_token(client, own).status_code == 200
    delete_own_integration(by=manager, system_user=own)
    response = get_token(client, SystemUser.objects.get(pk=own.pk), client=client_row)
    assert response.status_code == 400 and response.json()["error"] in {
        "invalid_grant",
        "invalid_altinn_customer_configuration",
    }
    assert pdp_decision(client, own) != "Permit"
    assert RegisteredSystem.objects.get(pk=own.system.pk).is_deleted
    assert not Client.objects.get(pk="bakeriet-integrasjon").is_active


def test_an_employee_may_not_create_one(employee, customer):
    with pytest.raises(ServiceError) as refused:
        create_own_integration(by=employee, org=customer, spec=spec())
    assert refused.value.code == "AUTH-00066"
    assert not Client.objects.exists() and not RegisteredSystem.objects.exists()


def test_a_client_administrator_may_not_create_one(client_admin, accounting_firm):
    with pytest.raises(ServiceError) as refused:
        create_own_integration(by=client_admin, org=accounting_firm, spec=spec())
    assert refused.value.code == "AUTH-00066"


def test_rights_the_person_may_not_delegate_are_refused_each_by_name(customer):
    # An access manager by delegation holds tilgangsstyrer, not the tax packages the right needs.
    access_manager = f.make_person("Tina Tilgang")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=access_manager)
    with pytest.raises(ServiceError) as refused:
        create_own_integration(by=access_manager, org=customer, spec=spec())
    assert refused.value.code == "AUTH-00053"
    assert [(x.item, x.reason) for x in refused.value.items] == [(f"{KRAV}:read", "not_held")]
    assert not RegisteredSystem.objects.exists() and not Client.objects.exists()


def test_a_private_key_is_refused_and_nothing_is_stored(manager, customer):
    private_pem = (
        own_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(ClientInputError) as refused:
        create_own_integration(by=manager, org=customer, spec=spec(public_key=private_pem))
    assert refused.value.reason == "private_key"
    assert not ClientKey.objects.exists() and not RegisteredSystem.objects.exists()
    assert not any("PRIVATE" in json.dumps(e.data) for e in AuditEvent.objects.all())


def test_a_private_jwk_is_refused(manager, customer):
    jwk = json.loads(__import__("jwt").algorithms.RSAAlgorithm.to_jwk(own_key()))
    with pytest.raises(ClientInputError) as refused:
        create_own_integration(by=manager, org=customer, spec=spec(public_key=json.dumps(jwk)))
    assert refused.value.reason == "private_key"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("not a key", "malformed"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "malformed"),
        ('{"kty": "RSA", "n": "AQAB"', "malformed"),
        ("short-rsa", "too_short"),
        ("ec-p384", "unsupported"),
        ('{"kty": "EC", "crv": "P-384", "x": "AQAB", "y": "AQAB"}', "unsupported"),
        ('{"kty": "EC", "crv": "P-256", "x": "AQAB", "y": "AQAB"}', "malformed"),
        ('{"kty": "OKP", "crv": "Ed25519", "x": "AQAB"}', "unsupported"),
    ],
)
def test_bad_keys_are_refused_and_change_nothing(manager, customer, key, reason):
    if key == "short-rsa":
        key = pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    elif key == "ec-p384":
        key = pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ClientInputError) as refused:
        create_own_integration(by=manager, org=customer, spec=spec(public_key=key))
    assert refused.value.reason == reason
    assert not Client.objects.exists() and not RegisteredSystem.objects.exists()


def test_a_client_id_taken_by_another_client_or_system_is_refused(manager, customer, vendor):
    Client.objects.create(client_id="taken", owner=vendor)
    f.make_system(vendor, "annet", client_ids=["listed"])
    for client_id in ("taken", "listed"):
        with pytest.raises(ClientInputError) as refused:
            create_own_integration(by=manager, org=customer, spec=spec(client_id=client_id))
        assert refused.value.reason == "client_id_taken"
    assert not RegisteredSystem.objects.filter(is_self_developed=True).exists()


def test_a_key_used_by_another_client_is_refused(manager, customer, own):
    with pytest.raises(ClientInputError) as refused:
        create_own_integration(by=manager, org=customer, spec=spec(client_id="second"))
    assert refused.value.reason == "key_in_use"


def test_rotation_add_the_new_key_then_remove_the_old(client, own, manager):
    old = own_integration_client(own).keys.get()
    new_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new = add_key(by=manager, system_user=own, public_key=pem(new_private))
    assert get_token(client, own, kid=new.kid, key=new_private).status_code == 200
    assert get_token(client, own, kid=old.kid).status_code == 200
    remove_key(by=manager, system_user=own, key_id=old.pk)
    assert get_token(client, own, kid=old.kid).status_code == 400
    assert get_token(client, own, kid=new.kid, key=new_private).status_code == 200
    actions = set(AuditEvent.objects.filter(object_id=str(own.pk)).values_list("action", flat=True))
    assert {"systemuser.key_added", "systemuser.key_removed"} <= actions


def test_the_last_key_can_not_be_removed(own, manager):
    key = own_integration_client(own).keys.get()
    with pytest.raises(ClientInputError) as refused:
        remove_key(by=manager, system_user=own, key_id=key.pk)
    assert refused.value.reason == "last_key"
    assert ClientKey.objects.get(pk=key.pk).retired_at is None


def test_a_duplicate_kid_is_refused(own, manager):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = own_integration_client(own).keys.get().kid
    jwk = {**public_jwk_of(other.public_key()), "kid": kid}
    with pytest.raises(ClientInputError) as refused:
        add_key(by=manager, system_user=own, public_key=json.dumps(jwk))
    assert refused.value.reason == "kid_taken"


def test_last_used_per_key_comes_from_issued_tokens(client, own):
    client_row = own_integration_client(own)
    kid = client_row.keys.get().kid
    assert last_used(own, client_row) == {}
    assert get_token(client, own).status_code == 200
    assert set(last_used(own, client_row)) == {kid}


def test_another_organisation_can_not_manage_its_keys(own, vendor):
    stranger = f.make_person("Frida Faktura")
    f.give_role(stranger, "DAGL", vendor)
    with pytest.raises(ServiceError) as refused:
        add_key(
            by=stranger, system_user=own, public_key=pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        )
    assert refused.value.code == "AUTH-00066"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_removing_the_last_two_keys_at_once_keeps_one(manager, customer):
    from tests.races import race

    own = create_own_integration(by=manager, org=customer, spec=spec())
    second = add_key(
        by=manager, system_user=own, public_key=pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    )
    first = own_integration_client(own).keys.exclude(pk=second.pk).get()
    outcomes = race(
        [
            lambda: remove_key(by=manager, system_user=own, key_id=first.pk).kid,
            lambda: remove_key(by=manager, system_user=own, key_id=second.pk).kid,
        ]
    )
    assert sorted(map(str, outcomes)).count("STD-00000") == 1
    assert ClientKey.objects.filter(client_id="bakeriet-integrasjon", retired_at__isnull=True).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_right_added_twice_at_once_is_added_once(manager, customer):
    """A double click on "add": the second finds it held ("nothing new"), not a duplicate row (a 500)."""
    from maskinporten.self_developed import add_grants
    from registry.services import systems
    from registry.wire import wire_right
    from tests.races import race

    own = create_own_integration(by=manager, org=customer, spec=spec())
    both = [wire_right(KRAV, "read"), wire_right(KRAV, "write")]  # the system has it; the access not yet
    systems.replace_rights(system=own.system, rights=both, actor="staff:test")
    add = lambda: add_grants(by=manager, system_user=own, packages=[], rights=[{"resource": KRAV, "action": "write"}])  # noqa: E731
    outcomes = race([add] * 4, result=lambda change: "added")
    assert sorted(outcomes) == ["STD-00000"] * 3 + ["added"]
    assert own.rights.filter(resource_id=KRAV, action="write").count() == 1


def test_a_right_added_later_is_permitted_by_the_pdp_at_once(client, own, manager):
    from maskinporten.self_developed import add_grants

    assert pdp_decision(client, own, action="write") != "Permit"
    add_grants(by=manager, system_user=own, packages=[], rights=[{"resource": KRAV, "action": "write"}])
    assert pdp_decision(client, own, action="write") == "Permit"
    with pytest.raises(ClientInputError) as refused:
        add_grants(by=manager, system_user=own, packages=[], rights=[{"resource": KRAV, "action": "write"}])
    assert refused.value.reason == "nothing_new"


def test_the_business_gets_no_vendor_mail_about_its_own_changes(own, manager, customer):
    from registry.models import Notification

    assert customer.emails  # it would be told, if it were a vendor
    delete_own_integration(by=manager, system_user=own)
    assert not Notification.objects.exists()


def test_an_ec_p256_jwk_gets_its_rfc_7638_thumbprint_as_kid(manager, customer):
    jwk = {**RFC7517_EC, "use": "sig"}
    own = create_own_integration(by=manager, org=customer, spec=spec(public_key=json.dumps(jwk)))
    key = own_integration_client(own).keys.get()
    assert key.kid == RFC7517_EC_THUMBPRINT
    assert key.public_jwk == {**RFC7517_EC, "kid": RFC7517_EC_THUMBPRINT}


def test_an_ec_p256_key_signs_es256_grants_and_the_pdp_permits(client, manager, customer):
    private_key = ec.generate_private_key(ec.SECP256R1())
    own = create_own_integration(by=manager, org=customer, spec=spec(public_key=pem(private_key)))
    key = own_integration_client(own).keys.get()
    assert key.kid == jwk_thumbprint(public_jwk_of(private_key.public_key()))
    grant = sign_grant(
        own_integration_client(own).client_id,
        key.kid,
        audience=settings.TOKEN_ISSUER,
        scope=SCOPE,
        authorization_details=systemuser_details(customer.orgno),
        private_key=private_key,
        alg="ES256",
    )
    response = GrantSetup.post(client, grant)
    assert response.status_code == 200, response.content
    assert pdp_decision(client, own) == "Permit"


def test_the_same_ec_key_is_not_registered_twice(manager, customer, own):
    private_key = ec.generate_private_key(ec.SECP256R1())
    add_key(by=manager, system_user=own, public_key=pem(private_key))
    with pytest.raises(ClientInputError) as refused:
        add_key(by=manager, system_user=own, public_key=json.dumps(public_jwk_of(private_key.public_key())))
    assert refused.value.reason == "key_in_use"


def test_a_grant_whose_algorithm_does_not_fit_the_key_type_is_refused(client, manager, own):
    """An EC key verifies ES256 grants only, an RSA key RS* grants only (no algorithm confusion)."""
    ec_private = ec.generate_private_key(ec.SECP256R1())
    ec_key = add_key(by=manager, system_user=own, public_key=pem(ec_private))
    rsa_kid = own_integration_client(own).keys.exclude(pk=ec_key.pk).get().kid
    client_id = own_integration_client(own).client_id
    details = systemuser_details(own.owner.orgno)

    def post(kid, private_key, alg):
        grant = sign_grant(
            client_id,
            kid,
            audience=settings.TOKEN_ISSUER,
            scope=SCOPE,
            authorization_details=details,
            private_key=private_key,
            alg=alg,
        )
        return GrantSetup.post(client, grant)

    assert post(ec_key.kid, ec_private, "ES256").status_code == 200
    assert post(rsa_kid, own_key(), "RS256").status_code == 200
    for kid, private_key, alg in ((rsa_kid, ec_private, "ES256"), (ec_key.kid, own_key(), "RS256")):
        response = post(kid, private_key, alg)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant", alg


def test_the_token_recipe_signs_with_the_keys_algorithm(manager, customer):
    from maskinporten.self_developed import token_recipe

    own = create_own_integration(
        by=manager, org=customer, spec=spec(public_key=pem(ec.generate_private_key(ec.SECP256R1())))
    )
    client = own_integration_client(own)
    recipe = token_recipe(own, client, client.keys.get())
    assert recipe["algorithm"] == "ES256" and 'ALGORITHM = "ES256"' in recipe["example"]
    assert "algorithm=ALGORITHM" in recipe["example"]


@pytest.mark.django_db(transaction=True)
def test_the_es256_example_runs_unchanged_against_token(live_server, settings, manager, customer, tmp_path):
    """The page's example for an EC key, run as the business would run it: a system-user token."""
    import subprocess
    import sys

    from maskinporten.self_developed import token_recipe

    settings.PORTAL_BASE_URL = live_server.url
    private_key = ec.generate_private_key(ec.SECP256R1())
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "private-key.pem").write_bytes(private_pem)
    own = create_own_integration(by=manager, org=customer, spec=spec(public_key=pem(private_key)))
    client = own_integration_client(own)
    (tmp_path / "example.py").write_text(token_recipe(own, client, client.keys.get())["example"])
    result = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    claims = __import__("jwt").decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["authorization_details"][0]["systemuser_id"] == [str(own.pk)]
    assert claims["consumer"]["ID"] == f"0192:{customer.orgno}"


def test_an_es256_grant_is_refused_with_a_stored_key_on_another_curve(client, own):
    """ES256 is P-256 only. A P-384 key can not be registered; should one be stored anyway (by hand), a
    grant signed with it and labelled ES256 is refused, though the signature itself is sound."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from tests.maskinporten.helpers import b64url

    private_key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(__import__("jwt").algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    app_client = own_integration_client(own)
    ClientKey.objects.create(client=app_client, kid="p384", public_jwk={**jwk, "kid": "p384"})
    now = int(__import__("time").time())
    claims = {
        "aud": settings.TOKEN_ISSUER,
        "iss": app_client.client_id,
        "iat": now,
        "exp": now + 60,
        "jti": str(__import__("uuid").uuid4()),
        "scope": SCOPE,
        "authorization_details": systemuser_details(own.owner.orgno),
    }
    signing_input = f"{b64url(json.dumps({'alg': 'ES256', 'kid': 'p384'}))}.{b64url(json.dumps(claims))}"
    r, s = decode_dss_signature(private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    response = GrantSetup.post(client, f"{signing_input}.{b64url(signature)}")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
