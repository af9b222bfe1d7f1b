from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens import keys
from lib.tokens.access import InvalidToken, issue_access_token, verify_access_token
from tests.maskinporten.helpers import RFC7517_EC, RFC7517_EC_THUMBPRINT, make_client, maskinporten_token


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


def test_an_external_token_names_what_is_wrong(external_maskinporten, vendor):
    def reason(token) -> str:
        with pytest.raises(InvalidToken) as err:
            verify_access_token(token)
        return str(err.value)

    token = maskinporten_token(external_maskinporten, vendor.orgno)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert reason(maskinporten_token(stranger, vendor.orgno)) == "Token signature is not valid"  # right kid, wrong key
    unknown_kid = jwt.encode(jwt.decode(token, options={"verify_signature": False}), external_maskinporten,
                             algorithm="RS256", headers={"kid": "another-key"})  # fmt: skip
    assert reason(unknown_kid) == "Unknown signing key"


def test_external_tokens_are_refused_when_no_external_issuer_is_configured(settings, vendor):
    settings.EXTERNAL_MASKINPORTEN_ISSUER = ""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken):
        verify_access_token(maskinporten_token(key, vendor.orgno))


# --- the key material itself ------------------------------------------------------------------------


def test_the_kid_is_the_rfc_7638_thumbprint():
    # The example of RFC 7638, section 3.1: anyone can recompute our kid from the published key.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF"
        "V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0"
        "zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert keys.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_an_ec_key_has_the_rfc_7638_thumbprint_of_its_members():
    assert keys.jwk_thumbprint({**RFC7517_EC, "use": "sig", "kid": "1"}) == RFC7517_EC_THUMBPRINT


def test_the_public_jwk_of_an_ec_key_is_its_four_public_members():
    from jwt.algorithms import ECAlgorithm

    public_key = ECAlgorithm.from_jwk(RFC7517_EC)
    assert keys.public_jwk_of(public_key) == RFC7517_EC


def test_the_published_key_names_its_use_algorithm_and_thumbprint(tmp_path, settings, fresh_keys):
    settings.TOKEN_SIGNING_KEY_FILES = [str(write_key(tmp_path / "k.pem"))]
    [published] = keys.jwks()["keys"]
    assert published["use"] == "sig" and published["alg"] == "RS256" and published["kty"] == "RSA"
    assert published["kid"] == keys.jwk_thumbprint(published) == keys.current_key().kid


def test_a_key_shorter_than_2048_bits_stops_start_up(tmp_path, settings, fresh_keys):
    from django.core.exceptions import ImproperlyConfigured

    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = tmp_path / "short.pem"
    path.write_bytes(
        short.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    settings.TOKEN_SIGNING_KEY_FILES = [str(path)]
    with pytest.raises(ImproperlyConfigured) as err:
        keys.current_key()
    assert str(err.value) == "Signing keys must be RSA private keys of at least 2048 bits"


def test_an_unreadable_key_file_is_named_in_the_error(tmp_path, settings, fresh_keys):
    from django.core.exceptions import ImproperlyConfigured

    missing = tmp_path / "missing.pem"
    settings.TOKEN_SIGNING_KEY_FILES = [str(missing)]
    with pytest.raises(ImproperlyConfigured) as err:
        keys.current_key()
    assert str(err.value).startswith(f"Cannot read the signing key {missing}: ")


def test_base64url_has_no_padding_and_keeps_every_character():
    assert keys._b64url(b"\x00\x00\x17") == "AAAX"  # a last character the padding strip must not touch
    assert keys._b64url(b"\xff\xfe") == "__4" and keys._b64url(b"\xfb") == "-w"


def test_only_our_own_kids_give_a_verification_key(tmp_path, settings, fresh_keys):
    settings.TOKEN_SIGNING_KEY_FILES = [str(write_key(tmp_path / "k.pem"))]
    ours = keys.current_key()
    assert keys.verification_key(ours.kid).public_numbers() == ours.public_key.public_numbers()
    for kid in ("someone-elses", "", None, 42, [ours.kid]):
        assert keys.verification_key(kid) is None


def test_the_embedded_default_makes_its_folder_and_leaves_only_the_key(tmp_path, settings, fresh_keys):
    settings.VAR_DIR = tmp_path / "var" / "deeper"
    settings.TOKEN_SIGNING_KEY_FILES = []
    keys.current_key()
    assert [p.name for p in settings.VAR_DIR.iterdir()] == [keys.DEFAULT_KEY_FILE]  # no temporary file left


def test_of_two_processes_creating_the_embedded_key_at_once_both_use_the_winners(tmp_path, settings, fresh_keys):
    # The other process links its key into place between our "does it exist?" and our own link.
    settings.VAR_DIR = tmp_path
    settings.TOKEN_SIGNING_KEY_FILES = []
    winner = write_key(tmp_path / "winner.pem")
    real_link = keys.os.link

    def the_other_process_was_first(src, dst):
        # Ours is written next to the key (a link is atomic only within one file system), hidden.
        assert Path(src).parent == tmp_path and Path(src).name.startswith(".signing-key-")
        real_link(winner, dst)
        return real_link(src, dst)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys.os, "link", the_other_process_was_first)
        ours = keys.current_key()
    expected = keys._signing_key(serialization.load_pem_private_key(winner.read_bytes(), password=None))
    assert ours.kid == expected.kid
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keys.DEFAULT_KEY_FILE, "winner.pem"])


def _replace(path, source):
    # As an operator (or a secrets agent) replaces a file: a new file renamed over the old one.
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(source.read_bytes())
    tmp.replace(path)


def test_a_replaced_key_file_is_read_again_without_a_restart(tmp_path, settings, fresh_keys, monkeypatch):
    monkeypatch.setattr(keys, "RELOAD_CHECK_SECONDS", 0)
    current, spare = write_key(tmp_path / "current.pem"), write_key(tmp_path / "spare.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(current), str(tmp_path / "next.pem")]
    first = keys.current_key().kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [first]  # next.pem is a free slot

    _replace(tmp_path / "next.pem", spare)  # 1. publish the next key
    published = [k["kid"] for k in keys.jwks()["keys"]]
    assert published[0] == first and len(published) == 2
    assert keys.current_key().kid == first

    _replace(current, spare)  # 2. it signs
    assert keys.current_key().kid == published[1]
    assert keys.verification_key(published[1]) is not None


def test_a_replacement_that_is_not_a_key_keeps_the_key_in_use(tmp_path, settings, fresh_keys, monkeypatch, caplog):
    monkeypatch.setattr(keys, "RELOAD_CHECK_SECONDS", 0)
    current = write_key(tmp_path / "current.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(current)]
    first = keys.current_key().kid
    assert keys.current_key().kid == first  # a check that finds the files unchanged keeps the keys too
    half_written = tmp_path / "half.pem"
    half_written.write_text("-----BEGIN PRIVATE KEY-----\nMIIE")
    _replace(current, half_written)
    for _ in range(3):  # check after check, until the file is whole again
        assert keys.current_key().kid == first
    assert "The changed key files could not be read; the keys in use stay in use" in [
        r.getMessage() for r in caplog.records if r.levelname == "ERROR"
    ]


def test_a_new_key_verifies_as_soon_as_it_is_published_and_a_removed_one_stops(
    tmp_path, settings, fresh_keys, monkeypatch
):
    monkeypatch.setattr(keys, "RELOAD_CHECK_SECONDS", 0)
    current, spare = write_key(tmp_path / "current.pem"), write_key(tmp_path / "spare.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(current), str(tmp_path / "next.pem")]
    first = keys.current_key().kid
    assert keys.verification_key(first) is not None
    _replace(tmp_path / "next.pem", spare)
    second = keys.jwks()["keys"][1]["kid"]
    assert keys.verification_key(second) is not None
    (tmp_path / "next.pem").unlink()
    assert keys.verification_key(second) is None and keys.verification_key(first) is not None


def test_a_free_slot_between_keys_skips_only_itself(tmp_path, settings, fresh_keys, caplog):
    """current, next (not there yet), previous: as docs/operations.md lays them out."""
    import logging

    current, previous = write_key(tmp_path / "current.pem"), write_key(tmp_path / "previous.pem")
    settings.TOKEN_SIGNING_KEY_FILES = [str(current), str(tmp_path / "next.pem"), str(previous)]
    with caplog.at_level(logging.INFO, logger="lib.tokens.keys"):
        published = keys.jwks()["keys"]
    assert len(published) == 2 and keys.verification_key(published[1]["kid"]) is not None
    assert f"TOKEN_SIGNING_KEY_FILES file {tmp_path / 'next.pem'} does not exist (a free slot): skipped" in [
        r.getMessage() for r in caplog.records
    ]


def test_a_replaced_embedded_default_key_is_read_again(tmp_path, settings, fresh_keys, monkeypatch):
    monkeypatch.setattr(keys, "RELOAD_CHECK_SECONDS", 0)
    settings.VAR_DIR = tmp_path
    settings.TOKEN_SIGNING_KEY_FILES = []
    first = keys.current_key().kid
    _replace(tmp_path / keys.DEFAULT_KEY_FILE, write_key(tmp_path / "other.pem"))
    assert keys.current_key().kid != first


def test_only_the_web_processes_read_the_keys(tmp_path):
    # Celery's worker and beat and manage.py (migrate, check) start without the private key files; the
    # web process, which signs tokens, refuses to start without them.
    from tests.test_settings import _run

    env = {"TOKEN_SIGNING_KEY_FILES": str(tmp_path / "missing.pem")}
    assert _run(env, "check").returncode == 0
    web = _run(env, "shell", "-c", "import config.wsgi")
    assert web.returncode != 0 and "Cannot read the signing key" in web.stderr
