"""Altinn's end-user client-delegation API (docs/clients-api.md): a vendor's program, acting for a
logged-in person with a person token (GET exchange/id-porten), manages the clients of the person's
organisations' agent system users — what the portal's client pages do (portal/systemusers/clients.py).

    GET    enduser/systemuser/agents?party=<orgno>                 clientdelegations.read
    GET    enduser/systemuser/clients/available?agent=<uuid>       clientdelegations.read
    GET    enduser/systemuser/clients?agent=<uuid>                 clientdelegations.read
    POST   enduser/systemuser/clients?agent=<uuid>&client=<uuid>   clientdelegations.write
    DELETE enduser/systemuser/clients?agent=<uuid>&client=<uuid>   clientdelegations.write
    POST   enduser/systemuser/clients/bulk?agent=<uuid>             clientdelegations.write  (ours: many at once)

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
from registry.models import AccessPackage, ClientDelegation, Organisation, Person, SystemUser, SystemUserType
from registry.services import clients
from registry.wire import package_urn

from . import serializers as s
from .base import VendorAPIView, paginate
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
        return package_urn(row.package_id)


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


class AvailableClientOut(ClientOut):
    """An organisation that may be added (clients.eligible), in ClientOut's shape."""

    clientId = serializers.UUIDField(source="client_id")
    clientOrganizationNumber = serializers.CharField(source="orgno")
    clientOrganizationName = serializers.CharField(source="name")


class ClientLinks(serializers.Serializer):
    next = serializers.URLField(required=False, help_text="The next page, when there is one (ours: Altinn has none)")


class DelegatedClientOut(serializers.Serializer):
    clientId = serializers.UUIDField(source="client.id")
    clientOrganizationNumber = serializers.CharField(source="client.orgno")
    clientOrganizationName = serializers.CharField(source="client.name")


class ClientList(serializers.Serializer):
    links = ClientLinks()
    systemUserInformation = SystemUserInformation()
    data = ClientOut(many=True)


class ClientDelegationOut(serializers.Serializer):
    agent = serializers.UUIDField()
    client = serializers.UUIDField()


# A firm's agent system user may hold thousands of clients, and a firm have thousands more to add: both
# lists come in pages of this many, with `links.next` (Altinn's "links" is an empty object: it does not
# page; below this many, neither do we).
CLIENTS_PER_PAGE = 500


def _client_page(system_user: SystemUser, page: dict) -> dict:
    """A page (`paginate`) in Altinn's shape: `links` empty on the last page, else `links.next`."""
    links = {"next": page["links"]["next"]} if page["links"]["next"] else {}
    return {"links": links, "systemUserInformation": SystemUserInformation(system_user).data, "data": page["data"]}


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
            .with_last_used()
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
        # Decided, ordered and cut into a page in the database (clients.eligible): the firm itself first.
        order = ("rank", "name", "orgno")
        page = paginate(
            request,
            clients.eligible(system_user),
            order=order,
            serializer=AvailableClientOut,
            size=CLIENTS_PER_PAGE,
            keep=("agent",),
        )
        return Response(_client_page(system_user, page))


class ClientsView(EndUserAPIView):
    @extend_schema(
        operation_id="enduser_systemuser_clients",
        parameters=[AGENT],
        responses={200: ClientList, **ERRORS},
    )
    def get(self, request):
        (agent_id,) = _uuid_params(request, "agent")
        system_user = self.agent(agent_id, admin=False)
        delegations = ClientDelegation.objects.filter(system_user=system_user).select_related("client")
        order = ("client__name", "client__orgno")
        page = paginate(
            request, delegations, order=order, serializer=DelegatedClientOut, size=CLIENTS_PER_PAGE, keep=("agent",)
        )
        return Response(_client_page(system_user, page))

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


class BulkClientsIn(serializers.Serializer):
    clients = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=clients.MAX_CLIENTS_PER_ADD, help_text="clientIds"
    )


class PackageUrnOut(serializers.Serializer):
    urn = serializers.CharField()


class BulkClientOut(serializers.Serializer):
    client = serializers.UUIDField(allow_null=True, help_text="The clientId as sent")
    clientOrganizationNumber = serializers.CharField(allow_blank=True)
    clientOrganizationName = serializers.CharField(allow_blank=True)
    result = serializers.ChoiceField(choices=[clients.ADDED, clients.ALREADY, clients.REFUSED])
    code = serializers.CharField(required=False, help_text="Why refused: AUTH-00079 or AUTH-00080")
    detail = serializers.CharField(required=False)
    missingAccessPackages = PackageUrnOut(many=True, required=False)


class BulkClientsOut(serializers.Serializer):
    agent = serializers.UUIDField()
    data = BulkClientOut(many=True)


_REFUSALS = {
    "AUTH-00079": "Not a client of the facilitator",
    "AUTH-00080": "The client has not given all required packages",
}


def _bulk_row(client_id: uuid.UUID, outcome: clients.Outcome | None) -> dict:
    if outcome is None:  # no live organisation has this id
        outcome = clients.Outcome("", "", clients.REFUSED, "AUTH-00079")
    row = {
        "client": client_id,
        "clientOrganizationNumber": outcome.orgno,
        "clientOrganizationName": outcome.name,
        "result": outcome.result,
    }
    if outcome.result == clients.REFUSED:
        row |= {"code": outcome.code, "detail": _REFUSALS[outcome.code]}
        row["missingAccessPackages"] = [{"urn": AccessPackage.URN_PREFIX + code} for code in outcome.missing]
    return row


class BulkClientsView(EndUserAPIView):
    """Many clients in one call, each on its own (registry.services.clients.add_each): Altinn's roadmap
    asks for bulk client delegation and has no path for it yet, so the path is ours (docs/clients-api.md)."""

    @extend_schema(
        operation_id="enduser_systemuser_clients_bulk_add",
        parameters=[AGENT],
        request=BulkClientsIn,
        responses={200: BulkClientsOut, **ERRORS},
    )
    def post(self, request):
        (agent_id,) = _uuid_params(request, "agent")
        system_user = self.agent(agent_id, admin=True)
        body = BulkClientsIn(data=request.data)
        if not body.is_valid():
            errors = [FieldError("STD.VLD-00001", "`clients` must be a list of 1 to 500 clientIds", ["/clients"])]
            raise ValidationFailed(errors)
        wanted = list(dict.fromkeys(body.validated_data["clients"]))
        orgnos = dict(Organisation.objects.live().filter(pk__in=wanted).values_list("pk", "orgno"))
        outcomes = {}
        if orgnos:
            made = clients.add_each(
                system_user_id=system_user.pk,
                orgnos=list(orgnos.values()),
                by=self.person(),
                ip=self.client_ip(),
                via=self.via(),
            )
            outcomes = {o.orgno: o for o in made}
        rows = [_bulk_row(pk, outcomes.get(orgnos.get(pk, ""))) for pk in wanted]
        return Response(BulkClientsOut({"agent": system_user.pk, "data": rows}).data)


@extend_schema_view(**{method: extend_schema(exclude=True) for method in ("get", "post", "delete")})
class ClientsSlashView(ClientsView):
    """Altinn's examples write `clients/?agent=…`: the same operations, not listed twice in the schema."""
