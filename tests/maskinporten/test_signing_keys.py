import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens import keys
from lib.tokens.access import InvalidToken, issue_access_token, verify_access_token
from tests.maskinporten.helpers import make_client, maskinporten_token


def write_key(path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@pytest.fixture
def fresh_keys():
    keys.reset()
    yield
    keys.reset()


def test_the_embedded_default_creates_one_key_and_keeps_it(tmp_path, settings, fresh_keys):
    settings.VAR_DIR = tmp_path
    settings.TOKEN_SIGNING_KEY_FILES = []
    first = keys.current_key().kid
    assert (tmp_path / keys.DEFAULT_KEY_FILE).exists()
    assert oct((tmp_path / keys.DEFAULT_KEY_FILE).stat().st_mode & 0o777) == "0o600"
    keys.reset()  # a restart
    assert keys.current_key().kid == first


def test_with_two_key_files_the_first_signs_and_both_are_published(tmp_path, settings, fresh_keys, vendor, client):
    new, old = write_key(tmp_path / "new.pem"), write_key(tmp_path / "old.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(old)]
    c, _ = make_client(vendor, "a:b")
    token_from_old_key = issue_access_token(client=c, scopes=["a:b"])["access_token"]

    settings.TOKEN_SIGNING_KEY_FILES = [str(new), str(old)]
    keys.reset()
    published = [k["kid"] for k in client.get("/jwk").json()["keys"]]
    assert len(published) == 2
    token = issue_access_token(client=c, scopes=["a:b"])["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == published[0]
    assert verify_access_token(token_from_old_key)["client_id"] == c.client_id

    settings.TOKEN_SIGNING_KEY_FILES = [str(new)]  # the old key is gone once its tokens have expired
    keys.reset()
    with pytest.raises(InvalidToken):
        verify_access_token(token_from_old_key)


def test_a_key_file_that_is_not_an_rsa_private_key_stops_start_up(tmp_path, settings, fresh_keys):
    from django.core.exceptions import ImproperlyConfigured

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    settings.TOKEN_SIGNING_KEY_FILES = [str(bad)]
    with pytest.raises(ImproperlyConfigured):
        keys.current_key()


def test_the_embedded_default_makes_a_platform_key_of_its_own_and_keeps_it(tmp_path, settings, fresh_keys):
    settings.VAR_DIR = tmp_path
    settings.TOKEN_SIGNING_KEY_FILES = settings.PLATFORM_SIGNING_KEY_FILES = []
    platform = keys.PLATFORM.current_key().kid
    assert oct((tmp_path / keys.PLATFORM.default_file).stat().st_mode & 0o777) == "0o600"
    assert platform != keys.current_key().kid
    keys.reset()  # a restart
    assert keys.PLATFORM.current_key().kid == platform


def test_configured_platform_keys_rotate_as_the_token_keys_do(tmp_path, settings, fresh_keys, client):
    new, old = write_key(tmp_path / "platform-new.pem"), write_key(tmp_path / "platform-old.pem")
    settings.PLATFORM_SIGNING_KEY_FILES = [str(new), str(old)]
    jwks_url = "/authentication/api/v1/openid/.well-known/openid-configuration/jwks"
    published = [k["kid"] for k in client.get(jwks_url).json()["keys"]]
    assert published == [k.kid for k in keys.PLATFORM.signing_keys()] and len(published) == 2
    assert keys.PLATFORM.current_key().kid == published[0]
    assert not set(published) & {k["kid"] for k in client.get("/jwk").json()["keys"]}


def test_a_token_signing_key_as_platform_key_stops_start_up(tmp_path, settings, fresh_keys):
    from django.core.exceptions import ImproperlyConfigured

    shared = write_key(tmp_path / "shared.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(shared)]
    settings.PLATFORM_SIGNING_KEY_FILES = [str(write_key(tmp_path / "platform.pem")), str(shared)]
    with pytest.raises(ImproperlyConfigured, match="PLATFORM_SIGNING_KEY_FILES"):
        keys.PLATFORM.current_key()


def test_the_jwks_has_only_public_members(client, db):
    for key in client.get("/jwk").json()["keys"]:
        assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}


def test_a_token_of_the_configured_external_maskinporten_is_accepted(external_maskinporten, vendor):
    claims = verify_access_token(maskinporten_token(external_maskinporten, vendor.orgno))
    assert claims["client_id"] == "mp-client"


def test_an_external_token_with_another_issuer_is_refused(external_maskinporten, vendor):
    with pytest.raises(InvalidToken):
        verify_access_token(maskinporten_token(external_maskinporten, vendor.orgno, iss="https://evil.example/"))


def test_external_tokens_are_refused_when_no_external_issuer_is_configured(settings, vendor):
    settings.EXTERNAL_MASKINPORTEN_ISSUER = ""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken):
        verify_access_token(maskinporten_token(key, vendor.orgno))
