"""The demo API provider: "Krav og betalinger" (claims and payments) for each organisation.

A resource owner's API, outside Systembruker, as a plain WSGI app. For every call it
1. validates the bearer token (signature, issuer, expiry, scope): an access token from the token endpoint
   (keys at its `/jwk`) or a platform token from `exchange/maskinporten` (keys at the `jwks_uri` of the
   OpenID metadata) — a vendor may send either,
2. reads `systemuser_id` and `systemuser_org` from the token's `authorization_details`,
3. asks Systembruker's PDP whether that system user may do the action for the organisation in the URL,
4. answers 200 with the organisation's data on Permit, 403 otherwise (503 when the PDP is unreachable:
   it fails closed).

    GET  /krav-og-betalinger/<orgno>             action "read"
    POST /krav-og-betalinger/<orgno>/betalinger  action "write" (registers a payment; nothing is stored)

Run: `python -m demo.provider --server http://127.0.0.1:8000 --port 8001` (see docs/demo-api.md).
"""

import argparse
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from wsgiref.simple_server import make_server

import jwt

from demo.maskinporten_client import HttpError, TokenClient, http_json, load_or_create_key, public_pem

RESOURCE = "ske-krav-og-betalinger"
RESOURCE_OWNER = "974761076"  # Skatteetaten, the resource's owner in the catalog
API_SCOPE = "demo:krav-og-betalinger"
PDP_SCOPE = "altinn:authorization/authorize"
ALGORITHMS = ["RS256", "RS384", "RS512"]
# Where Systembruker (as Altinn) describes the issuer of platform tokens and publishes its keys.
PLATFORM_METADATA = "/authentication/api/v1/openid/.well-known/openid-configuration"
ROUTES = [
    ("GET", re.compile(r"^/krav-og-betalinger/(?P<orgno>[0-9]{9})/?$"), "read"),
    ("POST", re.compile(r"^/krav-og-betalinger/(?P<orgno>[0-9]{9})/betalinger/?$"), "write"),
]


class Refused(Exception):
    def __init__(self, status: int, error: str, description: str, **extra):
        super().__init__(description)
        self.status, self.error, self.description, self.extra = status, error, description, extra


def xacml_request(system_user_id: str, action: str, orgno: str) -> dict:
    def attribute(attribute_id: str, value: str) -> dict:
        return {"AttributeId": attribute_id, "Value": value}

    return {
        "Request": {
            "AccessSubject": [{"Attribute": [attribute("urn:altinn:systemuser:uuid", system_user_id)]}],
            "Action": [{"Attribute": [attribute("urn:oasis:names:tc:xacml:1.0:action:action-id", action)]}],
            "Resource": [
                {
                    "Attribute": [
                        attribute("urn:altinn:resource", RESOURCE),
                        attribute("urn:altinn:organization:identifier-no", orgno),
                    ]
                }
            ],
        }
    }


def sample_claims(orgno: str) -> dict:
    """Made-up but stable claims for an organisation (the same orgno always gives the same data)."""
    seed = hashlib.sha256(orgno.encode()).digest()
    kinds = ["Merverdiavgift", "Forskuddsskatt", "Arbeidsgiveravgift", "Forskuddstrekk"]
    claims = [
        {
            "kravId": f"{orgno}-{i + 1}",
            "kravtype": kinds[seed[i] % len(kinds)],
            "beloep": 1000 + int.from_bytes(seed[4 + 2 * i : 6 + 2 * i]) % 90000,
            "forfall": f"2026-{1 + seed[12 + i] % 12:02d}-15",
            "betalt": bool(seed[20 + i] % 2),
        }
        for i in range(3)
    ]
    return {"organisasjonsnummer": orgno, "krav": claims}


class DemoApi:
    """The WSGI app. `issuers` maps each trusted issuer to a function that returns its JWKS document;
    `ask_pdp` posts an XACML request."""

    def __init__(self, *, issuers: dict[str, Callable[[], dict]], ask_pdp: Callable[[dict], dict]):
        self._issuers = dict(issuers)
        self._ask_pdp = ask_pdp
        self._keys: dict[str, dict] = {issuer: {} for issuer in self._issuers}
        self._keys_fetched = dict.fromkeys(self._issuers, 0.0)
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        try:
            status, body = self.handle(environ)
        except Refused as refused:
            status = refused.status
            body = {"error": refused.error, "error_description": refused.description, **refused.extra}
        payload = json.dumps(body, ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(payload)))]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer error="invalid_token"'))
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [payload]

    def handle(self, environ) -> tuple[int, dict]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        for route_method, pattern, action in ROUTES:
            match = pattern.match(path)
            if match and method == route_method:
                return self.serve(environ, action, match["orgno"])
        raise Refused(404, "not_found", "Try GET /krav-og-betalinger/<orgno>")

    def serve(self, environ, action: str, orgno: str) -> tuple[int, dict]:
        claims = self.validate(environ.get("HTTP_AUTHORIZATION", ""))
        system_user_id, owner = self.system_user(claims)
        try:
            answer = self._ask_pdp(xacml_request(system_user_id, action, orgno))
            decision = answer["Response"][0]["Decision"]
        except Exception as error:  # fail closed: no answer from the PDP is no access
            raise Refused(503, "pdp_unavailable", f"The decision point did not answer: {error}") from None
        if decision != "Permit":
            raise Refused(
                403, "access_denied", f"System user {system_user_id} may not {action} for {orgno}", decision=decision
            )
        if action == "write":
            return 200, {"organisasjonsnummer": orgno, "status": "betaling registrert", "systembruker": system_user_id}
        return 200, {**sample_claims(orgno), "systembruker": system_user_id, "systembrukerEier": owner}

    def validate(self, header: str) -> dict:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Refused(401, "invalid_token", "A bearer token is required")
        try:
            # The issuer named in the token only chooses whose keys to try; the signature and the
            # issuer check below decide.
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if issuer not in self._issuers:
                raise jwt.InvalidIssuerError("Not a trusted issuer")
            key = self.key(issuer, jwt.get_unverified_header(token).get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=issuer,
                options={"require": ["iss", "exp", "iat", "scope"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise Refused(401, "invalid_token", f"Token not accepted: {error}") from None
        if API_SCOPE not in str(claims.get("scope", "")).split():
            raise Refused(403, "insufficient_scope", f"The token lacks the scope {API_SCOPE}")
        return claims

    def key(self, issuer: str, kid):
        """The issuer's public key with this kid; its JWKS refetched (at most every 30 s) for an unknown kid."""
        with self._lock:
            known = self._keys[issuer]
            if kid not in known and time.monotonic() - self._keys_fetched[issuer] > 30:
                jwk_set = jwt.PyJWKSet.from_dict(self._issuers[issuer]())
                known = self._keys[issuer] = {k.key_id: k.key for k in jwk_set.keys}
                self._keys_fetched[issuer] = time.monotonic()
            if kid not in known:
                raise jwt.InvalidKeyError("Unknown signing key")
            return known[kid]

    @staticmethod
    def system_user(claims: dict) -> tuple[str, str]:
        for detail in claims.get("authorization_details") or []:
            if isinstance(detail, dict) and detail.get("type") == "urn:altinn:systemuser":
                ids, org = detail.get("systemuser_id"), detail.get("systemuser_org") or {}
                if isinstance(ids, list) and ids and isinstance(org, dict):
                    return str(ids[0]), str(org.get("ID", "")).removeprefix("0192:")
        raise Refused(403, "not_a_system_user", "This API needs a system-user token")


_REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}


def manage(repo: Path, *args: str) -> str:
    """Run a management command of the Systembruker next to this demo (the one-time set-up steps)."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=repo, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def register_client(repo: Path, org: str, key_file: Path, scope: str) -> dict:
    """Run `manage.py create_client` (CONTRACT §5) and return its last line: {"client_id", "kid"}."""
    pub = key_file.with_suffix(".pub.pem")
    pub.write_bytes(public_pem(load_or_create_key(key_file)))
    out = manage(repo, "create_client", "--org", org, "--scope", scope, "--public-key", str(pub))
    return json.loads(out.strip().splitlines()[-1])


def registered_client(server: str, state_file: Path, key_file: Path, scope: str, register: Callable[[], dict]):
    """The TokenClient kept in `state_file`, registering (again) when there is none or the server no longer
    knows it (e.g. after the demo database was reset)."""
    if state_file.exists():
        state = json.loads(state_file.read_text())
        tokens = TokenClient(server, state["client_id"], state["kid"], load_or_create_key(key_file))
        try:
            tokens.token(scope)
            return tokens
        except HttpError as error:
            if error.status != 400:
                raise
    state = register()
    state_file.write_text(json.dumps(state))
    return TokenClient(server, state["client_id"], state["kid"], load_or_create_key(key_file))


def build_app(tokens: TokenClient) -> DemoApi:
    """The API as it runs: issuers and their JWKS from the server's two metadata documents, decisions from
    its PDP."""
    pdp_url = tokens.server.rstrip("/") + "/authorization/api/v1/authorize"

    def ask_pdp(body: dict) -> dict:
        try:
            return http_json("POST", pdp_url, body=body, token=tokens.token(PDP_SCOPE))[1]
        except HttpError as error:
            raise RuntimeError(f"PDP answered {error.status}") from None

    _, platform = http_json("GET", tokens.server.rstrip("/") + PLATFORM_METADATA)
    return DemoApi(
        issuers={
            tokens.metadata()["issuer"]: lambda: http_json("GET", tokens.metadata()["jwks_uri"])[1],
            platform["issuer"]: lambda: http_json("GET", platform["jwks_uri"])[1],
        },
        ask_pdp=ask_pdp,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="Systembruker's base URL")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--org", default=RESOURCE_OWNER, help="the resource owner's orgno (owns the PDP client)")
    parser.add_argument("--state", default="var/demo/provider.json", help="where the client id and kid are kept")
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    state_file = repo / args.state
    key_file = state_file.with_name("provider-key.pem")

    def register() -> dict:
        if args.org == RESOURCE_OWNER:  # the demo's resource owner is not in the demo register
            manage(repo, "import_register", str(repo / "demo" / "resource-owner.json"))
        return register_client(repo, args.org, key_file, PDP_SCOPE)

    tokens = registered_client(args.server, state_file, key_file, PDP_SCOPE, register)
    app = build_app(tokens)
    with make_server("127.0.0.1", args.port, app) as server:
        print(f"Demo API (Krav og betalinger) on http://127.0.0.1:{args.port}/krav-og-betalinger/<orgno>", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
