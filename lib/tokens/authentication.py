"""Bearer-token authentication for our APIs: a DRF authentication class, a scope permission, and a plain
function for hot-path Django views (the PDP).

    class MyView(APIView):
        authentication_classes = [BearerTokenAuthentication]
        permission_classes = [HasScope.of("altinn:authentication/systemregister.write")]

`request.auth` is the claims dict, `request.user` a `TokenUser` (`.consumer_orgno`, `.client_id`, `.scopes`).
No or a bad token gives 401 with `WWW-Authenticate: Bearer`; a valid token without the scope gives 403.
"""

from dataclasses import dataclass, field

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from lib.tokens.access import InvalidToken, consumer_orgno, scopes_of, verify_access_token
from lib.tokens.person import verify_person_token

_CACHE_ATTR = "_bearer_claims"


@dataclass(frozen=True)
class TokenUser:
    """Who called: the client and its owner organisation (the vendor, for the vendor API)."""

    consumer_orgno: str
    client_id: str
    scopes: frozenset[str]
    claims: dict = field(repr=False, compare=False)
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    @classmethod
    def from_claims(cls, claims: dict) -> "TokenUser":
        return cls(consumer_orgno(claims), claims["client_id"], scopes_of(claims), claims)

    @property
    def system_user(self) -> dict | None:
        """The `urn:altinn:systemuser` authorization detail of a system-user token, else None."""
        for detail in self.claims.get("authorization_details") or []:
            if isinstance(detail, dict) and detail.get("type") == "urn:altinn:systemuser":
                return detail
        return None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def bearer_token(request) -> str | None:
    """The raw token of an `Authorization: Bearer <token>` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_bearer(request) -> dict | None:
    """The claims of the request's valid bearer token, or None (no token, or an invalid one).

    For plain Django views; the result is kept on the request so a second call costs nothing.
    """
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    token = bearer_token(request)
    claims = None
    if token is not None:
        try:
            claims = verify_access_token(token)
        except InvalidToken:
            claims = None
    setattr(request, _CACHE_ATTR, claims)
    return claims


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None  # lets another authenticator (a portal session) try; else 401 from the permission
        try:
            claims = verify_access_token(token)
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return TokenUser.from_claims(claims), claims

    def authenticate_header(self, request) -> str:
        return "Bearer"


class HasScope(BasePermission):
    """The token carries at least one of the scopes given to `HasScope.of(...)`."""

    required: tuple[str, ...] = ()
    message = "The token does not carry the required scope."

    @classmethod
    def of(cls, *scopes: str) -> type["HasScope"]:
        if not scopes:
            raise ValueError("HasScope.of needs at least one scope")
        return type(f"HasScope_{'_or_'.join(scopes)}", (cls,), {"required": tuple(scopes)})

    def has_permission(self, request, view) -> bool:
        scopes = getattr(request.user, "scopes", None)
        if scopes is None:
            return False  # not authenticated with a token: DRF answers 401 (or 403 after a session login)
        return any(scope in scopes for scope in self.required)


class HasToken(BasePermission):
    """Any valid token of ours (or the external issuer's), whatever its scopes."""

    def has_permission(self, request, view) -> bool:
        return isinstance(getattr(request, "user", None), TokenUser)


@dataclass(frozen=True)
class PersonTokenUser:
    """A person acting through a vendor's program, with a person token from the ID-porten exchange."""

    pid: str
    scopes: frozenset[str]
    claims: dict = field(repr=False, compare=False)
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class PersonTokenAuthentication(BaseAuthentication):
    """Accepts only our person tokens (lib/tokens/person.py): never a vendor or system-user
    token, never a portal session. The end-user client-delegation API uses it alone."""

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None  # the permission then answers 401
        try:
            claims = verify_person_token(token)
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return PersonTokenUser(claims["pid"], scopes_of(claims), claims), claims

    def authenticate_header(self, request) -> str:
        return "Bearer"
