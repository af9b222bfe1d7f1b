import json

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from lib.tokens.keys import public_jwk_of
from maskinporten.models import Client
from registry.models import AuditEvent
from tests.maskinporten.helpers import DEMO_SCOPE, GrantSetup, client_private_key, grant_setup


def run(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("create_client", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def pem_file(tmp_path):
    path = tmp_path / "public.pem"
    path.write_bytes(
        client_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def test_it_registers_a_pem_key_and_prints_client_id_and_kid_last(tmp_path, vendor):
    lines = run("--org", vendor.orgno, "--scope", "a:b", "--scope", "c:d", "--public-key", str(pem_file(tmp_path)))
    result = json.loads(lines[-1])
    client = Client.objects.get(pk=result["client_id"])
    assert client.owner == vendor
    assert client.scopes == ["a:b", "c:d"]
    assert list(client.keys.values_list("kid", flat=True)) == [result["kid"]]
    assert AuditEvent.objects.filter(action="client.registered", object_id=client.client_id).exists()


def test_it_registers_a_jwk_with_its_kid_and_a_chosen_client_id(tmp_path, vendor):
    path = tmp_path / "key.jwk"
    path.write_text(json.dumps({**public_jwk_of(client_private_key().public_key()), "kid": "my-key-1"}))
    lines = run("--org", vendor.orgno, "--scope", "a:b", "--public-key", str(path), "--client-id", "my-client")
    assert json.loads(lines[-1]) == {"client_id": "my-client", "kid": "my-key-1"}


def test_a_registered_client_can_get_a_token(client, tmp_path, vendor, customer, system):
    lines = run(
        "--org",
        vendor.orgno,
        "--scope",
        DEMO_SCOPE,
        "--public-key",
        str(pem_file(tmp_path)),
        "--client-id",
        "client-fakturering",
    )
    kid = json.loads(lines[-1])["kid"]
    setup = grant_setup(vendor, customer, system, client_id="other-unused")
    setup = GrantSetup(Client.objects.get(pk="client-fakturering"), kid, setup.system_user)
    assert setup.post(client, setup.grant()).status_code == 200


def test_a_private_key_is_refused(tmp_path, vendor):
    path = tmp_path / "private.pem"
    path.write_bytes(
        client_private_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(CommandError, match="private key"):
        run("--org", vendor.orgno, "--scope", "a:b", "--public-key", str(path))
    assert not Client.objects.exists()


def test_an_unknown_organisation_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="not in the register"):
        run("--org", "310000001", "--scope", "a:b", "--public-key", str(pem_file(tmp_path)))


def test_a_taken_client_id_is_refused(tmp_path, vendor):
    run("--org", vendor.orgno, "--scope", "a:b", "--public-key", str(pem_file(tmp_path)), "--client-id", "x")
    with pytest.raises(CommandError, match="exists already"):
        run("--org", vendor.orgno, "--scope", "a:b", "--public-key", str(pem_file(tmp_path)), "--client-id", "x")


def test_garbage_is_not_a_key(tmp_path, vendor):
    path = tmp_path / "garbage"
    path.write_text("hello")
    with pytest.raises(CommandError, match="PEM"):
        run("--org", vendor.orgno, "--scope", "a:b", "--public-key", str(path))
