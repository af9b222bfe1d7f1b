"""Input and output serializers of the system register and system-user API (the wire shapes of CONTRACT §2).

Input serializers only check JSON types and sizes; the rules with AUTH.VLD codes live in
registry/services/systems.py so the admin shares them. Types are strict: a number is not a string and
"true" is not a boolean.
"""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lib.identifiers import ORG_AUTHORITY, org_identifier, parse_org_identifier
from lib.vendor_text import NAME_MAX_LENGTH
from registry.services import systems as system_service

LANGUAGES = ("nb", "nn", "en")


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UtcDateTimeField(serializers.DateTimeField):
    """CONTRACT: times are UTC ISO-8601, whatever the server's time zone."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=datetime.UTC, **kwargs)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class TextsField(serializers.DictField):
    """{"nb": ..., "nn": ..., "en": ...}; other languages are refused."""

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(child=StrictCharField(max_length=max_length, allow_blank=True), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise serializers.ValidationError(f"Unknown language: {', '.join(unknown)} (use nb, nn, en)")
        return value


# --- shared pieces -----------------------------------------------------------------------------------


class OrgIdentifierSerializer(serializers.Serializer):
    # Altinn's own examples send `"vendor": {"ID": "0192:<orgno>"}` without `authority`; a given one is checked.
    authority = StrictCharField(max_length=100, required=False, default=ORG_AUTHORITY)
    ID = StrictCharField(max_length=100)


class ResourceAttributeSerializer(serializers.Serializer):
    id = StrictCharField(max_length=200)
    value = StrictCharField(max_length=200)


class RightSerializer(serializers.Serializer):
    action = StrictCharField(max_length=50, allow_null=True, allow_blank=True, required=False, default=None)
    resource = ResourceAttributeSerializer(many=True, max_length=10)


class AccessPackageSerializer(serializers.Serializer):
    urn = StrictCharField(max_length=300)


# --- input ------------------------------------------------------------------------------------------


class SystemIn(serializers.Serializer):
    id = StrictCharField(max_length=200)
    vendor = OrgIdentifierSerializer()
    name = TextsField(max_length=NAME_MAX_LENGTH, allow_empty=False)
    description = TextsField(max_length=4000, required=False, default=dict)
    rights = RightSerializer(many=True, required=False, default=list, max_length=500)
    accessPackages = AccessPackageSerializer(many=True, required=False, default=list, max_length=300)
    clientId = serializers.ListField(
        child=StrictCharField(max_length=200), required=False, default=list, max_length=100
    )
    allowedRedirectUrls = serializers.ListField(
        child=StrictCharField(max_length=2000), required=False, default=list, max_length=100
    )
    isVisible = StrictBooleanField(required=False, default=False)


def system_spec(data: dict) -> system_service.SystemSpec:
    """The service's SystemSpec from validated SystemIn data."""
    return system_service.SystemSpec(
        id=data["id"],
        vendor_orgno=parse_org_identifier(dict(data["vendor"])),
        name=dict(data["name"]),
        description=dict(data["description"]),
        rights=[wire_right_in(r) for r in data["rights"]],
        access_packages=[p["urn"] for p in data["accessPackages"]],
        client_ids=list(data["clientId"]),
        redirect_urls=list(data["allowedRedirectUrls"]),
        is_visible=data["isVisible"],
    )


def wire_right_in(right: dict) -> dict:
    return {"action": right.get("action") or None, "resource": [dict(a) for a in right["resource"]]}


# --- output -----------------------------------------------------------------------------------------


class OrgIdentifierOut(serializers.Serializer):
    authority = serializers.CharField()
    ID = serializers.CharField()


class RightOut(serializers.Serializer):
    action = serializers.CharField(allow_null=True)
    resource = ResourceAttributeSerializer(many=True)


class SystemGrantsOut:
    """The rights and access packages of a system, as both system serializers write them."""

    @extend_schema_field(RightOut(many=True))
    def get_rights(self, system) -> list:
        return system_service.rights_of(system)

    @extend_schema_field(AccessPackageSerializer(many=True))
    def get_accessPackages(self, system) -> list:
        return [{"urn": urn} for urn in system_service.package_urns_of(system)]


class SystemOut(SystemGrantsOut, serializers.Serializer):
    """The vendor's full view of its system."""

    id = serializers.CharField(source="system_id")
    vendor = serializers.SerializerMethodField()
    name = serializers.DictField(child=serializers.CharField())
    description = serializers.DictField(child=serializers.CharField())
    rights = serializers.SerializerMethodField()
    accessPackages = serializers.SerializerMethodField()
    clientId = serializers.SerializerMethodField()
    allowedRedirectUrls = serializers.ListField(child=serializers.CharField(), source="allowed_redirect_urls")
    isVisible = serializers.BooleanField(source="is_visible")
    isDeleted = serializers.BooleanField(source="is_deleted")

    @extend_schema_field(OrgIdentifierOut)
    def get_vendor(self, system) -> dict:
        return org_identifier(system.vendor.orgno)

    def get_clientId(self, system) -> list[str]:
        return [c.client_id for c in system.clients.all()]


class PublicSystemOut(SystemGrantsOut, serializers.Serializer):
    """A system as portals see it (no client ids, no redirect URLs)."""

    systemId = serializers.CharField(source="system_id")
    systemVendorOrgNumber = serializers.CharField(source="vendor.orgno")
    systemVendorOrgName = serializers.CharField(source="vendor.name")
    name = serializers.DictField(child=serializers.CharField())
    description = serializers.DictField(child=serializers.CharField())
    rights = serializers.SerializerMethodField()
    accessPackages = serializers.SerializerMethodField()
    isVisible = serializers.BooleanField(source="is_visible")


class ChangeLogOut(serializers.Serializer):
    changedBy = serializers.CharField(source="changed_by")
    changeType = serializers.CharField(source="change_type")
    changedData = serializers.JSONField(source="data")
    created = UtcDateTimeField(source="changed_at")


class SystemUserOut(serializers.Serializer):
    """A system user as programs see it (CONTRACT §2.4): the vendor's look-ups and Maskinporten's
    `systemuser/byExternalId` alike."""

    id = serializers.UUIDField()
    integrationTitle = serializers.CharField(source="integration_title")
    systemId = serializers.CharField(source="system.system_id")
    productName = serializers.CharField(source="system.product_name")
    reporteeOrgNo = serializers.CharField(source="owner.orgno")
    created = UtcDateTimeField()
    isDeleted = serializers.BooleanField(source="is_deleted")
    supplierName = serializers.CharField(source="system.vendor.name")
    supplierOrgno = serializers.CharField(source="system.vendor.orgno")
    externalRef = serializers.CharField(source="external_ref")
    userType = serializers.ChoiceField(choices=["standard", "agent"], source="user_type")
    # Ours, not Altinn's: when the system user last got a token (null: not in the last RETENTION_USAGE_DAYS).
    # Read from `with_last_used()`, which every query serialized here must carry.
    lastUsed = UtcDateTimeField(source="last_used_at", allow_null=True, read_only=True)


class ValidationErrorOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    paths = serializers.ListField(child=serializers.CharField())


class ProblemOut(serializers.Serializer):
    """application/problem+json (RFC 9457) with Altinn's `code` and our `traceId`."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    traceId = serializers.CharField()
    validationErrors = ValidationErrorOut(many=True, required=False)


def paginated(serializer_class, name: str):
    """The schema of a `{links: {next}, data: [...]}` page of `serializer_class`."""

    class Links(serializers.Serializer):
        next = serializers.URLField(allow_null=True)

    Links.__name__ = f"{name}Links"

    class Page(serializers.Serializer):
        links = Links()
        data = serializer_class(many=True)

    Page.__name__ = name
    return Page
