"""The system-user look-up for Maskinporten (CONTRACT §2.4): `systemuser/byExternalId`."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.errors import FieldError
from lib.identifiers import is_valid_orgno
from lib.problems import problem, validation_problem
from lib.tokens.authentication import BearerTokenAuthentication, HasScope
from lib.unstorable import unstorable
from maskinporten.lookup import find_system_user
from registry.api.base import ProgramAPIMixin
from registry.api.serializers import SystemUserOut

LOOKUP_SCOPE = "altinn:maskinporten/systemuser.read"


class SystemUserByExternalId(ProgramAPIMixin, APIView):
    """The system user Maskinporten would issue a token for: same rule as our own token endpoint."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasScope.of(LOOKUP_SCOPE)]

    @extend_schema(
        operation_id="systemuser_by_external_id",
        parameters=[
            OpenApiParameter("clientId", str, required=True),
            OpenApiParameter("systemProviderOrgNo", str, required=True),
            OpenApiParameter("systemUserOwnerOrgNo", str, required=True),
            OpenApiParameter("externalRef", str, required=False, description="Default: systemUserOwnerOrgNo"),
        ],
        responses={
            200: SystemUserOut,
            400: OpenApiResponse(description="Validation problem (STD-00000)"),
            404: OpenApiResponse(description="No matching system user (AUTH-00015)"),
        },
    )
    def get(self, request):
        # Names match without regard to case, as ASP.NET binds them: Altinn's reference writes `clientid=`.
        query = {key.lower(): value for key, value in request.query_params.items()}
        params = {name: query.get(name.lower(), "").strip() for name in _PARAMS}
        errors = _validate(params)
        if errors:
            return validation_problem(request, errors)
        system_user = find_system_user(
            client_id=params["clientId"],
            vendor_orgno=params["systemProviderOrgNo"],
            owner_orgno=params["systemUserOwnerOrgNo"],
            external_ref=params["externalRef"] or params["systemUserOwnerOrgNo"],
        )
        if system_user is None:
            return problem(request, status=404, code="AUTH-00015", detail="No matching system user.")
        return Response(SystemUserOut(system_user).data)


_PARAMS = ("clientId", "systemProviderOrgNo", "systemUserOwnerOrgNo", "externalRef")


def _validate(params: dict[str, str]) -> list[FieldError]:
    errors = [
        _vld("STD.VLD-00001", f"{name} contains characters that are not allowed", name)
        for name, value in params.items()
        if unstorable(value)  # the look-up would fail in the database instead of answering
    ]
    if not params["clientId"]:
        errors.append(_vld("AUTH.VLD-00000", "clientId is required", "clientId"))
    for name in ("systemProviderOrgNo", "systemUserOwnerOrgNo"):
        if not is_valid_orgno(params[name]):
            errors.append(_vld("AUTH.VLD-00000", f"{name} must be a valid organisation number", name))
    return errors


def _vld(code: str, detail: str, param: str) -> FieldError:
    return FieldError(code, detail, [f"/{param.lower()}"])
