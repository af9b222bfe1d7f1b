"""Vendor request API (CONTRACT §2.2): one view per operation; parse → access → service → render."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from approvals import system_user_requests as service
from approvals.models import RequestKind
from registry.api.base import SCOPE_REQUEST_READ, SCOPE_REQUEST_WRITE, VendorAPIView, paginate, parse
from registry.api.serializers import paginated, wire_right_in
from registry.api.systems import ERRORS

from .serializers import AgentRequestIn, RequestIn, RequestOut

RequestPage = paginated(RequestOut, "RequestPage")
# A new request may meet the flooding limits (docs/vendor-api.md "Limits"): 429 with Retry-After.
CREATE_ERRORS = {**ERRORS, (429, "application/problem+json"): ERRORS[(400, "application/problem+json")]}
ROOT = "/createrequest"


class ScopedByMethodView(VendorAPIView):
    kind = RequestKind.STANDARD
    detail_url_name = "approvals_api:request"

    def scope_for(self, method: str) -> tuple[str, ...]:
        return (SCOPE_REQUEST_READ,) if method in ("GET", "HEAD", "OPTIONS") else (SCOPE_REQUEST_WRITE,)

    def get_permissions(self):
        self.scopes = self.scope_for(self.request.method)
        return super().get_permissions()


class RequestCreateView(ScopedByMethodView):
    input_serializer = RequestIn

    @extend_schema(
        operation_id="request_vendor_create",
        request=RequestIn,
        responses={200: RequestOut, 201: RequestOut, **CREATE_ERRORS},
    )
    def post(self, request):
        data = parse(self.input_serializer, request.data, root=ROOT)
        spec = service.RequestSpec(
            kind=self.kind,
            system_id=data["systemId"],
            party_orgno=data["partyOrgNo"],
            external_ref=data["externalRef"] or "",
            integration_title=data["integrationTitle"] or "",
            rights=[wire_right_in(r) for r in data["rights"]],
            access_packages=[p["urn"] for p in data["accessPackages"]],
            redirect_url=data["redirectUrl"] or "",
        )
        vendor_request, created = service.create_request(vendor=self.caller(), spec=spec, ip=self.client_ip())
        body = RequestOut(vendor_request).data
        if not created:
            return Response(body, status=200)
        location = request.build_absolute_uri(reverse(self.detail_url_name, args=[vendor_request.id]))
        return Response(body, status=201, headers={"Location": location})


class AgentRequestCreateView(RequestCreateView):
    kind = RequestKind.AGENT
    detail_url_name = "approvals_api:agent_request"
    input_serializer = AgentRequestIn

    @extend_schema(
        operation_id="request_vendor_agent_create",
        request=AgentRequestIn,
        responses={200: RequestOut, 201: RequestOut, **CREATE_ERRORS},
    )
    def post(self, request):
        return super().post(request)


# The id is a UUID, as in Altinn's API; documented so, a client (or schemathesis) does not take
# `…/vendor/agent`, the agent requests' POST-only path, for a request id.
REQUEST_ID = OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class RequestDetailView(ScopedByMethodView):
    @extend_schema(operation_id="request_vendor_get", parameters=[REQUEST_ID], responses={200: RequestOut, **ERRORS})
    def get(self, request, request_id: str):
        found = service.get_request(request_id, kind=self.kind, vendor=self.caller())
        return Response(RequestOut(found).data)

    @extend_schema(
        operation_id="request_vendor_delete",
        parameters=[REQUEST_ID],
        responses={202: OpenApiResponse(description="Deleted"), **ERRORS},
    )
    def delete(self, request, request_id: str):
        service.delete_request(vendor=self.caller(), request_id=request_id, kind=self.kind, ip=self.client_ip())
        return Response(status=202)


class AgentRequestDetailView(RequestDetailView):
    kind = RequestKind.AGENT

    @extend_schema(
        operation_id="request_vendor_agent_get", parameters=[REQUEST_ID], responses={200: RequestOut, **ERRORS}
    )
    def get(self, request, request_id: str):
        return super().get(request, request_id)

    @extend_schema(
        operation_id="request_vendor_agent_delete",
        parameters=[REQUEST_ID],
        responses={202: OpenApiResponse(description="Deleted"), **ERRORS},
    )
    def delete(self, request, request_id: str):
        return super().delete(request, request_id)


class RequestByExternalRefView(ScopedByMethodView):
    @extend_schema(operation_id="request_vendor_byexternalref", responses={200: RequestOut, **ERRORS})
    def get(self, request, system_id: str, orgno: str, external_ref: str):
        found = service.get_request_by_external_ref(
            vendor=self.caller(), system_id=system_id, party_orgno=orgno, external_ref=external_ref, kind=self.kind
        )
        return Response(RequestOut(found).data)


class AgentRequestByExternalRefView(RequestByExternalRefView):
    kind = RequestKind.AGENT

    @extend_schema(operation_id="request_vendor_agent_byexternalref", responses={200: RequestOut, **ERRORS})
    def get(self, request, system_id: str, orgno: str, external_ref: str):
        return super().get(request, system_id, orgno, external_ref)


TOKEN_PARAM = OpenApiParameter("token", str, required=False, description="Continuation token from links.next")


class RequestsBySystemView(ScopedByMethodView):
    @extend_schema(
        operation_id="request_vendor_bysystem", parameters=[TOKEN_PARAM], responses={200: RequestPage, **ERRORS}
    )
    def get(self, request, system_id: str):
        found = service.requests_of_system(vendor=self.caller(), system_id=system_id, kind=self.kind)
        return Response(paginate(request, found, order=("created", "id"), serializer=RequestOut))


class AgentRequestsBySystemView(RequestsBySystemView):
    kind = RequestKind.AGENT

    @extend_schema(
        operation_id="request_vendor_agent_bysystem", parameters=[TOKEN_PARAM], responses={200: RequestPage, **ERRORS}
    )
    def get(self, request, system_id: str):
        return super().get(request, system_id)
