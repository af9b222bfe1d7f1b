import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens import keys
from lib.tokens.access import InvalidToken, verify_access_token
from tests.maskinporten.helpers import bearer_for, bearer_for_system_user, make_client, sign_grant

pytestmark = pytest.mark.urls("tests.maskinporten.api_for_tests")
WRITE = "altinn:authentication/systemregister.write"


def test_a_token_with_the_scope_reaches_the_api_as_its_vendor(client, vendor):
    response = client.get("/whoami", HTTP_AUTHORIZATION=bearer_for(vendor, WRITE))
    assert response.status_code == 200
    assert response.json()["orgno"] == vendor.orgno
    assert response.json()["scopes"] == [WRITE]


def test_no_token_is_401_with_a_bearer_challenge(client, db):
    response = client.get("/whoami")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_garbled_token_is_401(client, vendor):
    token = bearer_for(vendor, WRITE)
    response = client.get("/whoami", HTTP_AUTHORIZATION=token[:-4] + "AAAA")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_without_the_scope_is_403(client, vendor):
    response = client.get(
        "/whoami", HTTP_AUTHORIZATION=bearer_for(vendor, "altinn:authentication/systemuser.request.read")
    )
    assert response.status_code == 403


def test_an_expired_token_is_401(client, vendor):
    token = bearer_for(vendor, WRITE).removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 1
    ours = keys.current_key()
    expired = jwt.encode(claims, ours.private_key, algorithm="RS256", headers={"kid": ours.kid, "typ": "at+jwt"})
    assert client.get("/whoami", HTTP_AUTHORIZATION="Bearer " + expired).status_code == 401


def test_a_grant_signed_by_a_client_is_not_an_access_token(client, vendor):
    c, kid = make_client(vendor, WRITE)
    grant = sign_grant(c.client_id, kid, audience="x", scope=WRITE, client_id=c.client_id)
    assert client.get("/whoami", HTTP_AUTHORIZATION="Bearer " + grant).status_code == 401


def test_a_token_signed_by_a_foreign_key_with_our_kid_is_refused(vendor):
    ours = keys.current_key()
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": "x",
        "client_id": "c",
        "scope": WRITE,
        "iat": now,
        "exp": now + 60,
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"},
    }
    forged = jwt.encode(claims, forged_key, algorithm="RS256", headers={"kid": ours.kid, "typ": "at+jwt"})
    with pytest.raises(InvalidToken):
        verify_access_token(forged)


def test_plain_views_authenticate_with_the_same_rules(client, vendor):
    assert client.get("/plain").status_code == 401
    response = client.get("/plain", HTTP_AUTHORIZATION=bearer_for(vendor, WRITE, client_id="my-client"))
    assert response.json() == {"client_id": "my-client"}


def test_a_system_user_token_names_the_system_user(db, vendor, customer, system):
    from registry.models import SystemUser

    su = SystemUser.objects.create(
        integration_title="Faktura", owner=customer, system=system, external_ref=customer.orgno
    )
    claims = verify_access_token(bearer_for_system_user(su, "altinn:demo").removeprefix("Bearer "))
    detail = claims["authorization_details"][0]
    assert detail["systemuser_id"] == [str(su.id)]
    assert detail["systemuser_org"]["ID"] == f"0192:{customer.orgno}"
    assert detail["system_id"] == system.system_id
    assert claims["consumer"]["ID"] == f"0192:{vendor.orgno}"
