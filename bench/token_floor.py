"""The floor of a token in a Python web process: what any Python design of `/token` must still pay
(issue 19; a measurement, not a second token endpoint — nothing outside bench/ imports it).

    .venv/bin/python bench/token.py --no-peer --app floor     # the least work a token can be
    .venv/bin/python bench/token.py --no-peer --app hello     # the HTTP server alone

`bench/token.py --app …` serves `POST /token` with one of the WSGI callables below instead of the
project's, under the same server (gunicorn or granian, `--server`), database and load; every other
path (the `/jwk` the start-up waits for) goes to the project.

- `floor`: only what a trustworthy token cannot do without, and none of the rest: the form split by
  `urllib`, the grant's two JSON parts loaded without the strict checks, the project's own prepared
  read of the client key and system user (`maskinporten.grants._client_key_row`), the RS256 check of
  the grant, the project's own one-statement spend of the `jti` with the usage record, and the project's
  RS256 access token. No Django request or response, no signals, no rate limits, no claim checks, no
  log line, no metrics, no connection health check; a refusal is a bare 400. So its CPU per token is a
  floor under any Python web process doing the same durable work on this machine.
- `hello`: the HTTP server and nothing else: one access token, signed at start, sent back to every
  request (the check before the phases shows the replay answered 200: nothing is spent).
"""

import base64
import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from config.wsgi import application as project  # noqa: E402  (sets Django up)
from lib.tokens.access import sign_access_token, systemuser_details  # noqa: E402
from maskinporten import grants  # noqa: E402
from registry import usage  # noqa: E402

_public_keys: dict[str, object] = {}
_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _answer(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [*_HEADERS, ("Content-Length", str(len(data)))])
    return [data]


def _token(environ) -> tuple[str, dict]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    assertion = parse_qs(body.decode())["assertion"][0]
    head, payload, signature = assertion.split(".")
    header, claims = json.loads(_b64(head)), json.loads(_b64(payload))
    orgno = claims["authorization_details"][0]["systemuser_org"]["ID"].partition(":")[2]
    client_id, kid = claims["iss"], header["kid"]
    rows = grants._client_key_row.rows(client_id=client_id, kid=kid, owner_orgno=orgno, external_ref=orgno)
    jwk, _retired, _active, _scopes, owner_orgno, _deleted, system_user = rows[0]
    key = _public_keys.get(kid)
    if key is None:
        key = _public_keys[kid] = RSAAlgorithm.from_jwk(jwk if isinstance(jwk, dict) else json.loads(jwk))
    key.verify(_b64(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    system_user = system_user if isinstance(system_user, dict) else json.loads(system_user)
    then, then_values = usage.token_record(system_user_id=system_user["id"], client_id=client_id, kid=kid)
    spent = grants._spend_used_grant.run(
        client_id=client_id,
        jti=claims["jti"],
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        then=then,
        then_values=then_values,
    )
    if not spent:
        return "400 Bad Request", {"error": "invalid_grant", "error_description": "Grant is used before"}
    details = systemuser_details(system_user["id"], orgno, system_user["system_id"])
    token = sign_access_token(
        client_id=client_id, consumer_orgno=owner_orgno, scopes=[claims["scope"]], authorization_details=details
    )
    return "200 OK", token


def floor(environ, start_response):
    if environ.get("PATH_INFO") != "/token":
        return project(environ, start_response)
    return _answer(start_response, *_token(environ))


_HELLO = sign_access_token(client_id="bench-hello", consumer_orgno="000000000", scopes=["altinn:bench/krav.read"])


def hello(environ, start_response):
    if environ.get("PATH_INFO") != "/token":
        return project(environ, start_response)
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    return _answer(start_response, "200 OK", _HELLO)
