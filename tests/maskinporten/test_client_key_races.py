"""One key, one client (maskinporten.clients.add_client_key): the same public key added to two clients at
the same moment is stored on one; the other is told it is in use. Otherwise whoever holds the private key
could sign grants for both.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from maskinporten.clients import add_client_key, register_client
from maskinporten.models import ClientKey
from tests.races import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _pem() -> str:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_one_public_key_added_to_four_clients_at_once_is_stored_on_one(vendor):
    clients = [
        register_client(owner=vendor, scopes=[], public_key=_pem(), client_id=f"klient-{i}", actor="t")[0]
        for i in range(4)
    ]
    shared = _pem()
    adds = [lambda c=c: add_client_key(client=c, public_key=shared, actor="t").kid for c in clients]
    outcomes = race(adds)
    assert sorted(outcomes).count("STD-00000") == 3  # "This public key is registered already"
    assert ClientKey.objects.count() == 4 + 1
