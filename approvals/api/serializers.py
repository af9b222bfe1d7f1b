"""Wire shapes of vendor requests (CONTRACT §2.2)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import Request, RequestStatus
from approvals.notifications import confirm_url
from registry.api.serializers import (
    AccessPackageSerializer,
    RightOut,
    RightSerializer,
    StrictCharField,
    UtcDateTimeField,
)
from registry.wire import package_urn, wire_right


class RequestIn(serializers.Serializer):
    systemId = StrictCharField(max_length=200)
    partyOrgNo = StrictCharField(max_length=20)
    externalRef = StrictCharField(max_length=200, required=False, allow_blank=True, allow_null=True, default="")
    integrationTitle = StrictCharField(max_length=200, required=False, allow_blank=True, allow_null=True, default="")
    rights = RightSerializer(many=True, required=False, default=list, max_length=500)
    accessPackages = AccessPackageSerializer(many=True, required=False, default=list, max_length=300)
    redirectUrl = StrictCharField(max_length=2000, required=False, allow_blank=True, allow_null=True, default="")


class AgentRequestIn(RequestIn):
    """Agent requests take packages only; `rights` is accepted so that sending it gives AUTH-00058."""


def rights_out(rights: list[dict]) -> list[dict]:
    return [wire_right(r["resource"], r.get("action") or "") for r in rights]


def packages_out(codes: list[str]) -> list[dict]:
    return [{"urn": package_urn(code)} for code in codes]


class DecisionOut:
    """The decision members requests and change requests share (approvals.models.Decidable)."""

    @extend_schema_field(serializers.ChoiceField(choices=[c.value for c in RequestStatus]))
    def get_status(self, decidable) -> str:
        return RequestStatus.TIMEDOUT.value if decidable.timed_out else decidable.status

    def get_confirmUrl(self, decidable) -> str:
        return confirm_url(decidable)


class RequestOut(DecisionOut, serializers.Serializer):
    id = serializers.UUIDField()
    integrationTitle = serializers.CharField(source="integration_title")
    externalRef = serializers.CharField(source="external_ref")
    systemId = serializers.CharField(source="system.system_id")
    partyOrgNo = serializers.CharField(source="party.orgno")
    rights = serializers.SerializerMethodField()
    accessPackages = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    redirectUrl = serializers.CharField(source="redirect_url", allow_null=True)
    confirmUrl = serializers.SerializerMethodField()
    escalated = serializers.BooleanField()
    created = UtcDateTimeField()
    timedOut = serializers.BooleanField(source="timed_out")

    @extend_schema_field(RightOut(many=True))
    def get_rights(self, request: Request) -> list[dict]:
        return rights_out(request.rights)

    @extend_schema_field(AccessPackageSerializer(many=True))
    def get_accessPackages(self, request: Request) -> list[dict]:
        return packages_out(request.access_packages)


class ChangeRequestIn(serializers.Serializer):
    requiredRights = RightSerializer(many=True, required=False, default=list, max_length=500)
    unwantedRights = RightSerializer(many=True, required=False, default=list, max_length=500)
    requiredAccessPackages = AccessPackageSerializer(many=True, required=False, default=list, max_length=300)
    unwantedAccessPackages = AccessPackageSerializer(many=True, required=False, default=list, max_length=300)
    redirectUrl = StrictCharField(max_length=2000, required=False, allow_blank=True, allow_null=True, default="")


class ChangeRequestOut(DecisionOut, serializers.Serializer):
    id = serializers.UUIDField()
    systemUserId = serializers.UUIDField(source="system_user.id")
    systemId = serializers.CharField(source="system_user.system.system_id")
    partyOrgNo = serializers.CharField(source="system_user.owner.orgno")
    externalRef = serializers.CharField(source="system_user.external_ref")
    requiredRights = serializers.SerializerMethodField()
    unwantedRights = serializers.SerializerMethodField()
    requiredAccessPackages = serializers.SerializerMethodField()
    unwantedAccessPackages = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    redirectUrl = serializers.CharField(source="redirect_url", allow_null=True)
    confirmUrl = serializers.SerializerMethodField()
    escalated = serializers.BooleanField()
    created = UtcDateTimeField()
    timedOut = serializers.BooleanField(source="timed_out")

    @extend_schema_field(RightOut(many=True))
    def get_requiredRights(self, change) -> list[dict]:
        return rights_out(change.required_rights)

    @extend_schema_field(RightOut(many=True))
    def get_unwantedRights(self, change) -> list[dict]:
        return rights_out(change.unwanted_rights)

    @extend_schema_field(AccessPackageSerializer(many=True))
    def get_requiredAccessPackages(self, change) -> list[dict]:
        return packages_out(change.required_access_packages)

    @extend_schema_field(AccessPackageSerializer(many=True))
    def get_unwantedAccessPackages(self, change) -> list[dict]:
        return packages_out(change.unwanted_access_packages)
