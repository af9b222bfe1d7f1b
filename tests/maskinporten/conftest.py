"""A stand-in for an external Maskinporten (EXTERNAL_MASKINPORTEN_ISSUER): its JWKS answers one key."""

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens import access as tokens


class FakeJwks:
    def __init__(self, public_key):
        self.public_key = public_key

    def get_signing_key(self, kid):
        if kid != "mp-key":
            raise jwt.PyJWKClientError("unknown kid")
        return type("K", (), {"key": self.public_key})()


@pytest.fixture
def external_maskinporten(settings, monkeypatch):
    settings.EXTERNAL_MASKINPORTEN_ISSUER = "https://test.maskinporten.no/"
    settings.EXTERNAL_MASKINPORTEN_JWKS_URL = "https://test.maskinporten.no/jwk"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setattr(tokens, "_external_jwks", lambda: FakeJwks(key.public_key()))
    return key
