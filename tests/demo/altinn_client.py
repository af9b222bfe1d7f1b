"""A vendor's program written only against the public documentation of Maskinporten and Altinn 3, not
against this project's code: it imports nothing of ours, and every call is the one the documentation shows.
The test (test_altinn_client.py) points it at us by its base URLs alone, as a vendor would.

- Maskinporten JWT grant, token endpoint from the server metadata:
  https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant and …/maskinporten_protocol_token
- A system-user token (`authorization_details` of type `urn:altinn:systemuser`):
  https://docs.altinn.studio/authorization/guides/system-vendor/system-user/usetoken/
- Altinn takes no Maskinporten token directly; it is exchanged for an Altinn token first, by
  `GET {platform}/authentication/api/v1/exchange/maskinporten` with the Maskinporten token as bearer:
  https://docs.altinn.studio/authorization/getting-started/authentication/maskinporten/
- The system register and system-user requests (`systemregister/vendor`, `systemuser/request/vendor`,
  `systemuser/vendor/bysystem`), their bodies and the problem codes (`AUTH.VLD-00002`: the system id exists):
  https://docs.altinn.studio/authorization/guides/system-vendor/system-user/
"""

import time
import uuid

import jwt
import requests

TIMEOUT = 10
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SYSTEM_ID_EXISTS = "AUTH.VLD-00002"


class AltinnVendorProgram:
    def __init__(self, *, maskinporten: str, platform: str, client_id: str, kid: str, private_key_pem: bytes):
        self.maskinporten = maskinporten.rstrip("/")
        self.platform = platform.rstrip("/")
        self.client_id = client_id
        self.kid = kid
        self.private_key_pem = private_key_pem
        self.http = requests.Session()

    # --- Maskinporten ---------------------------------------------------------------------------------

    def maskinporten_token(self, scope: str, *, customer_orgno: str | None = None) -> str:
        metadata = self.http.get(f"{self.maskinporten}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
        metadata.raise_for_status()
        now = int(time.time())
        grant = {
            "aud": metadata.json()["issuer"],
            "iss": self.client_id,
            "scope": scope,
            "iat": now,
            "exp": now + 120,
            "jti": str(uuid.uuid4()),
        }
        if customer_orgno:
            grant["authorization_details"] = [
                {
                    "type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{customer_orgno}"},
                }
            ]
        assertion = jwt.encode(grant, self.private_key_pem, algorithm="RS256", headers={"kid": self.kid})
        response = self.http.post(
            metadata.json()["token_endpoint"],
            data={"grant_type": GRANT_TYPE, "assertion": assertion},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    # --- Altinn ---------------------------------------------------------------------------------------

    def altinn_token(self, maskinporten_token: str) -> str:
        """The Altinn token for a Maskinporten token: the response body (a JWT; some clients get it quoted)."""
        response = self.http.get(
            f"{self.platform}/authentication/api/v1/exchange/maskinporten",
            headers={"Authorization": f"Bearer {maskinporten_token}"},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.text.strip().strip('"')

    def login(self, scope: str, *, customer_orgno: str | None = None) -> str:
        return self.altinn_token(self.maskinporten_token(scope, customer_orgno=customer_orgno))

    def _call(self, token: str, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return self.http.request(
            method, f"{self.platform}/authentication/api/v1/{path}", headers=headers, timeout=TIMEOUT, **kwargs
        )

    def register_system(self, token: str, system: dict) -> str:
        """Create the system; when it exists already (a second run), update it. Returns "created" or "updated"."""
        response = self._call(token, "POST", "systemregister/vendor", json=system)
        if response.status_code == 200:
            return "created"
        errors = (response.json().get("validationErrors") or []) if response.status_code == 400 else []
        if not any(error.get("code") == SYSTEM_ID_EXISTS for error in errors):
            raise RuntimeError(f"register system: {response.status_code} {response.text}")
        self._call(token, "PUT", f"systemregister/vendor/{system['id']}", json=system).raise_for_status()
        return "updated"

    def request_system_user(self, token: str, body: dict) -> dict:
        response = self._call(token, "POST", "systemuser/request/vendor", json=body)
        response.raise_for_status()
        return response.json()

    def request_status(self, token: str, request_id: str) -> str:
        response = self._call(token, "GET", f"systemuser/request/vendor/{request_id}")
        response.raise_for_status()
        return response.json()["status"]

    def system_users(self, token: str, system_id: str) -> list[dict]:
        found, response = [], self._call(token, "GET", f"systemuser/vendor/bysystem/{system_id}")
        while True:
            response.raise_for_status()
            page = response.json()
            found += page["data"]
            if not page["links"].get("next"):
                return found
            response = self.http.get(
                page["links"]["next"], headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
            )
