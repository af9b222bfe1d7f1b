"""Altinn's end-user client-delegation API (docs/clients-api.md): a vendor's program, acting for a
logged-in person with a person token (GET exchange/id-porten), manages the clients of the person's
organisations' agent system users — what the portal's client pages do (portal/systemusers/clients.py).

    GET    enduser/systemuser/agents?party=<orgno>                 clientdelegations.read
    GET    enduser/systemuser/clients/available?agent=<uuid>       clientdelegations.read
    GET    enduser/systemuser/clients?agent=<uuid>                 clientdelegations.read
    POST   enduser/systemuser/clients?agent=<uuid>&client=<uuid>   clientdelegations.write
    DELETE enduser/systemuser/clients?agent=<uuid>&client=<uuid>   clientdelegations.write

Authority is the person's, from the current rows, on every call (registry.access), as in the portal:
seeing the agents and their clients needs "may act for" the owner; the clients that may be added, adding
and removing need client administrator (`klientadministrator`). An agent system user the person may not
act for, a deleted one or an unknown id is 404 (AUTH-00015): its existence does not leak.
"""

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from lib.errors import FieldError, ServiceError, ValidationFailed
from lib.identifiers import is_valid_orgno
from lib.tokens.authentication import HasScope, PersonTokenAuthentication
from lib.tokens.person import SCOPE_CLIENTDELEGATIONS_READ, SCOPE_CLIENTDELEGATIONS_WRITE
from registry import access
from registry.models import ClientDelegation, Organisation, Person, SystemUser, SystemUserType
from registry.services import clients

from . import serializers as s
from .base import VendorAPIView
from .systems import ERRORS


class EndUserAPIView(VendorAPIView):
    """A person-token operation: GET needs clientdelegations.read, POST and DELETE .write."""

    authentication_classes = [PersonTokenAuthentication]

    def get_permissions(self):
        scope = SCOPE_CLIENTDELEGATIONS_READ if self.request.method in SAFE_METHODS else SCOPE_CLIENTDELEGATIONS_WRITE
        return [HasScope.of(scope)()]

    def person(self) -> Person | None:
        """The person of the token, or None when our register does not know them (they act for no one)."""
        if not hasattr(self, "_person"):
            self._person = Person.objects.filter(pid=self.request.user.pid).first()
        return self._person

    def agent(self, agent_id: uuid.UUID, *, admin: bool) -> SystemUser:
        """The live agent system user the person may act for the owner of (else 404); with `admin`, the
        person must also be its owner's client administrator (else 403)."""
        person = self.person()
        if person is None:  # unknown to our register: acts for no one
            raise access.system_user_not_found()
        system_users = SystemUser.objects.live().select_related("owner", "system__vendor")
        system_user = access.access_system_user(system_users, agent_id, person)
        if system_user.user_type != SystemUserType.AGENT:
            error = FieldError("STD.VLD-00001", "The system user is not one for clients (agent)", ["/agent"])
            raise ValidationFailed([error])
        if admin:
            access.require(person, system_user.owner, access.CLIENTS)
        return system_user

    def via(self) -> dict:
        return {"api": "enduser", "token": self.request.auth.get("jti", "")}


def _uuid_params(request, *names: str) -> list[uuid.UUID]:
    """The query parameters as UUIDs, or one validation error per missing or malformed one."""
    values, errors = [], []
    for name in names:
        raw = request.query_params.get(name)
        try:
            values.append(uuid.UUID(raw) if raw and len(raw) <= 40 else None)
        except ValueError:
            values.append(None)
        if values[-1] is None:
            code = "STD.VLD-00000" if not raw else "STD.VLD-00001"
            errors.append(FieldError(code, f"`{name}` must be a UUID", [f"/{name}"]))
    if errors:
        raise ValidationFailed(errors)
    return values


class AccessPackageUrn(serializers.Serializer):
    urn = serializers.SerializerMethodField()

    def get_urn(self, row) -> str:
        return f"urn:altinn:accesspackage:{row.package_id}"


class AgentOut(s.SystemUserOut):
    """A system user as Altinn's agents list has it: the vendor API's shape plus the packages."""

    systemInternalId = serializers.UUIDField(source="system.uuid")
    partyId = serializers.SerializerMethodField()
    partyUuId = serializers.UUIDField(source="owner.id")
    accessPackages = AccessPackageUrn(many=True, source="packages.all")

    def get_partyId(self, system_user) -> str:
        return ""  # Altinn's numeric party id: we have none (partyUuId names the party)


class SystemUserInformation(serializers.Serializer):
    systemUserId = serializers.UUIDField(source="id")
    systemUserOwnerOrg = serializers.CharField(source="owner.orgno")


class ClientOut(serializers.Serializer):
    clientId = serializers.UUIDField()
    clientOrganizationNumber = serializers.CharField()
    clientOrganizationName = serializers.CharField()


class ClientLinks(serializers.Serializer):
    pass


class ClientList(serializers.Serializer):
    links = ClientLinks()
    systemUserInformation = SystemUserInformation()
    data = ClientOut(many=True)


class ClientDelegationOut(serializers.Serializer):
    agent = serializers.UUIDField()
    client = serializers.UUIDField()


def _client_list(system_user: SystemUser, rows: list[dict]) -> dict:
    # Altinn's "links" is an empty object: it does not page these lists (yet), nor do we.
    return {"links": {}, "systemUserInformation": SystemUserInformation(system_user).data, "data": rows}


AGENT = OpenApiParameter("agent", uuid.UUID, required=True, description="The agent system user's id")
CLIENT = OpenApiParameter("client", uuid.UUID, required=True, description="The client's party uuid (`clientId`)")


class AgentsView(EndUserAPIView):
    @extend_schema(
        operation_id="enduser_systemuser_agents",
        parameters=[OpenApiParameter("party", str, required=True, description="The owner's organisation number")],
        responses={200: AgentOut(many=True), **ERRORS},
    )
    def get(self, request):
        party = request.query_params.get("party", "").strip()
        if not is_valid_orgno(party):
            code = "STD.VLD-00000" if not party else "STD.VLD-00001"
            raise ValidationFailed([FieldError(code, "`party` must be a valid organisation number", ["/party"])])
        org = Organisation.objects.live().filter(orgno=party).first()
        if org is None:
            raise ServiceError("AUTH-00000", "The organisation is not in the register", status=400)
        if not access.may_act_for(self.person(), org):
            raise ServiceError("AUTH-00016", "You may not act for this organisation", status=403)
        agents = (
            SystemUser.objects.live()
            .owned_by(org)
            .agent()
            .select_related("owner", "system__vendor")
            .prefetch_related("packages")
            .order_by("created", "id")
        )
        return Response(AgentOut(agents, many=True).data)


class AvailableClientsView(EndUserAPIView):
    @extend_schema(
        operation_id="enduser_systemuser_clients_available",
        parameters=[AGENT],
        responses={200: ClientList, **ERRORS},
    )
    def get(self, request):
        (agent_id,) = _uuid_params(request, "agent")
        system_user = self.agent(agent_id, admin=True)
        rows = [
            {"clientId": c.org_id, "clientOrganizationNumber": c.orgno, "clientOrganizationName": c.name}
            for c in clients.eligible_clients(system_user)
        ]
        return Response(_client_list(system_user, ClientOut(rows, many=True).data))


class ClientsView(EndUserAPIView):
    @extend_schema(
        operation_id="enduser_systemuser_clients",
        parameters=[AGENT],
        responses={200: ClientList, **ERRORS},
    )
    def get(self, request):
        (agent_id,) = _uuid_params(request, "agent")
        system_user = self.agent(agent_id, admin=False)
        delegations = (
            ClientDelegation.objects.filter(system_user=system_user)
            .order_by("client__name", "client__orgno")
            .values_list("client_id", "client__orgno", "client__name")
        )
        rows = [
            {"clientId": pk, "clientOrganizationNumber": orgno, "clientOrganizationName": name}
            for pk, orgno, name in delegations
        ]
        return Response(_client_list(system_user, ClientOut(rows, many=True).data))

    @extend_schema(
        operation_id="enduser_systemuser_clients_add",
        parameters=[AGENT, CLIENT],
        request=None,
        responses={200: ClientDelegationOut, **ERRORS},
    )
    def post(self, request):
        agent_id, client_id = _uuid_params(request, "agent", "client")
        system_user = self.agent(agent_id, admin=True)
        client = Organisation.objects.live().filter(pk=client_id).first()
        if client is None:
            raise ServiceError("AUTH-00079", f"Not a client of the facilitator: {client_id}", status=400)
        clients.add_clients(
            system_user_id=system_user.pk, orgnos=[client.orgno], by=self.person(), ip=self.client_ip(), via=self.via()
        )
        return Response(ClientDelegationOut({"agent": system_user.pk, "client": client.pk}).data)

    @extend_schema(
        operation_id="enduser_systemuser_clients_remove",
        parameters=[AGENT, CLIENT],
        responses={200: ClientDelegationOut, **ERRORS},
    )
    def delete(self, request):
        agent_id, client_id = _uuid_params(request, "agent", "client")
        system_user = self.agent(agent_id, admin=True)
        client = Organisation.objects.filter(pk=client_id).first()
        removed = client is not None and clients.remove_client(
            system_user_id=system_user.pk, orgno=client.orgno, by=self.person(), ip=self.client_ip(), via=self.via()
        )
        if not removed:
            detail = f"No delegation found for client {client_id} and system user {agent_id}"
            raise ServiceError("HTTP-404", detail, status=404)
        return Response(ClientDelegationOut({"agent": system_user.pk, "client": client.pk}).data)


@extend_schema_view(**{method: extend_schema(exclude=True) for method in ("get", "post", "delete")})
class ClientsSlashView(ClientsView):
    """Altinn's examples write `clients/?agent=…`: the same operations, not listed twice in the schema."""
