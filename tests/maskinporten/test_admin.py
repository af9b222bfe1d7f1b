import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.models import User

from maskinporten.models import Client, ClientKey
from registry.models import AuditEvent
from tests.maskinporten.helpers import assert_refused, client_private_key, grant_setup


@pytest.fixture
def staff(client, db):
    user = User.objects.create_superuser("ops", "ops@example.org", "pw-not-used")
    client.force_login(user)
    return client


def public_pem() -> str:
    return (
        client_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_staff_register_a_client_with_scopes(staff, vendor):
    response = staff.post(
        "/admin/maskinporten/client/add/",
        {
            "client_id": "c-1",
            "name": "Faktura",
            "owner": str(vendor.pk),
            "is_active": "on",
            "scopes_text": "a:read\nb:write",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    assert Client.objects.get(pk="c-1").scopes == ["a:read", "b:write"]


def test_staff_add_a_key_by_pasting_a_pem(staff, vendor):
    Client.objects.create(client_id="c-1", owner=vendor, scopes=["a:read"])
    response = staff.post(
        "/admin/maskinporten/clientkey/add/", {"client": "c-1", "kid": "", "public_key": public_pem()}
    )
    assert response.status_code == 302, response.content
    key = ClientKey.objects.get(client_id="c-1")
    assert key.public_jwk["kty"] == "RSA"
    assert AuditEvent.objects.filter(action="client.key_added", actor="staff:ops").exists()


def test_staff_cannot_paste_a_private_key(staff, vendor):
    Client.objects.create(client_id="c-1", owner=vendor, scopes=["a:read"])
    private = (
        client_private_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    response = staff.post("/admin/maskinporten/clientkey/add/", {"client": "c-1", "kid": "k", "public_key": private})
    assert response.status_code == 200
    assert "private key" in response.content.decode()
    assert not ClientKey.objects.exists()


def test_a_duplicate_kid_is_an_error_on_the_form(staff, vendor):
    Client.objects.create(client_id="c-1", owner=vendor, scopes=["a:read"])
    staff.post("/admin/maskinporten/clientkey/add/", {"client": "c-1", "kid": "k1", "public_key": public_pem()})
    response = staff.post(
        "/admin/maskinporten/clientkey/add/", {"client": "c-1", "kid": "k1", "public_key": public_pem()}
    )
    assert response.status_code == 200
    assert ClientKey.objects.count() == 1


def test_a_retired_key_no_longer_gets_tokens(staff, client, vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    key = ClientKey.objects.get(client=setup.client, kid=setup.kid)
    response = staff.post(
        "/admin/maskinporten/clientkey/", {"action": "retire_keys", "_selected_action": [str(key.pk)]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.retired_at is not None
    assert AuditEvent.objects.filter(action="client.key_retired").count() == 1
    AuditEvent.objects.all().delete()
    assert_refused(setup.post(client, setup.grant()), "invalid_grant")
