"""Which parties a system user may act for, asked by the vendor's program with the system user's own
token (from `/token`, or the platform token exchanged from it): Altinn's AuthorizedParties
(`GET accessmanagement/api/v1/authorizedparties`), for a system user.

Altinn's model (Altinn/altinn-access-management, `AuthorizedPartyExternal`) names each party with
`partyUuid`, `name`, `organizationNumber`, `type`, `unitType` … and what the caller may do there in
`authorizedResources` and `authorizedRoles`; we add `authorizedAccessPackages`, which is how a system user
holds most of what it may do. A standard system user acts for its owner only; an agent system user for
each client added to it (the firm itself when added) with the required packages the firm holds for that
client right now — what the PDP permits. Paged as the rest of our API (`{links: {next}, data}`).

The token decides everything: it names one system user, so another vendor's token sees nothing of this
one; the system user must still be live and its system the caller's (else 404). A token without a system
user, or a person token, is refused.
"""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lib.errors import ServiceError
from lib.tokens.authentication import HasToken
from registry import access
from registry.models import ClientDelegation, Organisation, SystemUser, SystemUserType
from registry.services import clients

from .base import VendorAPIView, paginate
from .serializers import paginated
from .systems import ERRORS


class AuthorizedPartyOut(serializers.Serializer):
    partyUuid = serializers.UUIDField()
    name = serializers.CharField()
    organizationNumber = serializers.CharField()
    personId = serializers.CharField(allow_null=True)
    partyId = serializers.IntegerField(allow_null=True, help_text="Altinn's numeric party id: none here")
    type = serializers.CharField(help_text="Always `Organization`: system users act for organisations")
    unitType = serializers.CharField()
    isDeleted = serializers.BooleanField()
    onlyHierarchyElementWithNoAccess = serializers.BooleanField()
    authorizedAccessPackages = serializers.ListField(child=serializers.CharField(), help_text="package codes")
    authorizedResources = serializers.ListField(child=serializers.CharField(), help_text="resource ids")
    authorizedRoles = serializers.ListField(child=serializers.CharField())
    authorizedInstances = serializers.ListField(child=serializers.DictField())
    subunits = serializers.ListField(child=serializers.DictField())


AuthorizedPartyPage = paginated(AuthorizedPartyOut, "AuthorizedPartyPage")


def _party(org: Organisation, *, packages: list[str], resources: list[str] = ()) -> dict:
    return {
        "partyUuid": org.pk,
        "name": org.name,
        "organizationNumber": org.orgno,
        "personId": None,
        "partyId": None,
        "type": "Organization",
        "unitType": org.form,
        "isDeleted": org.is_deleted,
        "onlyHierarchyElementWithNoAccess": False,
        "authorizedAccessPackages": list(packages),
        "authorizedResources": list(resources),
        "authorizedRoles": [],
        "authorizedInstances": [],
        "subunits": [],
    }


class _ClientParties:
    """A page of an agent system user's client delegations as parties (paginate's `serializer`): the
    required packages the firm holds for each client now, read for the whole page in a fixed number of
    queries. A client the firm holds none of them for any longer is left out: the system user may not
    act for it (the PDP answers NotApplicable)."""

    def __init__(self, system_user: SystemUser):
        self.system_user = system_user
        self.required = set(clients.required_packages(system_user))

    def __call__(self, rows: list[ClientDelegation], many: bool = True):
        among = Organisation.objects.filter(pk__in=[row.client_id for row in rows])
        holdings = access.holdings_for_clients(self.system_user.owner, among=among, packages=self.required)
        self.data = []
        for row in rows:
            held = holdings.get(row.client_id)
            packages = sorted(self.required & held.packages) if held else []
            if packages:
                self.data.append(AuthorizedPartyOut(_party(row.client, packages=packages)).data)
        return self


class AuthorizedPartiesView(VendorAPIView):
    def get_permissions(self):
        return [HasToken()]

    @extend_schema(
        operation_id="authorizedparties_systemuser",
        responses={200: AuthorizedPartyPage, **ERRORS},
        description="The parties the token's system user may act for (Altinn's AuthorizedParties).",
    )
    def get(self, request):
        system_user = self.system_user()
        if system_user.user_type == SystemUserType.AGENT:
            delegations = ClientDelegation.objects.filter(system_user=system_user).select_related("client")
            page = paginate(request, delegations, order=("created", "id"), serializer=_ClientParties(system_user))
            return Response(page)
        packages = sorted(system_user.packages.values_list("package_id", flat=True))
        resources = sorted(set(system_user.rights.values_list("resource_id", flat=True)))
        owner = _party(system_user.owner, packages=packages, resources=resources)
        return Response({"links": {"next": None}, "data": [AuthorizedPartyOut(owner).data]})

    def system_user(self) -> SystemUser:
        """The token's system user: live, on a live system of the calling vendor (else 404)."""
        detail = self.request.user.system_user
        ids = detail.get("systemuser_id") if detail else None
        if not isinstance(ids, list) or len(ids) != 1:
            raise ServiceError(
                "HTTP-403", "This needs a system-user token (from /token with a system user)", status=403
            )
        try:
            pk = uuid.UUID(str(ids[0]))
        except ValueError:
            raise access.system_user_not_found() from None
        system_user = (
            SystemUser.objects.live()
            .filter(pk=pk, system__is_deleted=False, system__vendor=self.caller())
            .select_related("owner")
            .first()
        )
        if system_user is None:
            raise access.system_user_not_found()
        return system_user
