"""System users as the vendor sees them (CONTRACT §2.4): look-up by query and the list of a system's."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lib.errors import ServiceError
from lib.identifiers import is_valid_orgno
from registry import access
from registry.models import RegisteredSystem, SystemUser

from . import serializers as s
from .base import SCOPE_REQUEST_WRITE, SCOPE_SYSTEMREGISTER_WRITE, VendorAPIView, paginate, parse
from .systems import ERRORS

SystemUserPage = s.paginated(s.SystemUserOut, "SystemUserPage")


def _vendor_system_users(vendor):
    return SystemUser.objects.live().of_vendor(vendor).select_related("owner", "system__vendor").with_last_used()


class ByQueryIn(serializers.Serializer):
    system_id = serializers.CharField(max_length=200)
    orgno = serializers.CharField(max_length=9)
    external_ref = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_orgno(self, value: str) -> str:
        if not is_valid_orgno(value):
            raise serializers.ValidationError("Not a valid organisation number")
        return value


class SystemUserByQueryView(VendorAPIView):
    scopes = (SCOPE_REQUEST_WRITE,)

    @extend_schema(
        operation_id="systemuser_vendor_byquery",
        parameters=[
            OpenApiParameter("system-id", str, required=True),
            OpenApiParameter("orgno", str, required=True),
            OpenApiParameter("external-ref", str, required=False),
        ],
        responses={200: s.SystemUserOut, **ERRORS},
    )
    def get(self, request):
        query = {key.replace("-", "_").lower(): value for key, value in request.query_params.items()}
        params = parse(ByQueryIn, query, root="")
        system_user = (
            _vendor_system_users(self.caller())
            .filter(
                system__system_id=params["system_id"],
                owner__orgno=params["orgno"],
                external_ref=params.get("external_ref") or params["orgno"],
            )
            .first()
        )
        if system_user is None:
            raise access.system_user_not_found()
        return Response(s.SystemUserOut(system_user).data)


class SystemUsersBySystemView(VendorAPIView):
    scopes = (SCOPE_SYSTEMREGISTER_WRITE,)

    @extend_schema(
        operation_id="systemuser_vendor_bysystem",
        parameters=[OpenApiParameter("token", str, required=False, description="Continuation token")],
        responses={200: SystemUserPage, **ERRORS},
    )
    def get(self, request, system_id: str):
        vendor = self.caller()
        system = RegisteredSystem.objects.of_vendor(vendor).filter(system_id=system_id).only("pk").first()
        if system is None:
            raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
        # By the system's key, not its name through a join: a page is then a range of the index
        # (system, created, id), not a sort of all the system's users (6,000: 9 ms).
        users = _vendor_system_users(vendor).filter(system=system)
        return Response(paginate(request, users, order=("created", "id"), serializer=s.SystemUserOut))
