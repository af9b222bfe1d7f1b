"""System register API (CONTRACT §2.1): one view per operation; parse → access → service → render."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from lib.errors import ServiceError
from lib.tokens.authentication import BearerTokenAuthentication, HasToken
from registry import access
from registry.models import RegisteredSystem, SystemClient, SystemPackage, SystemRight
from registry.services import systems as service

from . import serializers as s
from .base import SCOPE_SYSTEMREGISTER_ADMIN, SCOPE_SYSTEMREGISTER_WRITE, VendorAPIView, parse

ROOT = "/registersystemrequest"
WRITE_SCOPES = (SCOPE_SYSTEMREGISTER_WRITE, SCOPE_SYSTEMREGISTER_ADMIN)
ERRORS = {(status, "application/problem+json"): s.ProblemOut for status in (400, 401, 403, 404)}


def with_details(queryset):
    return queryset.select_related("vendor").prefetch_related(
        # Rights, packages and client ids in the vendor's order, as Altinn returns them: the rows are
        # written in it.
        Prefetch("rights", queryset=SystemRight.objects.order_by("id")),
        Prefetch("packages", queryset=SystemPackage.objects.order_by("id")),
        Prefetch("clients", queryset=SystemClient.objects.order_by("id")),
    )


def find_system(system_id: str, *, include_deleted: bool = False) -> RegisteredSystem:
    systems = RegisteredSystem.objects.registered()
    system = with_details(systems if include_deleted else systems.live()).filter(system_id=system_id).first()
    if system is None:
        raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
    return system


class TokenOrPortalSession(BasePermission):
    """The portal-facing reads: any valid token of ours, or a logged-in portal user."""

    def has_permission(self, request, view) -> bool:
        if HasToken().has_permission(request, view):
            return True
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)


# --- portal-facing reads ---------------------------------------------------------------------------


class PublicReadView(VendorAPIView):
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]

    def get_permissions(self):
        return [TokenOrPortalSession()]


class SystemListView(PublicReadView):
    @extend_schema(operation_id="systemregister_list", responses={200: s.PublicSystemOut(many=True), **ERRORS})
    def get(self, request):
        systems = with_details(RegisteredSystem.objects.visible()).order_by("system_id")
        return Response(s.PublicSystemOut(systems, many=True).data)


class SystemDetailView(PublicReadView):
    @extend_schema(operation_id="systemregister_get", responses={200: s.PublicSystemOut, **ERRORS})
    def get(self, request, system_id: str):
        return Response(s.PublicSystemOut(find_system(system_id)).data)


class SystemRightsView(PublicReadView):
    @extend_schema(operation_id="systemregister_rights", responses={200: s.RightOut(many=True), **ERRORS})
    def get(self, request, system_id: str):
        return Response(service.rights_of(find_system(system_id)))


class SystemPackagesView(PublicReadView):
    @extend_schema(
        operation_id="systemregister_accesspackages", responses={200: s.AccessPackageSerializer(many=True), **ERRORS}
    )
    def get(self, request, system_id: str):
        return Response([{"urn": urn} for urn in service.package_urns_of(find_system(system_id))])


# --- the vendor's own systems ----------------------------------------------------------------------


class VendorSystemView(VendorAPIView):
    scopes = WRITE_SCOPES

    def own_system(self, system_id: str, *, include_deleted: bool = False) -> RegisteredSystem:
        """The system, if the caller may write it. System ids are public, so another vendor's is 403."""
        system = find_system(system_id, include_deleted=include_deleted)
        if not access.vendor_owns_system(self.caller(), system) and not self.has_scope(SCOPE_SYSTEMREGISTER_ADMIN):
            raise ServiceError("AUTH-00016", "The system belongs to another vendor", status=403)
        return system

    def check_vendor(self, spec: service.SystemSpec) -> None:
        """Only the vendor itself (or the admin scope) may register or replace a system in its name."""
        is_self = spec.vendor_orgno == self.caller().orgno
        if spec.vendor_orgno is not None and not is_self and not self.has_scope(SCOPE_SYSTEMREGISTER_ADMIN):
            raise ServiceError("AUTH-00016", "You may only register systems for your own organisation", status=403)


class VendorSystemsView(VendorSystemView):
    @extend_schema(operation_id="systemregister_vendor_list", responses={200: s.SystemOut(many=True), **ERRORS})
    def get(self, request):
        systems = with_details(RegisteredSystem.objects.live().of_vendor(self.caller()))
        return Response(s.SystemOut(systems, many=True).data)

    @extend_schema(
        operation_id="systemregister_vendor_create",
        request=s.SystemIn,
        responses={200: OpenApiResponse(OpenApiTypes.UUID, description="The system's internal id"), **ERRORS},
    )
    def post(self, request):
        spec = s.system_spec(parse(s.SystemIn, request.data, root=ROOT))
        self.check_vendor(spec)
        system = service.register_system(spec=spec, actor=self.actor(), ip=self.client_ip())
        return Response(str(system.uuid))


class VendorSystemDetailView(VendorSystemView):
    @extend_schema(operation_id="systemregister_vendor_get", responses={200: s.SystemOut, **ERRORS})
    def get(self, request, system_id: str):
        return Response(s.SystemOut(self.own_system(system_id, include_deleted=True)).data)

    @extend_schema(
        operation_id="systemregister_vendor_replace", request=s.SystemIn, responses={200: s.SystemOut, **ERRORS}
    )
    def put(self, request, system_id: str):
        system = self.own_system(system_id)
        spec = s.system_spec(parse(s.SystemIn, request.data, root=ROOT))
        self.check_vendor(spec)
        service.update_system(system=system, spec=spec, actor=self.actor(), ip=self.client_ip())
        return Response(s.SystemOut(find_system(system_id)).data)

    @extend_schema(operation_id="systemregister_vendor_delete", responses={200: OpenApiTypes.BOOL, **ERRORS})
    def delete(self, request, system_id: str):
        service.delete_system(system=self.own_system(system_id), actor=self.actor(), ip=self.client_ip())
        return Response(True)


class VendorSystemRightsView(VendorSystemView):
    @extend_schema(
        operation_id="systemregister_vendor_rights_replace",
        request=s.RightSerializer(many=True),
        responses={200: s.RightOut(many=True), **ERRORS},
    )
    def put(self, request, system_id: str):
        system = self.own_system(system_id)
        rights = parse(s.RightSerializer, request.data, root=ROOT + "/rights", many=True, max_length=500)
        service.replace_rights(
            system=system, rights=[s.wire_right_in(r) for r in rights], actor=self.actor(), ip=self.client_ip()
        )
        return Response(service.rights_of(find_system(system_id)))


class VendorSystemPackagesView(VendorSystemView):
    @extend_schema(
        operation_id="systemregister_vendor_accesspackages_replace",
        request=s.AccessPackageSerializer(many=True),
        responses={200: s.AccessPackageSerializer(many=True), **ERRORS},
    )
    def put(self, request, system_id: str):
        system = self.own_system(system_id)
        packages = parse(
            s.AccessPackageSerializer, request.data, root=ROOT + "/accesspackages", many=True, max_length=300
        )
        service.replace_packages(
            system=system, urns=[p["urn"] for p in packages], actor=self.actor(), ip=self.client_ip()
        )
        return Response([{"urn": urn} for urn in service.package_urns_of(find_system(system_id))])


class VendorSystemChangeLogView(VendorSystemView):
    @extend_schema(operation_id="systemregister_vendor_changelog", responses={200: s.ChangeLogOut(many=True), **ERRORS})
    def get(self, request, system_id: str):
        system = self.own_system(system_id, include_deleted=True)
        return Response(s.ChangeLogOut(system.changelog.all(), many=True).data)
