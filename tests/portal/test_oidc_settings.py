"""The ID-porten settings are read strictly: a production start without a login, or with a bad
value, stops with a message naming what to fix."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.test_settings import PRODUCTION_ENV, _run

WITHOUT_OIDC = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("OIDC_")}


def test_production_refuses_to_start_without_id_porten_or_an_explicit_test_login():
    result = _run(WITHOUT_OIDC, "check")
    assert result.returncode != 0
    assert "Production needs a way to log in: configure ID-porten" in result.stderr


def test_production_with_the_test_login_switched_on_explicitly_starts():
    result = _run(dict(WITHOUT_OIDC, TEST_LOGIN_ENABLED="true"), "check")
    assert result.returncode == 0, result.stderr


def write_key(path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def test_production_with_id_porten_by_private_key_passes_the_deploy_check(tmp_path):
    key = write_key(tmp_path / "idporten-client.pem")
    env = dict(WITHOUT_OIDC, OIDC_ISSUER="https://idporten.no", OIDC_CLIENT_ID="c", OIDC_PRIVATE_KEY_FILE=str(key))
    result = _run(dict(env, OIDC_PRIVATE_KEY_ID="key-2026"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_a_private_key_without_its_key_id_is_a_clear_error(tmp_path):
    key = write_key(tmp_path / "idporten-client.pem")
    env = {"OIDC_ISSUER": "https://test.idporten.no", "OIDC_CLIENT_ID": "c", "OIDC_PRIVATE_KEY_FILE": str(key)}
    result = _run(env, "check")
    assert result.returncode != 0
    assert "OIDC_PRIVATE_KEY_ID" in result.stderr


def test_a_missing_key_file_is_a_clear_error():
    env = {"OIDC_ISSUER": "https://test.idporten.no", "OIDC_CLIENT_ID": "c", "OIDC_PRIVATE_KEY_ID": "k"}
    result = _run(dict(env, OIDC_PRIVATE_KEY_FILE="/nonexistent.pem"), "check")
    assert result.returncode != 0
    assert "OIDC_PRIVATE_KEY_FILE '/nonexistent.pem' is not a readable file" in result.stderr


def test_a_key_file_that_is_no_private_key_is_a_clear_error(tmp_path):
    key = tmp_path / "idporten-client.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nnot a private key\n-----END PUBLIC KEY-----\n")
    env = {"OIDC_ISSUER": "https://test.idporten.no", "OIDC_CLIENT_ID": "c", "OIDC_PRIVATE_KEY_FILE": str(key)}
    result = _run(dict(env, OIDC_PRIVATE_KEY_ID="k"), "check")
    assert result.returncode != 0
    assert "is not an unencrypted PEM private key" in result.stderr


def test_an_issuer_without_https_is_refused_in_production():
    result = _run(dict(PRODUCTION_ENV, OIDC_ISSUER="http://idporten.no"), "check")
    assert result.returncode != 0
    assert "OIDC_ISSUER must be the provider's https URL" in result.stderr


def test_an_issuer_without_a_client_id_is_a_clear_error():
    result = _run({"OIDC_ISSUER": "https://test.idporten.no"}, "check")
    assert result.returncode != 0
    assert "OIDC_ISSUER and OIDC_CLIENT_ID must both be set" in result.stderr


def test_an_unknown_minimum_level_is_a_clear_error():
    env = dict(PRODUCTION_ENV, OIDC_ACR_MIN="Level4")
    result = _run(env, "check")
    assert result.returncode != 0
    assert "OIDC_ACR_MIN must be one of idporten-loa-low, idporten-loa-substantial, idporten-loa-high" in result.stderr


def test_level_high_may_be_required():
    result = _run(dict(PRODUCTION_ENV, OIDC_ACR_MIN="idporten-loa-high"), "check")
    assert result.returncode == 0, result.stderr


def test_scopes_without_openid_are_a_clear_error():
    result = _run(dict(PRODUCTION_ENV, OIDC_SCOPES="profile"), "check")
    assert result.returncode != 0
    assert "OIDC_SCOPES must include openid" in result.stderr


def test_an_unknown_client_authentication_method_is_a_clear_error():
    result = _run(dict(PRODUCTION_ENV, OIDC_CLIENT_AUTH_METHOD="tls_client_auth"), "check")
    assert result.returncode != 0
    assert "OIDC_CLIENT_AUTH_METHOD must be one of" in result.stderr
