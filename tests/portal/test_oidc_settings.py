"""The ID-porten settings are read strictly: a production start without a login, or with a bad
value, stops with a message naming what to fix."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from config.oidc_settings import check_oidc_settings
from tests.test_settings import PRODUCTION_ENV, _run

WITHOUT_OIDC = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("OIDC_")}
LEVELS = ("idporten-loa-low", "idporten-loa-substantial", "idporten-loa-high")
METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


def write_key(path, size=2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=size)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def check(**overrides):
    values = {
        "issuer": "https://test.idporten.no",
        "client_id": "systembruker",
        "secret": "s3cret",
        "key_file": "",
        "key_id": "",
        "auth_method": "client_secret_basic",
        "auth_methods": METHODS,
        "scopes": "openid profile",
        "acr_min": "idporten-loa-substantial",
        "acr_levels": LEVELS,
        "production": True,
    }
    check_oidc_settings(**(values | overrides))


def test_production_refuses_to_start_without_id_porten_or_an_explicit_test_login():
    result = _run(WITHOUT_OIDC, "check")
    assert result.returncode != 0
    assert "Production needs a way to log in: configure ID-porten" in result.stderr


def test_production_with_the_test_login_switched_on_explicitly_starts():
    result = _run(dict(WITHOUT_OIDC, TEST_LOGIN_ENABLED="true"), "check")
    assert result.returncode == 0, result.stderr


def test_production_with_id_porten_by_private_key_passes_the_deploy_check(tmp_path):
    key = write_key(tmp_path / "idporten-client.pem")
    env = dict(WITHOUT_OIDC, OIDC_ISSUER="https://idporten.no", OIDC_CLIENT_ID="c", OIDC_PRIVATE_KEY_FILE=str(key))
    result = _run(dict(env, OIDC_PRIVATE_KEY_ID="key-2026"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_a_bad_oidc_value_stops_the_start_with_its_message():
    result = _run(dict(PRODUCTION_ENV, OIDC_ACR_MIN="Level4"), "check")
    assert result.returncode != 0
    assert "OIDC_ACR_MIN must be one of idporten-loa-low, idporten-loa-substantial, idporten-loa-high" in result.stderr


def test_good_settings_pass():
    check()
    check(acr_min="idporten-loa-high", auth_method="client_secret_post")


def test_a_private_key_with_its_key_id_passes(tmp_path):
    check(secret="", key_file=str(write_key(tmp_path / "k.pem")), key_id="k1", auth_method="private_key_jwt")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": ""}, "OIDC_ISSUER and OIDC_CLIENT_ID must both be set"),
        ({"issuer": ""}, "OIDC_ISSUER and OIDC_CLIENT_ID must both be set"),
        ({"issuer": "http://idporten.no"}, "OIDC_ISSUER must be the provider's https URL"),
        ({"issuer": "http://127.0.0.1:8127"}, "OIDC_ISSUER must be the provider's https URL"),
        ({"issuer": "idporten.no"}, "OIDC_ISSUER must be the provider's https URL"),
        ({"auth_method": "tls_client_auth"}, "OIDC_CLIENT_AUTH_METHOD must be one of"),
        ({"secret": ""}, "OIDC_CLIENT_AUTH_METHOD=client_secret_basic needs OIDC_CLIENT_SECRET"),
        ({"auth_method": "private_key_jwt"}, "OIDC_CLIENT_AUTH_METHOD=private_key_jwt needs OIDC_PRIVATE_KEY_FILE"),
        ({"scopes": "profile"}, "OIDC_SCOPES must include openid"),
        ({"acr_min": "Level4"}, "OIDC_ACR_MIN must be one of"),
    ],
)
def test_a_bad_value_is_a_clear_error(overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        check(**overrides)


def test_plain_http_on_loopback_is_allowed_outside_production_only():
    check(issuer="http://127.0.0.1:8127", production=False)
    with pytest.raises(ImproperlyConfigured):
        check(issuer="http://idporten.no", production=False)


def test_a_private_key_without_its_key_id_is_a_clear_error(tmp_path):
    key = write_key(tmp_path / "k.pem")
    with pytest.raises(ImproperlyConfigured, match="OIDC_PRIVATE_KEY_ID"):
        check(secret="", key_file=str(key), auth_method="private_key_jwt")


def test_a_missing_key_file_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="'/nonexistent.pem' is not a readable file"):
        check(key_file="/nonexistent.pem", key_id="k", auth_method="private_key_jwt")


def test_a_key_file_that_is_no_private_key_is_a_clear_error(tmp_path):
    key = tmp_path / "k.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nnot a private key\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ImproperlyConfigured, match="is not an unencrypted PEM private key"):
        check(key_file=str(key), key_id="k", auth_method="private_key_jwt")


def test_a_short_key_is_refused(tmp_path):
    key = write_key(tmp_path / "k.pem", size=1024)
    with pytest.raises(ImproperlyConfigured, match="at least 2048 bits"):
        check(key_file=str(key), key_id="k", auth_method="private_key_jwt")
