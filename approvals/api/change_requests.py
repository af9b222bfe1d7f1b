"""Vendor change-request API (CONTRACT §2.3): one view per operation; parse → access → service → render."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from approvals import change_requests as service
from registry.api.base import paginate, parse
from registry.api.serializers import ProblemOut, paginated, wire_right_in
from registry.api.systems import ERRORS

from .serializers import ChangeRequestIn, ChangeRequestOut
from .views import TOKEN_PARAM, ScopedByMethodView

ChangeRequestPage = paginated(ChangeRequestOut, "ChangeRequestPage")
CONFLICT = {(409, "application/problem+json"): ProblemOut}


class ChangeRequestCreateView(ScopedByMethodView):
    @extend_schema(
        operation_id="changerequest_vendor_create",
        parameters=[
            OpenApiParameter("correlation-id", str, required=True, description="Becomes the change request's id"),
            OpenApiParameter("system-user-id", str, required=True),
        ],
        request=ChangeRequestIn,
        responses={200: ChangeRequestOut, 201: ChangeRequestOut, **ERRORS, **CONFLICT},
    )
    def post(self, request):
        query = {key.lower(): value for key, value in request.query_params.items()}
        data = parse(ChangeRequestIn, request.data, root="/changerequest")
        spec = service.ChangeSpec(
            required_rights=[wire_right_in(r) for r in data["requiredRights"]],
            unwanted_rights=[wire_right_in(r) for r in data["unwantedRights"]],
            required_packages=[p["urn"] for p in data["requiredAccessPackages"]],
            unwanted_packages=[p["urn"] for p in data["unwantedAccessPackages"]],
            redirect_url=data["redirectUrl"] or "",
        )
        change, created = service.create_change_request(
            vendor=self.caller(),
            correlation_id=query.get("correlation-id", ""),
            system_user_id=query.get("system-user-id", ""),
            spec=spec,
            ip=self.client_ip(),
        )
        body = ChangeRequestOut(change).data
        if not created:
            return Response(body, status=200)
        location = request.build_absolute_uri(reverse("approvals_api:changerequest", args=[change.id]))
        return Response(body, status=201, headers={"Location": location})


class ChangeRequestDetailView(ScopedByMethodView):
    @extend_schema(operation_id="changerequest_vendor_get", responses={200: ChangeRequestOut, **ERRORS})
    def get(self, request, change_request_id: str):
        change = service.get_change_request(change_request_id, vendor=self.caller())
        return Response(ChangeRequestOut(change).data)

    @extend_schema(
        operation_id="changerequest_vendor_delete", responses={202: OpenApiResponse(description="Deleted"), **ERRORS}
    )
    def delete(self, request, change_request_id: str):
        service.delete_change_request(vendor=self.caller(), change_request_id=change_request_id, ip=self.client_ip())
        return Response(status=202)


class ChangeRequestByExternalRefView(ScopedByMethodView):
    @extend_schema(operation_id="changerequest_vendor_byexternalref", responses={200: ChangeRequestOut, **ERRORS})
    def get(self, request, system_id: str, orgno: str, external_ref: str):
        change = service.get_change_request_by_external_ref(
            vendor=self.caller(), system_id=system_id, party_orgno=orgno, external_ref=external_ref
        )
        return Response(ChangeRequestOut(change).data)


class ChangeRequestsBySystemView(ScopedByMethodView):
    @extend_schema(
        operation_id="changerequest_vendor_bysystem",
        parameters=[TOKEN_PARAM],
        responses={200: ChangeRequestPage, **ERRORS},
    )
    def get(self, request, system_id: str):
        found = service.change_requests_of_system(vendor=self.caller(), system_id=system_id)
        return Response(paginate(request, found, order=("created", "id"), serializer=ChangeRequestOut))
